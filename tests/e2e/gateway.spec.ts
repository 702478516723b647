/**
 * Two rooms, two hubs, people in each, in the test network namespace: a member invites the other
 * room to one note, a member there accepts, both edit; nothing else crosses; the ledger says what
 * left; ending the link cuts it. The hubs are real processes; the link is pinned TLS between them.
 */
import { test, expect } from './support/fixtures.ts';
import { TestHub } from './support/hub.ts';
import { newDevice, join, sendChat, expectChat, type Device } from './support/devices.ts';
import { showView } from './support/shell.ts';
import { outboundConnections } from './support/sockets.ts';

type MemoryView = { messages: string[]; notes: { id: string; title: string; text: string }[] };
const memoryOf = (d: Device) => d.page.evaluate(() => (window as unknown as { osmose: { memory: () => MemoryView | null } }).osmose.memory());
const noteText = async (d: Device, title: string) => (await memoryOf(d))?.notes.find((n) => n.title === title)?.text ?? null;

async function makeNote(d: Device, title: string, text: string): Promise<void> {
  await showView(d.page, 'notes');
  await d.page.getByTestId('note-title').fill(title);
  await d.page.getByTestId('note-create').click();
  await d.page.getByTestId('note-body').click();
  await d.page.keyboard.type(text);
  await d.page.getByTestId('note-editor').getByRole('button', { name: 'Close' }).click();
}

async function openNote(d: Device, title: string): Promise<void> {
  await showView(d.page, 'notes');
  await d.page.getByTestId('note-row').filter({ hasText: title }).getByTestId('note-open').click();
  await expect(d.page.getByTestId('note-editor')).toBeVisible();
}

