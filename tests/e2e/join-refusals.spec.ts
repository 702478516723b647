import { test, expect } from './support/fixtures.ts';
import { execFileSync } from 'node:child_process';
import { REPO } from './support/env.ts';
import { newDevice, join, expectSees, member } from './support/devices.ts';

test.describe('who gets in', () => {
  test('a wrong secret is refused with a clear message', async ({ browser, hub }) => {
    const mallory = await newDevice(browser, 'Mallory');
    await mallory.page.goto(hub.joinUrl('A'.repeat(43)));
    await expect(mallory.page.getByTestId('refused')).toHaveAttribute('data-code', 'wrong-secret');
    await expect(mallory.page.getByTestId('refused')).toContainText('does not match this room');
  });

  test('rotating the secret evicts every device; the new QR code lets people back in', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    const bob = await newDevice(browser, 'Bob');
    await join(alice, hub.joinUrl());
    await join(bob, hub.joinUrl());
    await expectSees(alice, [bob]);

    execFileSync(process.execPath, ['--import', 'tsx', 'hub/room/rotate-secret.ts', '--data', hub.dataDir], { cwd: REPO });
    for (const d of [alice, bob]) {
      await expect(d.page.getByTestId('refused')).toHaveAttribute('data-code', 'secret-rotated');
    }
    // Bob scans the new code; Alice (old secret) stays out.
    await bob.page.goto(hub.joinUrl());
    await expect(bob.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online');
    await expect(member(bob, 'Alice')).toHaveCount(0);
    await alice.page.reload();
    await expect(alice.page.getByTestId('refused')).toHaveAttribute('data-code', 'secret-rotated');
  });

  test('a device on plain HTTP is a guest: it is told what is missing and still joins the mesh', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    await join(alice, hub.joinUrl());
    const guest = await newDevice(browser, 'Guest');
    const { roomId, secret } = hub.room();
    await join(guest, `${hub.httpOrigin}/guest#r=${roomId}&s=${secret}`);
    await expect(guest.page.getByTestId('guest-notice')).toContainText('offline');
    await expect(guest.page.getByTestId('guest-notice')).toContainText('camera');
    await expect(guest.page.getByTestId('guest-notice').getByRole('link')).toHaveAttribute('href', '/onboarding');
    await expectSees(guest, [alice]);
    await expectSees(alice, [guest]);
    await expect(member(alice, 'Guest').getByTestId('member-caps')).toContainText('guest');
  });

  test('the QR link lands on onboarding, which sends a trusting device straight to the secure app', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    await alice.page.goto(hub.qrJoinUrl());
    await expect(alice.page).toHaveURL(new RegExp(`^${hub.origin}/`), { timeout: 15_000 });
    await expect(alice.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online');
    expect(alice.page.url()).not.toContain('s=');
  });
});
