/** Files for browser tests: seeded test files on disk, the app's files debug handle, heap sampling. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';
import type { Device } from './devices.ts';
import { showView } from './shell.ts';

/**
 * `size` bytes from a seeded generator (AES-128-CTR over zeros, key from the seed): the same file
 * every run, written in 8 MiB pieces, never whole in memory. Returns its path and SHA-256.
 */
export async function seededFile(dir: string, name: string, size: number, seed: number): Promise<{ file: string; sha256: string; size: number }> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  const key = crypto.createHash('sha256').update(`osmose-test-${seed}`).digest().subarray(0, 16);
  const cipher = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  for (let at = 0; at < size; at += zeros.length) {
    const piece = cipher.update(zeros.subarray(0, Math.min(zeros.length, size - at)));
    hash.update(piece);
    fs.writeSync(fd, piece);
  }
  fs.closeSync(fd);
  return { file, sha256: hash.digest('hex'), size };
}

/** The part of the app's `window.osmoseFiles` (src/diagnostics/files-handle.ts) the tests use. */
interface FilesDebug {
  storedSha256(fileId: string): Promise<string | null>;
  storedCount(fileId: string): Promise<number>;
  list(): { id: string; stored: number }[];
  download(fileId: string): { startedWith: number; fetched: number; bad: number; ms: { fetch: number; verify: number }; bySource: Record<string, number> } | null;
  corruptNextChunks(n: number): void;
}
type W = { osmoseFiles: FilesDebug };

/** The file's SHA-256 as this device stores it, read back from IndexedDB. */
export function storedSha256(page: Page, fileId: string): Promise<string | null> {
  return page.evaluate((id) => (window as unknown as W).osmoseFiles.storedSha256(id), fileId);
}

export function storedCount(page: Page, fileId: string): Promise<number> {
  return page.evaluate((id) => (window as unknown as W).osmoseFiles.storedCount(id), fileId);
}

/** How many chunks the page's file state says it holds: in memory, so a test can act at once (no IndexedDB read queued behind the writes). */
export function storedNow(page: Page, fileId: string): Promise<number> {
  return page.evaluate((id) => (window as unknown as W).osmoseFiles.list().find((f) => f.id === id)?.stored ?? 0, fileId);
}

export function downloadStats(page: Page, fileId: string) {
  return page.evaluate((id) => (window as unknown as W).osmoseFiles.download(id), fileId);
}

export function corruptNextChunks(page: Page, n: number): Promise<void> {
  return page.evaluate((k) => (window as unknown as W).osmoseFiles.corruptNextChunks(k), n);
}

export function fileRow(device: Device, fileId: string) {
  return device.page.locator(`[data-testid="file-row"][data-file-id="${fileId}"]`);
}

/** Shares a file from disk through the picker; resolves to its id once it is in the room. */
export async function shareFile(device: Device, file: string, timeout = 120_000): Promise<string> {
  await showView(device.page, 'files');
  const before = new Set(await device.page.getByTestId('file-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-file-id'))));
  await device.page.getByTestId('file-input').setInputFiles(file);
  const row = device.page.getByTestId('file-row').filter({ hasText: path.basename(file) });
  await expect(row.first()).toHaveAttribute('data-state', 'complete', { timeout });
  const ids = await device.page.getByTestId('file-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-file-id')));
  const id = ids.find((x) => x && !before.has(x));
  if (!id) throw new Error('shared file did not appear');
  return id;
}

/**
 * Memory the page's JavaScript holds, sampled every `everyMs` until stopped (CDP
 * Runtime.getHeapUsage): the V8 heap plus ArrayBuffer backing stores and the embedder (DOM) heap.
 * ArrayBuffers live outside the V8 heap, so the heap alone would miss chunk bytes held in memory.
 */
export async function heapSampler(page: Page, everyMs = 200, opts: { gcEveryMs?: number } = {}) {
  const cdp = await page.context().newCDPSession(page);
  const read = async () => {
    const u = await cdp.send('Runtime.getHeapUsage');
    return u.usedSize + (u.backingStorageSize ?? 0) + (u.embedderHeapUsedSize ?? 0);
  };
  const base = await read();
  let peak = base;
  let livePeak = base;
  let samples = 0;
  let running = true;
  let lastGc = Date.now();
  const loop = (async () => {
    while (running) {
      const v = await read().catch(() => 0);
      peak = Math.max(peak, v);
      samples++;
      // Optionally, what is still reachable: a full GC now and then, then a sample. The plain
      // peak includes garbage V8 has not collected yet (it lets ~64 MB of dead ArrayBuffers build up).
      if (opts.gcEveryMs && Date.now() - lastGc >= opts.gcEveryMs) {
        lastGc = Date.now();
        await cdp.send('HeapProfiler.collectGarbage').catch(() => undefined);
        livePeak = Math.max(livePeak, await read().catch(() => 0));
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    base,
    async stop() {
      running = false;
      await loop;
      await cdp.detach().catch(() => undefined);
      return { base, peak, growth: peak - base, liveGrowth: livePeak - base, samples };
    },
  };
}
