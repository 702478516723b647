import { chromium } from '@playwright/test';
import { test, expect } from './support/fixtures.ts';
import path from 'node:path';
import { CHROMIUM_ARGS, E2E_TMP, TEST_HOME } from './support/env.ts';
import { writeQrY4m } from './support/fake-camera.ts';
import { newDevice, join, expectSees, sendChat, expectChat } from './support/devices.ts';

test.describe('joining by camera, and nothing leaves the LAN', () => {
  test('the in-app scanner joins from the room QR code shown to the camera', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    await join(alice, hub.joinUrl());

    const y4m = path.join(E2E_TMP, `qr-${hub.httpPort}.y4m`);
    writeQrY4m(y4m, hub.qrJoinUrl());
    const camBrowser = await chromium.launch({
      executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${y4m}`],
      env: { ...process.env, HOME: TEST_HOME },
    });
    try {
      const context = await camBrowser.newContext({ permissions: ['camera'] });
      const page = await context.newPage();
      await page.goto(hub.origin + '/');
      await page.getByTestId('scan').click();
      await expect(page.getByTestId('scanner-status')).toContainText('Point the camera');
      await expect(page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
      const bob = { context, page, name: 'Bob' };
      await page.getByTestId('rename').click();
      await page.getByTestId('name-input').fill('Bob');
      await page.getByTestId('name-input').press('Enter');
      await expectSees(bob, [alice]);
      await expectSees(alice, [bob]);
    } finally {
      await camBrowser.close();
    }
  });

  test('the app talks only to the hub: no other origin, no public STUN or TURN', async ({ browser, hub }) => {
    const devices = [await newDevice(browser, 'Alice'), await newDevice(browser, 'Bob')];
    const foreign: string[] = [];
    for (const d of devices) {
      d.context.on('request', (req) => {
        const url = req.url();
        if (!url.startsWith(hub.origin + '/') && !url.startsWith(hub.httpOrigin + '/') && !/^(data|blob):/.test(url)) foreign.push(url);
      });
      // Record every RTCPeerConnection configuration the app (or PeerJS) creates.
      await d.context.addInitScript(() => {
        const Original = window.RTCPeerConnection;
        const seen: unknown[] = [];
        (window as unknown as { __rtcConfigs: unknown[] }).__rtcConfigs = seen;
        window.RTCPeerConnection = class extends Original {
          constructor(config?: RTCConfiguration) {
            seen.push(JSON.parse(JSON.stringify(config ?? {})));
            super(config);
          }
        } as typeof RTCPeerConnection;
      });
    }
    for (const d of devices) await join(d, hub.joinUrl());
    await expectSees(devices[0]!, [devices[1]!]);
    await sendChat(devices[0]!, 'local only');
    await expectChat(devices[1]!, 'local only');

    expect(foreign).toEqual([]);
    for (const d of devices) {
      const configs = (await d.page.evaluate(() => (window as unknown as { __rtcConfigs: { iceServers?: unknown[] }[] }).__rtcConfigs)) ?? [];
      for (const c of configs) expect(c.iceServers ?? []).toEqual([]);
    }
    const initiator = await Promise.all(devices.map((d) => d.page.evaluate(() => (window as unknown as { __rtcConfigs: unknown[] }).__rtcConfigs.length)));
    expect(initiator.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  test('the wall display shows the QR code and who is here, live, on the hub only', async ({ browser, hub, request }) => {
    const display = await browser.newPage();
    await display.goto(`http://127.0.0.1:${hub.httpPort}/display`);
    await expect(display.getByTestId('display-room')).toHaveText('FW15');
    await expect(display.getByTestId('display-qr').locator('svg')).toBeVisible();
    await expect(display.getByTestId('display-count')).toHaveText('(0)');

    const alice = await newDevice(browser, 'Alice');
    await join(alice, hub.joinUrl());
    await expect(display.getByTestId('display-member')).toHaveText(['Alice']);
    await alice.page.getByTestId('leave').click();
    await expect(display.getByTestId('display-member')).toHaveCount(0, { timeout: 2_000 });

    // From a LAN address (not the hub itself) the display and its state are refused.
    const res = await request.get(`${hub.httpOrigin}/api/display/state`);
    expect(res.status()).toBe(403);
    expect(await res.text()).not.toContain(hub.room().secret);
  });
});
