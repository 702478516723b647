import { test, expect } from './support/fixtures.ts';
import { newDevice, join, expectSees, sendChat, expectChat, member } from './support/devices.ts';

test.describe('a room with three devices', () => {
  test('join by link, see each other with capabilities, message, leave', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    const bob = await newDevice(browser, 'Bob');
    const carol = await newDevice(browser, 'Carol');
    for (const d of [alice, bob, carol]) await join(d, hub.joinUrl());

    // The secret left the address bar.
    expect(alice.page.url()).not.toContain('s=');
    await expect(alice.page.getByTestId('room-name')).toHaveText('FW15');

    await expectSees(alice, [bob, carol]);
    await expectSees(bob, [alice, carol]);
    await expectSees(carol, [alice, bob]);
    await expect(member(alice, 'Bob').getByTestId('member-caps')).toContainText('cores');
    await expect(member(alice, 'Bob').getByTestId('member-caps')).toContainText('v0.1.0');

    await sendChat(alice, 'hello from Alice');
    await expectChat(bob, 'hello from Alice');
    await expectChat(carol, 'hello from Alice');

    await carol.page.close();
    await expect(member(alice, 'Carol')).toHaveCount(0, { timeout: 2_000 });
    await expect(member(bob, 'Carol')).toHaveCount(0, { timeout: 2_000 });
    await sendChat(bob, 'still here');
    await expectChat(alice, 'still here');
  });
});