test.describe('connecting two rooms', () => {
  test('invite, accept, a note syncs both ways, nothing else crosses, the ledger tells, ending cuts', async ({ browser, hub }) => {
    const other = new TestHub('gateway-b', { name: 'FW16', place: 'Next door' });
    await other.start();
    try {
      const alice = await newDevice(browser, 'Alice');
      const carol = await newDevice(browser, 'Carol');
      const bob = await newDevice(browser, 'Bob');
      await join(alice, hub.joinUrl());
      await join(carol, hub.joinUrl());
      await join(bob, other.joinUrl());

      await makeNote(alice, 'Plan', 'Agenda.');
      await makeNote(alice, 'Secret', 'Only for FW15.');
      await expect(alice.page.getByTestId('ledger-summary')).toHaveText('Nothing has left this room.');

      // Alice invites the other room to the note "Plan", read and write.
      await showView(alice.page, 'connect');
      await alice.page.getByTestId('gateway-invite').click();
      await alice.page.getByTestId('invite-what').selectOption({ label: 'Note: Plan' });
      await alice.page.getByTestId('invite-write').check();
      await alice.page.getByTestId('invite-make').click();
      const code = await alice.page.getByTestId('invite-code').inputValue();
      expect(code).toMatch(/^osmose-invite1\./);
      await expect(alice.page.getByTestId('invite-qr').locator('svg')).toBeVisible();

      // Until someone accepts, the other hub has opened no connection at all.
      expect(outboundConnections(other.pid!, [other.httpPort, other.httpsPort])).toEqual([]);

      // Bob pastes garbage first: a clear refusal.
      await showView(bob.page, 'connect');
      await bob.page.getByTestId('gateway-accept-open').click();
      await bob.page.getByTestId('gateway-code').fill('osmose-invite1.garbage');
      await bob.page.getByTestId('gateway-accept').click();
      await expect(bob.page.getByTestId('gateway-error')).toContainText('invitation-forged');

      await bob.page.getByTestId('gateway-code').fill(code);
      await bob.page.getByTestId('gateway-accept').click();
      for (const [d, room] of [[bob, 'FW15'], [alice, 'FW16'], [carol, 'FW16']] as const) {
        await expect(d.page.getByTestId('gateway-banner-text')).toContainText(`This room is connected to ${room}: the note “Plan”, read and write, until`);
      }
      expect(outboundConnections(other.pid!, [other.httpPort, other.httpsPort]).length).toBeGreaterThan(0);
      // Remote people are listed apart from the people in the room.
      await expect(bob.page.getByTestId('remote-people')).toContainText('In FW15 (remote, not in this room): ');
      await expect(bob.page.getByTestId('remote-people')).toContainText('Alice');
      await expect(bob.page.getByTestId('member')).toHaveCount(0);
      await expect(bob.page.getByTestId('remote-member')).toHaveCount(2); // Alice and Carol, apart, as remote
      await expect(bob.page.getByTestId('remote-member').first()).toContainText('remote · FW15');

      // The note syncs both ways.
      await expect(bob.page.getByTestId('note-row').filter({ hasText: 'Plan' }).getByTestId('note-remote')).toHaveText('from FW15');
      await expect.poll(() => noteText(bob, 'Plan')).toBe('Agenda.');
      await openNote(bob, 'Plan');
      await bob.page.getByTestId('note-body').click();
      await bob.page.keyboard.press('Control+End');
      await bob.page.keyboard.type(' Bob brings cake.');
      await expect.poll(() => noteText(alice, 'Plan')).toBe('Agenda. Bob brings cake.');
      await expect.poll(() => noteText(carol, 'Plan')).toBe('Agenda. Bob brings cake.');
      await openNote(alice, 'Plan');
      await alice.page.getByTestId('note-body').click();
      await alice.page.keyboard.press('Control+Home');
      await alice.page.keyboard.type('FW15: ');
      await expect.poll(() => noteText(bob, 'Plan')).toBe('FW15: Agenda. Bob brings cake.');

      // Out of scope: never in the other room.
      expect(await noteText(bob, 'Secret')).toBeNull();

      // The ledger: what left FW15, to FW16; the same count on the wall display.
      await expect(alice.page.getByTestId('ledger-summary')).toContainText('2 items');
      await showView(alice.page, 'connect');
      await alice.page.getByTestId('ledger-toggle').click();
      const rows = alice.page.getByTestId('ledger-row');
      await expect(rows.filter({ hasText: 'the note “Plan”' }).first()).toBeVisible();
      expect(await rows.filter({ hasText: 'Secret' }).count()).toBe(0);
      const display = await alice.context.newPage();
      await display.goto(`http://127.0.0.1:${hub.httpPort}/display`);
      await expect(display.getByTestId('display-gateway-banner')).toContainText('This room is connected to FW16: the note “Plan”, read and write, until');
      await expect(display.getByTestId('display-ledger')).toContainText('2 items have left this room');

      // Bob ends it: both rooms drop the banner; the other room loses the note; later edits stay home.
      await bob.page.getByTestId('gateway-end').click();
      await expect(bob.page.getByTestId('gateway-banner')).toHaveCount(0);
      // The other room's hub tells its devices (room channel `gateway-changed`); the fallback poll is
      // every 10 s, so this is the push.
      await expect(alice.page.getByTestId('gateway-banner')).toHaveCount(0, { timeout: 5_000 });
      await expect(display.getByTestId('display-gateway-banner')).toHaveCount(0);
      await expect(bob.page.getByTestId('note-row').filter({ hasText: 'Plan' })).toHaveCount(0);
      await expect(alice.page.getByTestId('gateway-ended')).toContainText('The connection to FW16 ended');
      await showView(alice.page, 'notes');
      await alice.page.getByTestId('note-body').click();
      await alice.page.keyboard.type('after the end ');
      await expect.poll(() => noteText(carol, 'Plan')).toContain('after the end');
      expect(await noteText(bob, 'Plan')).toBeNull();
      expect(outboundConnections(other.pid!, [other.httpPort, other.httpsPort])).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  test('a thread: replies cross both ways, other messages stay; a read-only note stays read only; refusals are explained', async ({ browser, hub }) => {
    const other = new TestHub('gateway-c', { name: 'FW16', place: 'Next door' });
    await other.start();
    try {
      const alice = await newDevice(browser, 'Alice');
      const bob = await newDevice(browser, 'Bob');
      await join(alice, hub.joinUrl());
      await join(bob, other.joinUrl());
      await sendChat(alice, 'Lunch at noon?');
      await sendChat(alice, 'Private chat');

      await showView(alice.page, 'connect');
      await alice.page.getByTestId('gateway-invite').click();
      await alice.page.getByTestId('invite-what').selectOption({ label: 'Thread: Alice: Lunch at noon?' });
      await alice.page.getByTestId('invite-write').check();
      await alice.page.getByTestId('invite-make').click();
      const code = await alice.page.getByTestId('invite-code').inputValue();

      await showView(bob.page, 'connect');
      await bob.page.getByTestId('gateway-accept-open').click();
      await bob.page.getByTestId('gateway-code').fill(code);
      await bob.page.getByTestId('gateway-accept').click();
      await expect(bob.page.getByTestId('gateway-banner-text')).toContainText('This room is connected to FW15: the thread “Lunch at noon?”, read and write');
      const root = bob.page.getByTestId('chat-message').filter({ hasText: 'Lunch at noon?' });
      await expect(root.getByTestId('chat-remote')).toHaveText('from FW15');
      await root.getByTestId('reply').click();
      await sendChat(bob, 'Count FW16 in');
      await sendChat(bob, 'FW16 internal');
      await expectChat(alice, 'Count FW16 in');
      await expect(alice.page.getByTestId('chat-message').filter({ hasText: 'Count FW16 in' }).getByTestId('chat-remote')).toHaveText('from FW16');
      await sendChat(alice, 'Private after');
      // Out of scope both ways.
      await expect.poll(async () => (await memoryOf(bob))?.messages ?? []).not.toContain('Private chat');
      expect((await memoryOf(alice))?.messages).not.toContain('FW16 internal');

      // Accepting the same invitation again is refused, and says why.
      await showView(bob.page, 'connect');
      await bob.page.getByTestId('gateway-accept-open').click();
      await bob.page.getByTestId('gateway-code').fill(code);
      await bob.page.getByTestId('gateway-accept').click();
      await expect(bob.page.getByTestId('gateway-error')).toContainText('already accepted this invitation');

      // A read-only note: the other room cannot edit it.
      await makeNote(alice, 'Rules', 'Be kind.');
      await showView(alice.page, 'connect');
      await alice.page.getByTestId('gateway-invite').click();
      await alice.page.getByTestId('gateway-invite').click();
      await alice.page.getByTestId('invite-what').selectOption({ label: 'Note: Rules' });
      await alice.page.getByTestId('invite-read').check();
      await alice.page.getByTestId('invite-make').click();
      await expect(alice.page.getByTestId('invite-code')).not.toHaveValue(code);
      const code2 = await alice.page.getByTestId('invite-code').inputValue();
      await bob.page.getByTestId('gateway-code').fill(code2);
      await bob.page.getByTestId('gateway-accept').click();
      await expect(bob.page.getByTestId('gateway-banner')).toHaveCount(2);
      await expect(bob.page.getByTestId('note-row').filter({ hasText: 'Rules' }).getByTestId('note-remote')).toHaveText('from FW15, read only');
      await openNote(bob, 'Rules');
      await expect(bob.page.getByTestId('note-body')).toHaveAttribute('readonly', '');

      // Alice ends the thread's link from her banner: Bob loses the thread, keeps his own words.
      await alice.page.getByTestId('gateway-banner').filter({ hasText: 'thread' }).getByTestId('gateway-end').click();
      await expect(bob.page.getByTestId('gateway-banner')).toHaveCount(1);
      await expect.poll(async () => (await memoryOf(bob))?.messages ?? []).not.toContain('Lunch at noon?');
      expect((await memoryOf(bob))?.messages).toContain('Count FW16 in');
    } finally {
      await other.stop();
    }
  });

  test('the inviting hub dies and comes back: the link reconnects by itself and nothing is lost', async ({ browser, hub }) => {
    const other = new TestHub('gateway-d', { name: 'FW16', place: 'Next door' });
    await other.start();
    try {
      const alice = await newDevice(browser, 'Alice');
      const bob = await newDevice(browser, 'Bob');
      await join(alice, hub.joinUrl());
      await join(bob, other.joinUrl());
      await makeNote(alice, 'Minutes', 'Start.');
      await showView(alice.page, 'connect');
      await alice.page.getByTestId('gateway-invite').click();
      await alice.page.getByTestId('invite-what').selectOption({ label: 'Note: Minutes' });
      await alice.page.getByTestId('invite-write').check();
      await alice.page.getByTestId('invite-make').click();
      const code = await alice.page.getByTestId('invite-code').inputValue();
      await showView(bob.page, 'connect');
      await bob.page.getByTestId('gateway-accept-open').click();
      await bob.page.getByTestId('gateway-code').fill(code);
      await bob.page.getByTestId('gateway-accept').click();
      await expect.poll(() => noteText(bob, 'Minutes')).toBe('Start.');

      // The inviting hub is killed; Bob keeps writing into the shared note.
      await hub.kill();
      await expect(bob.page.getByTestId('gateway-banner')).toHaveAttribute('data-status', 'reconnecting');
      await openNote(bob, 'Minutes');
      await bob.page.getByTestId('note-body').click();
      await bob.page.keyboard.press('Control+End');
      await bob.page.keyboard.type(' Bob, during the outage.');
      await hub.start();
      await expect(bob.page.getByTestId('gateway-banner')).toHaveAttribute('data-status', 'connected', { timeout: 45_000 });
      await expect.poll(() => noteText(alice, 'Minutes'), { timeout: 30_000 }).toBe('Start. Bob, during the outage.');
      expect(await noteText(bob, 'Minutes')).toBe('Start. Bob, during the outage.');
    } finally {
      await other.stop();
    }
  });
});
