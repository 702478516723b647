import { chromium } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from './support/fixtures.ts';
import { CHROMIUM_ARGS, E2E_TMP, TEST_HOME } from './support/env.ts';
import { newDevice, join, expectSees, sendChat, expectChat, type Device } from './support/devices.ts';
import { showView } from './support/shell.ts';

type MemoryView = { saved: boolean; messages: string[]; notes: { id: string; title: string; text: string }[]; board: number; retentionDays: number };
const memoryOf = (d: Device) => d.page.evaluate(() => (window as unknown as { osmose: { memory: () => MemoryView | null } }).osmose.memory());

async function openNote(d: Device, title: string): Promise<void> {
  await showView(d.page, 'notes');
  await d.page.getByTestId('note-row').filter({ hasText: title }).getByTestId('note-open').click();
  await expect(d.page.getByTestId('note-editor')).toBeVisible();
}

/** Types at a position in the open note, as a person would (click, move the caret, type). */
async function typeInNote(d: Device, text: string, at: 'start' | 'end'): Promise<void> {
  await showView(d.page, 'notes');
  const body = d.page.getByTestId('note-body');
  await body.click();
  await d.page.keyboard.press(at === 'start' ? 'Control+Home' : 'Control+End');
  await d.page.keyboard.type(text);
}

test.describe("the room's memory", () => {
  test('three devices edit a note and the timeline at once, one of them offline; all converge', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    const bob = await newDevice(browser, 'Bob');
    const carol = await newDevice(browser, 'Carol');
    for (const d of [alice, bob, carol]) await join(d, hub.joinUrl());
    await expectSees(alice, [bob, carol]);

    await showView(alice.page, 'notes');
    await alice.page.getByTestId('note-title').fill('Plan');
    await alice.page.getByTestId('note-create').click();
    await typeInNote(alice, 'Agenda.', 'end');
    for (const d of [bob, carol]) await expect(d.page.getByTestId('note-row').filter({ hasText: 'Plan' })).toBeVisible();

    // Carol goes offline: the hub is down and she has nobody to talk to when she reopens the app.
    await carol.page.close();
    await hub.kill();
    carol.page = await carol.context.newPage();
    await carol.page.goto(hub.origin + '/');
    await expect(carol.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'unreachable');
    await openNote(carol, 'Plan');
    await typeInNote(carol, 'Carol first. ', 'start');
    await sendChat(carol, 'written offline by Carol');

    // Meanwhile Alice and Bob, still connected directly, edit the same note and the timeline.
    await openNote(bob, 'Plan');
    await typeInNote(alice, ' Alice adds lunch.', 'end');
    await typeInNote(bob, ' Bob adds slides.', 'end');
    await sendChat(alice, 'from Alice');
    await sendChat(bob, 'from Bob');
    await expectChat(alice, 'from Bob');

    await hub.start();
    await expect(carol.page.getByTestId('hub-status')).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
    for (const d of [alice, bob, carol]) {
      await expectChat(d, 'written offline by Carol');
      await expectChat(d, 'from Alice');
      await expectChat(d, 'from Bob');
    }
    await expect
      .poll(async () => {
        const views = await Promise.all([alice, bob, carol].map(memoryOf));
        return new Set(views.map((v) => JSON.stringify([v?.messages, v?.notes]))).size;
      }, { timeout: 20_000 })
      .toBe(1);
    const text = (await memoryOf(alice))!.notes[0]!.text;
    for (const part of ['Carol first.', 'Agenda.', 'Alice adds lunch.', 'Bob adds slides.']) expect(text).toContain(part);
    await expect(alice.page.getByTestId('note-body')).toHaveValue(text);
  });

  test('everybody leaves; a new device gets the full history from the hub', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    const bob = await newDevice(browser, 'Bob');
    await join(alice, hub.joinUrl());
    await join(bob, hub.joinUrl());
    await sendChat(alice, 'kept in the room');
    await showView(alice.page, 'notes');
    await alice.page.getByTestId('note-title').fill('Minutes');
    await alice.page.getByTestId('note-create').click();
    await typeInNote(alice, 'Decisions: ship it.', 'end');
    await alice.page.getByTestId('chat-message').filter({ hasText: 'kept in the room' }).getByTestId('pin').click();
    await alice.page.getByTestId('chat-message').filter({ hasText: 'kept in the room' }).locator('[data-emoji="🎉"]').click();
    await expect(alice.page.getByTestId('saved-state')).toHaveAttribute('data-saved', 'true');
    await alice.context.close();
    await bob.context.close();

    const dave = await newDevice(browser, 'Dave');
    await join(dave, hub.joinUrl());
    await expectChat(dave, 'kept in the room');
    await expect(dave.page.getByTestId('board-label')).toContainText('kept in the room');
    await expect(dave.page.getByTestId('chat-message').filter({ hasText: 'kept in the room' }).locator('[data-emoji="🎉"]')).toHaveText('🎉 1');
    await openNote(dave, 'Minutes');
    await expect(dave.page.getByTestId('note-body')).toHaveValue('Decisions: ship it.');
    await expect(dave.page.getByTestId('retention')).toContainText('30 days');
  });

  test('the hub is SIGKILLed while a device writes: nothing it acknowledged is lost', async ({ browser, hub }) => {
    const alice = await newDevice(browser, 'Alice');
    await join(alice, hub.joinUrl());
    const post = (text: string) => alice.page.evaluate((t) => (window as unknown as { osmose: { post: (t: string) => void } }).osmose.post(t), text);
    for (let i = 0; i < 40; i++) await post(`acked ${i}`);
    await expect(alice.page.getByTestId('saved-state')).toHaveAttribute('data-saved', 'true');
    // More writes, and the hub dies in the middle of them.
    const writing = (async () => {
      for (let i = 0; i < 40; i++) await post(`in flight ${i}`);
    })();
    await hub.kill();
    await writing;
    await alice.context.close(); // Alice leaves before the hub comes back: only the hub's copy counts.
    await hub.start();

    const dave = await newDevice(browser, 'Dave');
    await join(dave, hub.joinUrl());
    await expectChat(dave, 'acked 39');
    const got = new Set((await memoryOf(dave))!.messages);
    for (let i = 0; i < 40; i++) expect(got.has(`acked ${i}`), `acked ${i}`).toBe(true);
  });

  test('the memory survives closing and reopening the browser, even with the hub down', async ({ hub }) => {
    const profile = path.join(E2E_TMP, `profile-${hub.httpPort}`);
    fs.rmSync(profile, { recursive: true, force: true });
    const launch = () =>
      chromium.launchPersistentContext(profile, {
        executablePath: process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium',
        args: CHROMIUM_ARGS,
        env: { ...process.env, HOME: TEST_HOME },
      });
    let ctx = await launch();
    const alice: Device = { context: ctx, page: ctx.pages()[0] ?? (await ctx.newPage()), name: 'Alice' };
    await join(alice, hub.joinUrl());
    await sendChat(alice, 'remember me');
    await showView(alice.page, 'notes');
    await alice.page.getByTestId('note-title').fill('Shopping');
    await alice.page.getByTestId('note-create').click();
    await typeInNote(alice, 'milk, bread', 'end');
    await expect(alice.page.getByTestId('saved-state')).toHaveAttribute('data-saved', 'true');
    await alice.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 }).catch(() => alice.page.reload());
    await ctx.close();

    await hub.kill();
    ctx = await launch();
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(hub.origin + '/');
    await expect(page.getByTestId('hub-status')).toHaveAttribute('data-state', 'unreachable');
    await expect(page.getByTestId('chat-text').getByText('remember me')).toBeVisible();
    await showView(page, 'notes');
    await page.getByTestId('note-row').filter({ hasText: 'Shopping' }).getByTestId('note-open').click();
    await expect(page.getByTestId('note-body')).toHaveValue('milk, bread');
    await ctx.close();
  });
});

