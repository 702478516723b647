/**
 * Files in the room, on real Chromium devices: a 200 MB file to two devices with matching hashes
 * and bounded memory, a transfer interrupted on either end that resumes without refetching, a
 * cancel on either end, a chunk corrupted in flight that is caught and fetched again, the hub's
 * copy for a late joiner, an image preview, a PDF opened apart from the app, and a file arriving
 * through the PWA share target.
 */
import path from 'node:path';
import { test, expect } from './support/fixtures.ts';
import { newDevice, join, expectSees, type Device } from './support/devices.ts';
import { openView } from './support/shell.ts';
import { E2E_TMP } from './support/env.ts';
import { corruptNextChunks, downloadStats, fileRow, heapSampler, seededFile, shareFile, storedCount, storedNow, storedSha256 } from './support/files.ts';

const MB = 1024 * 1024;
/** One page, "Hello": the smallest PDF Chromium's viewer renders. */
const TINY_PDF = `%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 36>>stream
BT /F1 18 Tf 10 40 Td (Hello) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF`;
const BIG_MB = Number(process.env.OSMOSE_E2E_FILE_MB ?? 200);
const dir = path.join(E2E_TMP, 'files');

async function room(browser: Parameters<typeof newDevice>[0], url: string, names: string[]): Promise<Device[]> {
  const devices: Device[] = [];
  for (const n of names) {
    const d = await newDevice(browser, n);
    await join(d, url);
    await openView(d.page, 'files');
    devices.push(d);
  }
  for (const d of devices) await expectSees(d, devices.filter((o) => o !== d));
  return devices;
}

