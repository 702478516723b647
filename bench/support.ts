/**
 * Shared plumbing for the benchmarks: the test browser (Debian Chromium trusting the test room
 * CA through an NSS db in TEST_HOME) and a registry of everything we start, so a failure or a
 * Ctrl-C never leaves a hub or a client process behind.
 */
import { chromium, type Browser, type BrowserContext } from '@playwright/test';
import type { ChildProcess } from 'node:child_process';
import globalSetup from '../tests/e2e/support/global-setup.ts';
import { CHROMIUM_ARGS, TEST_HOME } from '../tests/e2e/support/env.ts';
import type { TestHub } from '../tests/e2e/support/hub.ts';

let setupDone = false;

/** Makes the shared room CA and the NSS db (once per run). Must run inside the test namespace. */
export async function ensureE2eSetup(): Promise<void> {
  if (setupDone) return;
  await globalSetup();
  setupDone = true;
}

export async function launchBrowser(): Promise<Browser> {
  await ensureE2eSetup();
  return chromium.launch({
    executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: TEST_HOME },
  });
}

/**
 * A browser context whose pages tolerate functions compiled by tsx: esbuild's keepNames wraps
 * named inner functions in `__name(...)`, which does not exist in the page.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  return context;
}

// ---- cleanup registry -------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const hubs = new Set<TestHub>();

export function trackChild(p: ChildProcess): ChildProcess {
  children.add(p);
  p.once('exit', () => children.delete(p));
  return p;
}

export function trackHub(h: TestHub): TestHub {
  hubs.add(h);
  return h;
}

export async function stopHub(h: TestHub): Promise<void> {
  try {
    // Kill only if it has not stopped in 5 s; the timer must not outlive this stop, or it would
    // kill a hub restarted on the same object meanwhile.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fallback = new Promise<void>((r) => (timer = setTimeout(r, 5000))).then(() => h.kill());
    await Promise.race([h.stop().finally(() => clearTimeout(timer)), fallback]);
  } finally {
    hubs.delete(h);
  }
}

/** Sends SIGTERM, then SIGKILL after `graceMs`, and waits for the exit. */
export async function stopChild(p: ChildProcess, graceMs = 3000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

/** Synchronous last resort (process 'exit' or a signal): SIGKILL every child we know of. */
export function killAllSync(): void {
  for (const p of children) {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const h of hubs) {
    // TestHub keeps its process private; reach it only here, to make sure it dies with us.
    const proc = (h as unknown as { proc: ChildProcess | null }).proc;
    try {
      proc?.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
