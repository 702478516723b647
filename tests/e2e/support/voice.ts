/**
 * Voice tests: a browser whose fake microphone plays a spoken clip in a loop (made with espeak-ng
 * and sox by tests/support/voice-fixtures.ts), and helpers to turn a device's microphone on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, expect, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, E2E_TMP, TEST_HOME } from './env.ts';
import type { Device } from './devices.ts';
import { showView } from './shell.ts';

export const VOICE_DIR = path.join(E2E_TMP, 'voice');

/** A browser whose every context hears `wavFile` (looped) as its microphone. */
export function launchWithMic(wavFile: string): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-audio-capture=${wavFile}`, '--autoplay-policy=no-user-gesture-required'],
    env: { ...process.env, HOME: TEST_HOME },
  });
}

/** One file playing the given clips one after another (sox). */
export function concatClips(files: string[], name: string): string {
  fs.mkdirSync(VOICE_DIR, { recursive: true });
  const out = path.join(VOICE_DIR, name);
  if (!fs.existsSync(out)) execFileSync('sox', [...files, out]);
  return out;
}

/** Turns the device's microphone on, with the models run `where`. */
export async function listen(d: Device, where: 'here' | 'room' | 'auto' = 'here'): Promise<void> {
  await showView(d.page, 'voice');
  await d.page.getByTestId('voice-where').selectOption(where);
  await d.page.getByTestId('voice-listen').check();
  await expect(d.page.getByTestId('voice-live')).toBeVisible({ timeout: 20_000 });
}

/** Waits until the device's pipeline has scored at least `n` 80 ms steps. */
export async function waitSteps(d: Device, n: number, timeout = 120_000): Promise<void> {
  await expect
    .poll(async () => Number(await d.page.getByTestId('voice-live').getAttribute('data-steps')), { timeout, intervals: [500] })
    .toBeGreaterThanOrEqual(n);
}

export function events(d: Device, phrase?: string) {
  const all = d.page.getByTestId('voice-events').locator('li[data-phrase]');
  return phrase ? all.and(d.page.locator(`li[data-phrase="${phrase}"]`)) : all;
}

/** Opens "Heard in this room" (on the Voice page). */
export async function openEvents(d: Device): Promise<void> {
  await showView(d.page, 'voice');
  await expect(d.page.getByTestId('voice-events')).toBeVisible();
}
