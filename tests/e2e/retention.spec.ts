import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from './support/fixtures.ts';
import { newDevice, join, sendChat, expectChat } from './support/devices.ts';
import { showView } from './support/shell.ts';

test('expired messages are deleted everywhere: on every device and on the hub’s disk', async ({ browser, hub }) => {
  const alice = await newDevice(browser, 'Alice');
  // Alice's clock is 40 days behind: what she writes is already past the room's 30-day retention.
  await alice.page.clock.install({ time: new Date(Date.now() - 40 * 86_400_000) });
  const bob = await newDevice(browser, 'Bob');
  await join(alice, hub.joinUrl());
  await join(bob, hub.joinUrl());
  await expect(bob.page.getByTestId('retention')).toContainText('30 days');

  await sendChat(bob, 'fresh news');
  await sendChat(alice, 'ancient-history-7f3a');
  // A note Alice makes after the message (notes do not expire): Yjs delivers one device's edits
  // in order, so whoever has the note has been sent the message too. The barrier for the checks
  // of absence below.
  await showView(alice.page, 'notes');
  await alice.page.getByTestId('note-title').fill('after-the-ancient-message');
  await alice.page.getByTestId('note-create').click();
  await expectChat(alice, 'fresh news');
  // The hub applies retention as the update arrives; the deletion reaches everyone.
  for (const d of [alice, bob]) {
    await expect(d.page.getByTestId('note-row').filter({ hasText: 'after-the-ancient-message' })).toHaveCount(1);
    await expect(d.page.getByTestId('chat-text').getByText('ancient-history-7f3a')).toHaveCount(0, { timeout: 10_000 });
    await expectChat(d, 'fresh news');
  }
  // And the hub's store no longer holds the text (compacted, secure_delete, WAL checkpointed).
  await expect
    .poll(() => {
      const dir = hub.dataDir;
      return fs
        .readdirSync(dir)
        .filter((f) => f.startsWith('memory.sqlite'))
        .some((f) => fs.readFileSync(path.join(dir, f)).includes('ancient-history-7f3a'));
    })
    .toBe(false);
  expect(fs.readFileSync(path.join(hub.dataDir, 'memory.sqlite')).includes('fresh news')).toBe(true);
});
