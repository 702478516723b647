/**
 * The shell people hold in their hand: sections as tabs on a phone and a rail on a laptop, the
 * address bar keeping where you are (back, forward, reload, offline), the keyboard, and what is
 * new in a section you are not looking at.
 */
import type { Browser, BrowserContextOptions } from '@playwright/test';
import { test, expect } from './support/fixtures.ts';
import { join, sendChat, expectSees, type Device } from './support/devices.ts';
import { openView, sections, view } from './support/shell.ts';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, hasTouch: true };
const LAPTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };

async function device(browser: Browser, name: string, options: BrowserContextOptions): Promise<Device> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`[${name}] page error: ${err.message}`));
  return { context, page, name };
}

test.describe('the shell', () => {
  test('a phone: one section at a time, the rest under More; back, forward and reload keep the place, even offline', async ({ browser, hub }) => {
    const phone = await device(browser, 'Grace', PHONE);
    await join(phone, hub.joinUrl());
    const page = phone.page;
    const nav = sections(page);
    await expect(nav.getByRole('link')).toHaveText(['Room', 'Chat', 'Notes', 'Files', 'More']);
    await expect(nav.getByRole('link', { name: 'Room' })).toHaveAttribute('aria-current', 'page');
    // Who is here and the hub stay in view whatever the section.
    await openView(page, 'files');
    await expect(view(page, 'room')).toBeHidden();
    await expect(page.getByTestId('hub-status')).toBeVisible();
    await expect(page.getByTestId('people-strip')).toBeVisible();
    await expect(nav.getByRole('link', { name: 'Files' })).toHaveAttribute('aria-current', 'page');
    expect(new URL(page.url()).hash).toBe('#/files');

    await openView(page, 'board'); // through More
    await expect(nav.getByRole('link', { name: 'More' })).toHaveAttribute('aria-current', 'page');
    await page.goBack();
    await expect(view(page, 'more')).toBeVisible();
    await page.goBack();
    await expect(view(page, 'files')).toBeVisible();
    await page.goForward();
    await page.goForward();
    await expect(view(page, 'board')).toBeVisible();
    await page.reload();
    await expect(view(page, 'board')).toBeVisible();
    await expect(page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online');

    // Offline, from the service worker, the place is kept (the route never reaches a server).
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 }).catch(() => page.reload());
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
    await openView(page, 'notes');
    await hub.kill();
    await page.reload();
    await expect(page.getByTestId('hub-status')).toHaveAttribute('data-state', 'unreachable');
    await expect(view(page, 'notes')).toBeVisible();
    await expect(page.getByTestId('note-title')).toBeVisible();
  });

  test('a laptop: people and the timeline beside every section; the keyboard reaches every section with visible focus', async ({ browser, hub }) => {
    const laptop = await device(browser, 'Ada', LAPTOP);
    await join(laptop, hub.joinUrl());
    const page = laptop.page;
    for (const id of ['notes', 'files', 'board', 'voice', 'connect', 'about']) {
      await openView(page, id);
      await expect(view(page, 'room')).toBeVisible();
      await expect(view(page, 'timeline')).toBeVisible();
    }
    await expect(sections(page).getByRole('link')).toHaveText(['Room', 'Chat', 'Notes', 'Files', 'Board', 'Voice', 'Scribe', 'Camera', 'Connect', 'About']);

    // Tab to the rail's "Files", as a keyboard user does; its focus ring shows; Enter opens it
    // and moves focus to the section.
    const files = sections(page).getByRole('link', { name: 'Files' });
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await files.evaluate((el) => el === document.activeElement);
    }
    expect(reached, 'Tab reaches the rail').toBe(true);
    expect(await files.evaluate((el) => el.matches(':focus-visible') && getComputedStyle(el).outlineStyle !== 'none')).toBe(true);
    await page.keyboard.press('Enter');
    await expect(view(page, 'files')).toBeVisible();
    await expect(view(page, 'files')).toBeFocused();
    // The next Tab lands inside the section.
    await page.keyboard.press('Tab');
    expect(await view(page, 'files').evaluate((el) => el.contains(document.activeElement))).toBe(true);

    // Picking a section that is beside the page keeps the page and moves focus there.
    await sections(page).getByRole('link', { name: 'Chat' }).click();
    await expect(view(page, 'timeline')).toBeFocused();
    await expect(view(page, 'files')).toBeVisible();
  });

  test('what arrives in a section off screen is marked on its tab until it is looked at', async ({ browser, hub }) => {
    const phone = await device(browser, 'Grace', PHONE);
    const laptop = await device(browser, 'Ada', LAPTOP);
    await join(phone, hub.joinUrl());
    await join(laptop, hub.joinUrl());
    await expectSees(phone, [laptop]);
    const chatTab = sections(phone.page).getByRole('link', { name: /^Chat/ });
    await expect(chatTab.getByTestId('tab-unseen')).toHaveCount(0);
    await sendChat(laptop, 'one');
    await sendChat(laptop, 'two');
    await expect(chatTab.getByTestId('tab-unseen')).toHaveText('2');
    await expect(chatTab).toHaveAccessibleName('Chat (2 new)');
    await openView(phone.page, 'timeline');
    await expect(chatTab.getByTestId('tab-unseen')).toHaveCount(0);
    // The phone's own message is not news to it.
    await openView(phone.page, 'room');
    await sendChat(phone, 'three');
    await openView(phone.page, 'room');
    await expect(phone.page.getByTestId('people-strip')).toContainText('You and Ada');
    await expect(chatTab.getByTestId('tab-unseen')).toHaveCount(0);
  });

  test('a file shared from another app opens the app on Files, where it goes to the room', async ({ browser, hub }) => {
    const phone = await device(browser, 'Grace', PHONE);
    await join(phone, hub.joinUrl());
    const page = phone.page;
    // The service worker receives the share (it controls the page after one reload on a first visit).
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 }).catch(() => page.reload());
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
    await expect(view(page, 'room')).toBeVisible();
    // What the phone does when someone picks Osmose in the share sheet: a multipart POST navigation.
    await page.evaluate(() => {
      const form = Object.assign(document.createElement('form'), { method: 'post', enctype: 'multipart/form-data', action: '/share-target' });
      form.append(Object.assign(document.createElement('input'), { type: 'file', name: 'files' }));
      document.body.append(form);
    });
    await page.locator('form[action="/share-target"] input').setInputFiles({ name: 'from-share-sheet.txt', mimeType: 'text/plain', buffer: Buffer.from('shared from another app') });
    await page.evaluate(() => document.querySelector<HTMLFormElement>('form[action="/share-target"]')!.submit());
    await expect(view(page, 'files')).toBeVisible();
    await expect(page.getByTestId('file-row').filter({ hasText: 'from-share-sheet.txt' })).toHaveAttribute('data-state', 'complete', { timeout: 20_000 });
    expect(new URL(page.url()).hash).toBe('#/files');
  });
});
