/** Helpers for the inference runtime's browser tests: a private copy of the build, page helpers. */
import fs from 'node:fs';
import path from 'node:path';
import https from 'node:https';
import type { Page } from '@playwright/test';
import os from 'node:os';
import zlib from 'node:zlib';
import { APP_DIR } from './env.ts';

/**
 * A private copy of the diagnostics build for one hub (optionally with one model's bytes changed), so that a hub
 * rebuilding it for someone else's edit cannot pull the build from under a test. Not under
 * E2E_TMP: that is often inside `.tmp/`, and the hub's `sendFile` refuses paths with dot folders.
 */
export function appCopy(label: string, tamper?: string): string {
  const dir = path.join(os.tmpdir(), `osmose-e2e-app-${label}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(APP_DIR, dir, { recursive: true });
  if (tamper) {
    const file = path.join(dir, 'models', `${tamper}.onnx`);
    const bytes = fs.readFileSync(file);
    const i = bytes.length >> 1;
    bytes[i] = bytes[i]! ^ 0xff; // one flipped byte, same size
    fs.writeFileSync(file, bytes);
    // The hub serves the gzip copy to browsers: it must carry the same tampered bytes.
    if (fs.existsSync(`${file}.gz`)) fs.writeFileSync(`${file}.gz`, zlib.gzipSync(bytes));
  }
  return dir;
}

/** Headers of a hub response (the test CA is not in Node's store; only headers are checked). */
export function headersOf(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'HEAD', rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

type Handle = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** Calls `window.osmoseInference[method]`; a rejection comes back as `{ error: { code, message } }`. */
export async function infer<T = unknown>(page: Page, method: string, ...args: unknown[]): Promise<T | { error: { code: string; message: string } }> {
  return page.evaluate(
    async ({ method, args }) => {
      const h = (window as unknown as { osmoseInference: Handle }).osmoseInference;
      try {
        return (await h[method]!(...args)) as never;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        return { error: { code: err.code ?? 'none', message: err.message ?? String(e) } } as never;
      }
    },
    { method, args },
  );
}

/** Sine + seeded noise in [-scale, scale], as plain numbers for page.evaluate. */
export function signal(n: number, scale: number, seed = 7): number[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, (_, i) => scale * (0.6 * Math.sin((2 * Math.PI * 440 * i) / 16000) + 0.4 * (rnd() * 2 - 1)));
}
