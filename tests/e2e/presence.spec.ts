import { test, expect } from './support/fixtures.ts';
import { newDevice, join, expectSees, member } from './support/devices.ts';

test.describe('phones pause', () => {
  test.use({ hubOptions: { args: ['--grace', '5'] } });

  test('a backgrounded device shows as away, a frozen one is dropped after the grace period, both come back', async ({ browser, hub }) => {
    test.setTimeout(120_000);
    const alice = await newDevice(browser, 'Alice');
    const bob = await newDevice(browser, 'Bob');
    const carol = await newDevice(browser, 'Carol');
    for (const d of [alice, bob, carol]) await join(d, hub.joinUrl());
    await expectSees(alice, [bob, carol]);

    // Bob switches to another app: the page becomes hidden but keeps running.
    await bob.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    // Carol's phone sleeps: nothing on the page runs. (Headless pages are always visible, so
    // Page.setWebLifecycleState cannot freeze them; pausing the script thread does the same.)
    const carolCdp = await carol.context.newCDPSession(carol.page);
    await carolCdp.send('Debugger.enable');
    await carolCdp.send('Debugger.pause');

    await expect(member(alice, 'Carol')).toHaveAttribute('data-status', 'away', { timeout: 20_000 });
    await expect(member(alice, 'Carol')).toHaveCount(0, { timeout: 15_000 });
    await expect(member(alice, 'Bob')).toHaveAttribute('data-status', 'away', { timeout: 40_000 });

    await carolCdp.send('Debugger.resume');
    await bob.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await expect(member(alice, 'Bob')).toHaveAttribute('data-status', 'present', { timeout: 5_000 });
    await expect(member(alice, 'Carol')).toHaveAttribute('data-status', 'present', { timeout: 30_000 });
  });
});
