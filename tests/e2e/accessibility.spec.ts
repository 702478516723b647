/**
 * Accessibility, checked by axe (@axe-core/playwright) on every page and view people reach: the
 * app in each navigation state on a 360 px phone and a 1280 px laptop (with a live microphone, a
 * timer, messages, a note, a file), the welcome and refusal pages, guest mode, the onboarding page,
 * the wall display and the invitation page. No serious or critical violation is allowed.
 * The app's CSP blocks axe's injected script: every context here is opened with `bypassCSP`.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContextOptions, Page } from '@playwright/test';
import { test, expect } from './support/fixtures.ts';
import { join, sendChat, expectSees, type Device } from './support/devices.ts';
import { openView } from './support/shell.ts';
import { listen } from './support/voice.ts';

const SMALL_PHONE: BrowserContextOptions = { viewport: { width: 360, height: 740 }, isMobile: false, hasTouch: true, bypassCSP: true };
const LAPTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 }, bypassCSP: true };
/** Every view the registry has (src/app/feature-registry.ts), in its order. */
const VIEWS = ['room', 'timeline', 'notes', 'files', 'board', 'voice', 'scribe', 'camera', 'connect', 'about'];

async function device(browser: Browser, name: string, options: BrowserContextOptions): Promise<Device> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`[${name}] page error: ${err.message}`));
  return { context, page, name };
}

/** Runs axe on the page as it is; fails with every serious or critical violation, where it is. */
async function expectAccessible(page: Page, where: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
  expect(bad, `axe on ${where}`).toEqual([]);
}

/** Two devices in a room with messages, a note on the board, a file, a live microphone and a timer. */
async function furnishedRoom(browser: Browser, hubJoinUrl: string): Promise<{ phone: Device; laptop: Device }> {
  const phone = await device(browser, 'Grace Hopper', SMALL_PHONE);
  const laptop = await device(browser, 'Ada Lovelace', LAPTOP);
  for (const d of [phone, laptop]) await join(d, hubJoinUrl);
  await expectSees(laptop, [phone]);
  await sendChat(laptop, 'Slides for Thursday are on the board.');
  await sendChat(phone, 'On my way up.');
  await openView(laptop.page, 'notes');
  await laptop.page.getByTestId('note-title').fill('Agenda');
  await laptop.page.getByTestId('note-create').click();
  await laptop.page.getByTestId('note-body').fill('1. Welcome\n2. Budget');
  await laptop.page.getByTestId('note-pin').click();
  await openView(laptop.page, 'files');
  await laptop.page.getByTestId('file-input').setInputFiles({ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('the plan') });
  await expect(phone.page.getByTestId('file-row').filter({ hasText: 'plan.txt' })).toHaveCount(1, { timeout: 30_000 });
  await listen(laptop, 'here');
  // Long enough to outlast the checks below on a loaded machine.
  await laptop.page.getByTestId('timer-minutes').fill('60');
  await laptop.page.getByTestId('timer-start').click();
  return { phone, laptop };
}

test.describe('accessibility (axe)', () => {
  for (const layout of ['phone', 'laptop'] as const) {
    test(`every view of the app on a ${layout === 'phone' ? '360 px phone' : '1280 px laptop'}, in a room with things in it`, async ({ browser, hub }) => {
      test.setTimeout(600_000);
      const room = await furnishedRoom(browser, hub.joinUrl());
      const d = room[layout];
      for (const id of [...VIEWS, ...(layout === 'phone' ? ['more'] : [])]) {
        await openView(d.page, id);
        // Privacy indicators are on every view, never only behind a tab.
        await expect(d.page.getByTestId('mic-live')).toBeVisible();
        await expect(d.page.getByTestId('room-timer')).toBeVisible();
        await expectAccessible(d.page, `${layout}, ${id}`);
        if (layout === 'phone') {
          // Nothing makes a 360 px phone scroll sideways.
          expect(await d.page.evaluate(() => document.documentElement.scrollWidth), `${id} at 360 px`).toBeLessThanOrEqual(360);
        }
      }
      // States inside views: a note open, the room's QR code, an invitation being made.
      await openView(d.page, 'notes');
      // (The laptop still has the note it wrote open: pages keep their state behind other tabs.)
      if (!(await d.page.getByTestId('note-editor').isVisible())) await d.page.getByTestId('note-row').filter({ hasText: 'Agenda' }).getByTestId('note-open').click();
      await expect(d.page.getByTestId('note-editor')).toBeVisible();
      await expectAccessible(d.page, `${layout}, notes with a note open`);
      await openView(d.page, 'room');
      await d.page.getByTestId('share-room').click();
      await expect(d.page.getByTestId('share-qr')).toBeVisible();
      await expectAccessible(d.page, `${layout}, the room's QR code shown`);
      await openView(d.page, 'connect');
      await d.page.getByTestId('gateway-invite').click();
      await expect(d.page.getByTestId('invite-what')).toBeVisible();
      await expectAccessible(d.page, `${layout}, connect with the invitation form`);
    });
  }

  test('the pages around the app: welcome, refusal, guest mode, onboarding, wall display, invitation', async ({ browser, hub }) => {
    test.setTimeout(120_000);
    const { roomId, secret } = hub.room();

    const fresh = await device(browser, 'New', SMALL_PHONE);
    await fresh.page.goto(`${hub.origin}/`);
    await expect(fresh.page.getByTestId('scan')).toBeVisible();
    await expectAccessible(fresh.page, 'welcome (no room yet)');

    const refused = await device(browser, 'Mallory', SMALL_PHONE);
    await refused.page.goto(hub.joinUrl('A'.repeat(43)));
    await expect(refused.page.getByTestId('refused')).toBeVisible();
    await expectAccessible(refused.page, 'refused');

    const guest = await device(browser, 'Guest', SMALL_PHONE);
    await join(guest, `${hub.httpOrigin}/guest#r=${roomId}&s=${secret}`);
    await expect(guest.page.getByTestId('guest-notice')).toBeVisible();
    await expectAccessible(guest.page, 'guest mode, room');
    await openView(guest.page, 'timeline');
    await expectAccessible(guest.page, 'guest mode, chat');

    const onboarding = await device(browser, 'Onboarding', SMALL_PHONE);
    await onboarding.page.goto(`${hub.httpOrigin}/onboarding`);
    await expect(onboarding.page.getByTestId('probe')).not.toHaveText('Checking this device…');
    await expectAccessible(onboarding.page, 'onboarding');

    const wall = await device(browser, 'Wall', { viewport: { width: 1600, height: 900 }, bypassCSP: true });
    await wall.page.goto(`http://127.0.0.1:${hub.httpPort}/display`);
    await expect(wall.page.getByTestId('display-member')).toHaveCount(1);
    await expectAccessible(wall.page, 'wall display');

    const invite = await device(browser, 'Invited', SMALL_PHONE);
    await invite.page.goto(`${hub.origin}/invite#osmose-invite1.example`);
    await expect(invite.page.getByRole('heading', { level: 1 })).toBeVisible();
    await expectAccessible(invite.page, 'invitation page');
  });
});
