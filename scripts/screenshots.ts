/**
 * README screenshots, made from the real app: a hub in the test network namespace, four devices
 * in a room with messages, a note, files on the board, a live microphone and a room timer; then
 * PNGs of a phone (390×844: the room, the chat; 360×740: a note), a laptop (1280×800) and the
 * wall display (1600×900), written to docs/screenshots/. Where `pngquant` is installed (Debian's
 * package) the PNGs are quantised to 256 colours, a third of their size.
 *
 *   npm run screenshots     (builds the diagnostics app, runs this in scripts/with-netns.sh)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Its own scratch folder: the browser tests' setup wipes theirs.
process.env.OSMOSE_E2E_TMP ??= path.join(REPO, '.tmp', 'screenshots');
const OUT = path.join(REPO, 'docs', 'screenshots');

const { chromium, expect } = await import('@playwright/test');
const { default: globalSetup } = await import('../tests/e2e/support/global-setup.ts');
const { TestHub } = await import('../tests/e2e/support/hub.ts');
const { CHROMIUM_ARGS, E2E_TMP, TEST_HOME } = await import('../tests/e2e/support/env.ts');
const { join, sendChat, expectSees } = await import('../tests/e2e/support/devices.ts');
type Device = import('../tests/e2e/support/devices.ts').Device;
const { openView, showView, view } = await import('../tests/e2e/support/shell.ts');

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1.5, isMobile: true, hasTouch: true };
const SMALL_PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 1.5, isMobile: true, hasTouch: true };
const LAPTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
const WALL = { viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 };

/** A one-page PDF ("Agenda"), the smallest Chromium's viewer renders. */
const AGENDA_PDF = `%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 37>>stream
BT /F1 18 Tf 10 40 Td (Agenda) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF`;

async function main(): Promise<void> {
  await globalSetup();
  fs.mkdirSync(OUT, { recursive: true });
  const files = path.join(E2E_TMP, 'screenshot-files');
  fs.mkdirSync(files, { recursive: true });
  fs.writeFileSync(path.join(files, 'thursday-agenda.pdf'), AGENDA_PDF);
  fs.copyFileSync(path.join(REPO, 'public', 'icons', 'icon-512.png'), path.join(files, 'poster-draft.png'));

  const hub = new TestHub('screenshots', { name: 'FW15', place: 'William Gates Building' });
  await hub.start();
  const browser = await chromium.launch({
    executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: TEST_HOME },
  });
  try {
    const device = async (name: string, options: object): Promise<Device> => {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      page.on('pageerror', (err) => console.log(`[${name}] page error: ${err.message}`));
      return { context, page, name };
    };
    const ada = await device('Ada Lovelace', LAPTOP);
    const alan = await device('Alan Turing', PHONE);
    const grace = await device('Grace Hopper', SMALL_PHONE);
    const kath = await device('Katherine Johnson', LAPTOP);
    const all = [ada, alan, grace, kath];
    for (const d of all) await join(d, hub.joinUrl());
    for (const d of all) await expectSees(d, all.filter((o) => o !== d));

    // The room's memory: messages, a reply, a reaction, a note, two files, the board.
    await sendChat(ada, 'Morning all! Slides for Thursday are on the board.');
    await sendChat(alan, 'On my way up, two minutes.');
    await sendChat(kath, 'Can someone open the window? It is warm in here.');
    await sendChat(grace, 'Done. I added the budget to the agenda.');
    await showView(ada.page, 'timeline');
    const first = ada.page.getByTestId('chat-message').filter({ hasText: 'Slides for Thursday' });
    await first.getByTestId('pin').click();
    for (const d of [alan, kath]) {
      await showView(d.page, 'timeline');
      await d.page.getByTestId('chat-message').filter({ hasText: 'Slides for Thursday' }).locator('[data-emoji="👍"]').click();
    }
    await openView(ada.page, 'notes');
    await ada.page.getByTestId('note-title').fill('Agenda, Thursday');
    await ada.page.getByTestId('note-create').click();
    await ada.page.getByTestId('note-body').click();
    await ada.page.keyboard.type('1. Welcome and coffee\n2. Poster draft: feedback\n3. Budget for the spring workshop\n4. Who brings the projector?');
    await ada.page.getByTestId('note-pin').click();
    await openView(alan.page, 'files');
    await alan.page.getByTestId('file-input').setInputFiles([path.join(files, 'poster-draft.png'), path.join(files, 'thursday-agenda.pdf')]);
    for (const d of all) {
      await showView(d.page, 'files');
      await expect(d.page.getByTestId('file-row')).toHaveCount(2, { timeout: 60_000 });
    }

    // Ada's laptop listens for the room; a timer runs.
    await openView(ada.page, 'voice');
    await ada.page.getByTestId('voice-where').selectOption('here');
    await ada.page.getByTestId('voice-listen').check();
    await expect(ada.page.getByTestId('voice-live')).toBeVisible({ timeout: 60_000 });
    await ada.page.getByTestId('timer-minutes').fill('10');
    await ada.page.getByTestId('timer-start').click();
    for (const d of all) {
      await expect(d.page.getByTestId('mic-live')).toBeVisible();
      await expect(d.page.getByTestId('room-timer')).toBeVisible();
      await expect(d.page.getByTestId('saved-state')).toHaveAttribute('data-saved', 'true');
    }

    const shot = async (d: Device, file: string) => {
      await d.page.evaluate(() => document.fonts.ready);
      const out = path.join(OUT, file);
      await d.page.screenshot({ path: out });
      try {
        execFileSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--quality', '70-95', '--output', out, out]);
      } catch (err) {
        // 98/99: not smaller, or quality too low: the PNG stays as it was.
        const code = (err as { code?: string; status?: number }).code ?? (err as { status?: number }).status;
        if (code !== 'ENOENT' && code !== 98 && code !== 99) throw err;
      }
      console.log(`wrote docs/screenshots/${file} (${Math.round(fs.statSync(out).size / 1024)} kB)`);
    };
    await openView(alan.page, 'room');
    await shot(alan, 'phone-room.png');
    await openView(alan.page, 'timeline');
    await shot(alan, 'phone-chat.png');
    await openView(grace.page, 'notes');
    await grace.page.getByTestId('note-row').filter({ hasText: 'Agenda, Thursday' }).getByTestId('note-open').click();
    await shot(grace, 'phone-note-360.png');
    await openView(ada.page, 'files');
    await expect(view(ada.page, 'files')).toBeVisible();
    await shot(ada, 'laptop.png');

    const wall = await device('wall', WALL);
    await wall.page.goto(`http://127.0.0.1:${hub.httpPort}/display`);
    await expect(wall.page.getByTestId('display-member')).toHaveCount(4);
    await expect(wall.page.getByTestId('display-timer')).toBeVisible();
    await shot(wall, 'display.png');
  } finally {
    await browser.close();
    await hub.stop();
  }
}

await main();
