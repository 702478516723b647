/**
 * Camera tests: a browser whose fake camera shows a photo (a Y4M made with ffmpeg, see
 * fake-camera.ts), optionally with a fake microphone too; helpers to turn a device's camera on.
 * Chromium's fake capture files are per browser launch: a device needing another picture gets its
 * own browser.
 */
import path from 'node:path';
import { chromium, expect, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, E2E_TMP, TEST_HOME } from './env.ts';
import type { Device } from './devices.ts';
import { showView } from './shell.ts';

export const CAMERA_DIR = path.join(E2E_TMP, 'cameras');

/** A browser whose every context sees `y4m` as its camera (and hears `wav`, when given, as its microphone). */
export function launchWithCamera(y4m: string, wav?: string): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${y4m}`, ...(wav ? [`--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'] : [])],
    env: { ...process.env, HOME: TEST_HOME },
  });
}

/** Turns the device's camera on at `spot`, its frames run `where`. */
export async function cameraOn(d: Device, spot: string, where: 'here' | 'room' | 'auto' = 'here', recognise = false): Promise<void> {
  await showView(d.page, 'camera');
  await d.page.getByTestId('camera-spot').fill(spot);
  await d.page.getByTestId('camera-spot').press('Tab');
  await d.page.getByTestId('camera-where').selectOption(where);
  if (recognise) await d.page.getByTestId('camera-recognise').check();
  await d.page.getByTestId('camera-on').check();
  await expect(d.page.getByTestId('camera-live-here')).toBeVisible({ timeout: 30_000 });
}

/** Waits until the device's camera has had at least `n` frames' faces back. */
export async function waitFrames(d: Device, n: number, timeout = 120_000): Promise<void> {
  await expect
    .poll(async () => Number(await d.page.getByTestId('camera-live-here').getAttribute('data-frames')), { timeout, intervals: [500] })
    .toBeGreaterThanOrEqual(n);
}
