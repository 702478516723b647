/** Devices in the room: each is its own browser context (own storage, own identity). */
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { showView } from './shell.ts';

export interface Device {
  context: BrowserContext;
  page: Page;
  name: string;
}

export async function newDevice(browser: Browser, name: string): Promise<Device> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`[${name}] page error: ${err.message}`));
  return { context, page, name };
}

/** Opens the join link, names the device, and waits until it is in the room. */
export async function join(device: Device, url: string): Promise<void> {
  await device.page.goto(url);
  await expect(device.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online');
  await showView(device.page, 'room');
  await device.page.getByTestId('rename').click();
  await device.page.getByTestId('name-input').fill(device.name);
  await device.page.getByTestId('name-input').press('Enter');
  await expect(device.page.getByTestId('my-name')).toHaveText(device.name);
}

export function member(device: Device, name: string) {
  return device.page.getByTestId('member').filter({ has: device.page.getByTestId('member-name').getByText(name, { exact: true }) });
}

/** Waits until `device` sees each of `others` present over a direct channel. */
export async function expectSees(device: Device, others: Device[]): Promise<void> {
  for (const o of others) {
    const row = member(device, o.name);
    await expect(row).toHaveAttribute('data-status', 'present');
    await expect(row).toHaveAttribute('data-direct', 'true');
  }
}

export async function sendChat(device: Device, text: string): Promise<void> {
  await showView(device.page, 'timeline');
  await device.page.getByTestId('chat-input').fill(text);
  await device.page.getByTestId('chat-send').click();
}

export async function expectChat(device: Device, text: string): Promise<void> {
  await showView(device.page, 'timeline');
  await expect(device.page.getByTestId('chat-text').getByText(text, { exact: true })).toBeVisible();
}