test.describe('files in the room', () => {
  test(`a ${BIG_MB} MB file reaches two devices intact, in bounded memory`, async ({ browser, hub }) => {
    test.setTimeout(600_000);
    const src = await seededFile(dir, 'big.bin', BIG_MB * MB, 1);
    const [alice, bob, carol] = await room(browser, hub.joinUrl(), ['Alice', 'Bob', 'Carol']);

    const t0 = Date.now();
    const id = await shareFile(alice!, src.file, 300_000);
    const prepared = (Date.now() - t0) / 1000;
    expect(await storedSha256(alice!.page, id)).toBe(src.sha256);

    const receivers = [bob!, carol!];
    // Big files are fetched on request.
    for (const d of receivers) await expect(fileRow(d, id)).toHaveAttribute('data-state', 'remote');
    const samplers = await Promise.all(receivers.map((d) => heapSampler(d.page)));
    const t1 = Date.now();
    for (const d of receivers) await fileRow(d, id).getByTestId('file-download').click();
    for (const d of receivers) await expect(fileRow(d, id)).toHaveAttribute('data-state', 'complete', { timeout: 480_000 });
    const seconds = (Date.now() - t1) / 1000;
    const heaps = await Promise.all(samplers.map((s) => s.stop()));

    for (const d of receivers) expect(await storedSha256(d.page, id)).toBe(src.sha256);
    // The sender saw both receivers through to the end.
    await expect(fileRow(alice!, id).getByTestId('file-sending')).toHaveCount(2);
    for (const s of await fileRow(alice!, id).getByTestId('file-sending').all()) await expect(s).toHaveAttribute('data-state', 'done');
    const growth = heaps.map((h) => Math.round(h.growth / MB));
    console.log(
      `[files] ${BIG_MB} MB: prepared on the sender in ${prepared.toFixed(1)} s; both receivers complete in ${seconds.toFixed(1)} s ` +
        `(${((2 * BIG_MB) / seconds).toFixed(1)} MB/s together); receiver JS heap growth at peak: ${growth.join(', ')} MB`,
    );
    // A functional bound, not a timing: the file never sits in the JS heap.
    for (const g of growth) expect(g).toBeLessThan(150);
  });

  test('a transfer interrupted on either end resumes without refetching what was stored', async ({ browser, hub }) => {
    test.setTimeout(300_000);
    const src = await seededFile(dir, 'resume.bin', 80 * MB, 2);
    const total = Math.ceil(src.size / (256 * 1024));
    const [alice, bob] = await room(browser, hub.joinUrl(), ['Alice', 'Bob']);
    const id = await shareFile(alice!, src.file);
    await fileRow(bob!, id).getByTestId('file-download').click();

    // The receiver's page closes part-way; the same browser profile opens the app again.
    // Read from the page's state, not IndexedDB: a count queued behind the writes can come back after the download has finished.
    await expect.poll(() => storedNow(bob!.page, id), { timeout: 60_000, intervals: [100] }).toBeGreaterThan(40);
    await bob!.page.close();
    bob!.page = await bob!.context.newPage();
    await bob!.page.goto(hub.origin + '/');
    // The reopened page first loads the room's memory from IndexedDB: slow on a loaded machine.
    await expect(fileRow(bob!, id)).toHaveAttribute('data-state', /downloading|complete/, { timeout: 60_000 });
    const resumed = (await downloadStats(bob!.page, id))!;
    expect(resumed.startedWith).toBeGreaterThan(40);

    // Now the sender's page closes part-way (the hub has only part of the file: its upload
    // yields to the transfer); it comes back and the receiver carries on.
    await expect.poll(() => storedCount(bob!.page, id), { timeout: 60_000, intervals: [100] }).toBeGreaterThan(resumed.startedWith + 20);
    expect(await storedCount(bob!.page, id)).toBeLessThan(total);
    await alice!.page.close();
    await expect(fileRow(bob!, id)).toHaveAttribute('data-state', /waiting|downloading/);
    alice!.page = await alice!.context.newPage();
    await alice!.page.goto(hub.origin + '/');
    await expect(fileRow(bob!, id)).toHaveAttribute('data-state', 'complete', { timeout: 180_000 });
    const done = (await downloadStats(bob!.page, id))!;
    // Every download after a break fetched exactly what was missing: nothing stored came twice.
    expect(done.startedWith + done.fetched).toBe(total);
    expect(await storedSha256(bob!.page, id)).toBe(src.sha256);
  });

  test('either end can cancel: the transfer stops and both sides say so', async ({ browser, hub }) => {
    test.setTimeout(180_000);
    const src = await seededFile(dir, 'cancel.bin', 64 * MB, 5);
    const [alice, bob, carol] = await room(browser, hub.joinUrl(), ['Alice', 'Bob', 'Carol']);
    const id = await shareFile(alice!, src.file);

    // The receiver cancels: nothing of the file stays on it, the sender sees the cancel.
    await fileRow(bob!, id).getByTestId('file-download').click();
    await expect.poll(() => storedCount(bob!.page, id), { timeout: 60_000, intervals: [100] }).toBeGreaterThan(5);
    await fileRow(bob!, id).getByTestId('file-cancel').click();
    await expect(fileRow(bob!, id)).toHaveAttribute('data-state', 'cancelled');
    await expect.poll(() => storedCount(bob!.page, id)).toBe(0);
    await expect(fileRow(alice!, id).locator(`[data-testid="file-sending"][data-peer-id]`).first()).toHaveAttribute('data-state', 'cancelled');

    // The sender stops sending: the receiver stops too, keeps what it has, and can ask again.
    await fileRow(carol!, id).getByTestId('file-download').click();
    await expect.poll(() => storedCount(carol!.page, id), { timeout: 60_000, intervals: [100] }).toBeGreaterThan(5);
    await fileRow(alice!, id).getByTestId('file-stop-sending').click();
    await expect(fileRow(carol!, id)).toHaveAttribute('data-state', 'cancelled');
    await expect(fileRow(carol!, id).getByTestId('file-state')).toContainText('by the sender');
    const kept = await storedCount(carol!.page, id);
    expect(kept).toBeGreaterThan(5);
    await fileRow(carol!, id).getByTestId('file-download').click();
    await expect(fileRow(carol!, id)).toHaveAttribute('data-state', 'complete', { timeout: 120_000 });
    expect((await downloadStats(carol!.page, id))!.startedWith).toBe(kept);
    expect(await storedSha256(carol!.page, id)).toBe(src.sha256);
  });

  test('a chunk corrupted in flight is caught and fetched again', async ({ browser, hub }) => {
    const src = await seededFile(dir, 'corrupt.bin', 6 * MB, 3);
    const [alice, bob] = await room(browser, hub.joinUrl(), ['Alice', 'Bob']);
    await corruptNextChunks(alice!.page, 1);
    const id = await shareFile(alice!, src.file);
    // Small files are fetched as soon as they are shared.
    await expect(fileRow(bob!, id)).toHaveAttribute('data-state', 'complete', { timeout: 60_000 });
    expect((await downloadStats(bob!.page, id))!.bad).toBe(1);
    expect(await storedSha256(bob!.page, id)).toBe(src.sha256);
  });

  test('after everyone has left, a new device gets the file from the hub', async ({ browser, hub }) => {
    const src = await seededFile(dir, 'kept.bin', 5 * MB + 123, 4);
    const [alice, bob] = await room(browser, hub.joinUrl(), ['Alice', 'Bob']);
    const id = await shareFile(alice!, src.file);
    await expect(fileRow(alice!, id).getByTestId('file-hub')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(fileRow(bob!, id)).toHaveAttribute('data-state', 'complete', { timeout: 60_000 });
    for (const d of [alice!, bob!]) await d.context.close();

    const dave = await newDevice(browser, 'Dave');
    await join(dave, hub.joinUrl());
    await openView(dave.page, 'files');
    await expect(fileRow(dave, id)).toHaveAttribute('data-state', 'complete', { timeout: 60_000 });
    expect(await storedSha256(dave.page, id)).toBe(src.sha256);
  });

  test('an image opens in a preview', async ({ browser, hub }) => {
    const [alice, bob] = await room(browser, hub.joinUrl(), ['Alice', 'Bob']);
    // A 2x2 PNG made in the page: the file picker takes it like any file.
    const png = await alice!.page.evaluate(async () => {
      const c = new OffscreenCanvas(2, 2);
      c.getContext('2d')!.fillRect(0, 0, 1, 1);
      return [...new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer())];
    });
    await alice!.page.getByTestId('file-input').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    const row = bob!.page.getByTestId('file-row').filter({ hasText: 'dot.png' });
    await expect(row).toHaveAttribute('data-state', 'complete', { timeout: 30_000 });
    await row.getByTestId('file-open').click();
    const img = bob!.page.getByTestId('file-preview').locator('img');
    await expect(img).toBeVisible();
    expect(await img.evaluate((i: HTMLImageElement) => i.decode().then(() => i.naturalWidth))).toBe(2);
    await bob!.page.getByTestId('file-preview-close').click();
    await expect(bob!.page.getByTestId('file-preview')).toHaveCount(0);
  });

  test('a PDF opens in the browser\'s own viewer, apart from the app, never in a frame of its origin', async ({ browser, hub }) => {
    const [alice, bob] = await room(browser, hub.joinUrl(), ['Alice', 'Bob']);
    await alice!.page.getByTestId('file-input').setInputFiles({ name: 'plan.pdf', mimeType: 'application/pdf', buffer: Buffer.from(TINY_PDF) });
    const row = bob!.page.getByTestId('file-row').filter({ hasText: 'plan.pdf' });
    await expect(row).toHaveAttribute('data-state', 'complete', { timeout: 30_000 });
    await row.getByTestId('file-open').click();
    const preview = bob!.page.getByTestId('file-preview');
    await expect(preview).toHaveAttribute('data-kind', 'pdf');
    // Nothing from another member is framed in the app's origin.
    await expect(bob!.page.locator('iframe, embed, object')).toHaveCount(0);
    const link = preview.getByTestId('file-open-pdf');
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
    const [tab] = await Promise.all([bob!.context.waitForEvent('page'), link.click()]);
    // The browser's PDF viewer renders it (in Chromium: its PDF extension's frame in the tab).
    await expect.poll(() => tab.frames().some((f) => f.url().startsWith('chrome-extension://')), { timeout: 15_000 }).toBe(true);
    expect(tab.url()).toMatch(/^blob:/);
    expect(await tab.evaluate(() => window.opener)).toBeNull();
    await tab.close();
  });

  test('a file shared from another app (the share target) lands in the room', async ({ browser, hub }) => {
    const [alice, bob] = await room(browser, hub.joinUrl(), ['Alice', 'Bob']);
    const page = alice!.page;
    const manifest = await page.evaluate(async () => (await (await fetch(document.querySelector<HTMLLinkElement>('link[rel=manifest]')!.href)).json()) as { share_target?: { action: string; method: string } });
    expect(manifest.share_target).toMatchObject({ action: '/share-target', method: 'POST' });
    // The service worker must control the page (it does after one reload on a first visit).
    if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
      await page.waitForFunction(async () => Boolean((await navigator.serviceWorker.ready).active), null, { timeout: 15_000 });
      await page.reload();
    }
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
    // What the OS does when someone picks Osmose in the share sheet: a multipart POST.
    const landed = await page.evaluate(async () => {
      const form = new FormData();
      form.append('files', new File(['shared from another app'], 'from-share-sheet.txt', { type: 'text/plain' }));
      return (await fetch('/share-target', { method: 'POST', body: form })).url;
    });
    expect(new URL(landed).pathname + new URL(landed).search).toBe('/?shared=1');
    await page.goto(landed);
    const row = page.getByTestId('file-row').filter({ hasText: 'from-share-sheet.txt' });
    await expect(row).toHaveAttribute('data-state', 'complete', { timeout: 20_000 });
    expect(new URL(page.url()).search).toBe('');
    await expect(bob!.page.getByTestId('file-row').filter({ hasText: 'from-share-sheet.txt' })).toHaveAttribute('data-state', 'complete', { timeout: 20_000 });
  });
});