test('replies, reactions, typing and who is looking at which note show on the other devices', async ({ browser, hub }) => {
  const alice = await newDevice(browser, 'Alice');
  const bob = await newDevice(browser, 'Bob');
  await join(alice, hub.joinUrl());
  await join(bob, hub.joinUrl());
  await expectSees(alice, [bob]);

  await sendChat(alice, 'Who brings the projector?');
  await bob.page.getByTestId('chat-message').filter({ hasText: 'Who brings the projector?' }).getByTestId('reply').click();
  await bob.page.getByTestId('chat-input').pressSequentially('Me');
  await expect(alice.page.getByTestId('typing')).toHaveText('Bob is typing…');
  await bob.page.getByTestId('chat-send').click();
  await expect(alice.page.getByTestId('typing')).toHaveCount(0);
  const reply = alice.page.getByTestId('chat-message').filter({ hasText: 'Me' });
  await expect(reply.getByTestId('reply-to')).toContainText('Alice: Who brings the projector?');
  await reply.locator('[data-emoji="👍"]').click();
  await expect(bob.page.getByTestId('chat-message').filter({ hasText: 'Me' }).locator('[data-emoji="👍"]')).toHaveText('👍 1');

  await showView(alice.page, 'notes');
  await alice.page.getByTestId('note-title').fill('Seating');
  await alice.page.getByTestId('note-create').click();
  await expect(bob.page.getByTestId('note-row').filter({ hasText: 'Seating' }).getByTestId('note-viewers')).toHaveText('👁 Alice');
  await alice.page.getByRole('button', { name: 'Close' }).click();
  await expect(bob.page.getByTestId('note-viewers')).toHaveCount(0);
});
