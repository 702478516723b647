import { test, expect } from './support/fixtures.ts';
import { newDevice, join, expectSees, sendChat, expectChat } from './support/devices.ts';

test.describe('when the hub goes away', () => {
  test('the mesh keeps talking while the hub is down, and re-forms after a restart', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    const bob = await newDevice(browser, 'Bob');
    const carol = await newDevice(browser, 'Carol');
    for (const d of [alice, bob, carol]) await join(d, hub.joinUrl());
    await expectSees(alice, [bob, carol]);
    await expectSees(carol, [alice, bob]);

    await hub.kill();
    for (const d of [alice, bob, carol]) {
      await expect(d.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'unreachable');
    }
    // Direct channels do not need the hub.
    await sendChat(alice, 'hub is down but we are not');
    await expectChat(bob, 'hub is down but we are not');
    await expectChat(carol, 'hub is down but we are not');

    await hub.start();
    for (const d of [alice, bob, carol]) {
      await expect(d.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online', { timeout: 15_000 });
    }
    // Same ids, no "ID taken": a device that reloads now finds everyone through the new hub.
    await bob.page.reload();
    await expect(bob.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online');
    await expectSees(bob, [alice, carol]);
    await expectSees(alice, [bob, carol]);
    await sendChat(bob, 'back after restart');
    await expectChat(alice, 'back after restart');
    await expectChat(carol, 'back after restart');
    expect(hub.output).not.toContain('ID-TAKEN');
  });

  test('an installed app reloads offline with the hub down and says it is retrying', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    await join(alice, hub.joinUrl());
    // The service worker registers over HTTPS on the LAN address because the browser trusts the room CA.
    await alice.page.waitForFunction(async () => Boolean((await navigator.serviceWorker.ready).active) && navigator.serviceWorker.controller !== null, null, { timeout: 15_000 }).catch(async () => {
      // First load: the worker activates and claims the page; one reload makes it control navigation.
      await alice.page.reload();
    });
    await alice.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
    // Installable: a manifest with a start URL, standalone display and 192/512 px icons that load.
    const manifest = await alice.page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel=manifest]')!.href;
      const m = (await (await fetch(href)).json()) as { start_url: string; display: string; icons: { src: string; sizes: string }[] };
      const iconsOk = await Promise.all(m.icons.map(async (i) => (await fetch(i.src)).ok));
      return { ...m, iconsOk };
    });
    expect(manifest).toMatchObject({ start_url: '/', display: 'standalone' });
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(manifest.iconsOk.every(Boolean)).toBe(true);

    await hub.kill();
    await alice.page.reload();
    await expect(alice.page.getByTestId('room-name')).toHaveText('FW15');
    await expect(alice.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'unreachable');
    await expect(alice.page.getByTestId('hub-status')).toHaveText(/unreachable, retrying/);
    await expect(alice.page.getByTestId('my-name')).toHaveText('Alice');

    // And it comes back by itself.
    await hub.start();
    await expect(alice.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online', { timeout: 15_000 });
  });
});
