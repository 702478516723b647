import { chromium } from '@playwright/test';
import { test, expect } from './support/fixtures.ts';
import { CHROMIUM_ARGS, E2E_TMP, TEST_HOME } from './support/env.ts';
import { ffmpegMissing, writePhotoY4m } from './support/fake-camera.ts';
import { DEMO_FACES, DEMO_PHOTOS, demoPhotoPath } from '../support/face-photos.ts';
import path from 'node:path';

/** Grabs a frame from the (fake) camera as RGBA and counts its faces in the real inference worker. */
async function countFromCamera(page: import('@playwright/test').Page): Promise<{ width: number; height: number; faces: number; scores: number[] }> {
  return page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = stream;
    await video.play();
    // A few frames in, so that the first (possibly blank) one has passed.
    for (let i = 0; i < 3; i++) await new Promise((r) => video.requestVideoFrameCallback(r));
    const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(video, 0, 0);
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    for (const t of stream.getTracks()) t.stop();
    type H = { detectFaces(f: { width: number; height: number; data: Uint8ClampedArray }): Promise<{ faces: { score: number }[] }> };
    const r = await (window as unknown as { osmoseInference: H }).osmoseInference.detectFaces({ width: img.width, height: img.height, data: img.data });
    return { width: img.width, height: img.height, faces: r.faces.length, scores: r.faces.map((f) => Math.round(f.score * 100) / 100) };
  });
}

test.describe('faces from a camera, in the inference worker', () => {
  test('counts the people in each demo photo shown to a 320x240 fake camera', async ({ hub }) => {
    test.skip(!!ffmpegMissing(), ffmpegMissing());
    test.setTimeout(180_000);
    const counts: Record<number, number> = {};
    for (const n of DEMO_PHOTOS) {
      const y4m = writePhotoY4m(path.join(E2E_TMP, 'cameras'), demoPhotoPath(n));
      const browser = await chromium.launch({
        executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
        args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${y4m}`],
        env: { ...process.env, HOME: TEST_HOME },
      });
      try {
        const context = await browser.newContext({ permissions: ['camera'] });
        const page = await context.newPage();
        await page.goto(hub.origin + '/');
        await page.waitForFunction(() => 'osmoseInference' in window);
        const r = await countFromCamera(page);
        console.log(`sample${n}: ${r.faces} faces (${DEMO_FACES[n]} by eye) in a ${r.width}x${r.height} camera frame, scores ${r.scores.join(', ')}`);
        expect([r.width, r.height]).toEqual([320, 240]);
        counts[n] = r.faces;
      } finally {
        await browser.close();
      }
    }
    expect(counts).toEqual(DEMO_FACES);
  });
});
