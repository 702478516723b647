/** Real hubs in-process on loopback, each its own room (own secret, own CA), for gateway tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import net from 'node:net';
import Database from 'better-sqlite3';
import { vi } from 'vitest';
import type { Hub } from '../../../../hub/hub.ts';
import { startTestHub } from '../../support/hub-edge.ts';
import { notes, timeline, type TimelineEntry } from '../../../../protocol/room-doc.ts';
import type { CreateInvitationRequest } from '../../../../protocol/gateway.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';

export type Room = Hub & { dir: string; name: string };

export async function startRoom(name: string, existingDir?: string, ports = { http: 0, https: 0 }): Promise<Room> {
  const dir = existingDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `osmose-gw-${name}-`));
  const { hub } = await startTestHub(['--name', name, '--http-port', String(ports.http), '--https-port', String(ports.https)], dir);
  return Object.assign(hub, { dir, name });
}

/** The same room (data folder, ports) started again after `close()`. */
export function restartRoom(room: Room): Promise<Room> {
  return startRoom(room.name, room.dir, room.ports);
}

/** Edits a stopped room's gateway.sqlite (what time or an older hub did while it was down). */
export function withStoppedGatewayDb(room: Room, fn: (db: Database.Database) => void): void {
  const db = new Database(path.join(room.dir, 'data', 'gateway.sqlite'));
  try {
    fn(db);
  } finally {
    db.close();
  }
}

export const ALICE = { deviceId: 'd' + 'a'.repeat(32), name: 'Alice' };

export function invite(hub: Hub, req: Omit<CreateInvitationRequest, 'v'>) {
  return hub.gateway.createInvitation({ v: PROTOCOL_VERSION, ...req }, ALICE, '127.0.0.1');
}

export function addNote(hub: Hub, title: string, text: string): string {
  const id = `n${Math.random().toString(16).slice(2, 14)}`;
  hub.memory.doc.transact(() => {
    const m = new Y.Map<unknown>();
    m.set('title', title);
    const body = new Y.Text();
    body.insert(0, text);
    m.set('body', body);
    m.set('createdAt', Date.now());
    m.set('createdBy', ALICE.deviceId);
    notes(hub.memory.doc).set(id, m);
  }, 'local');
  return id;
}

export function noteText(hub: Hub, id: string): string | null {
  const b = notes(hub.memory.doc).get(id)?.get('body');
  return b instanceof Y.Text ? b.toString() : null;
}

export function post(hub: Hub, text: string, replyTo?: string): string {
  const id = `m${Math.random().toString(16).slice(2, 14)}`;
  const entry: TimelineEntry = { id, author: ALICE.deviceId, authorName: 'Alice', text, sentAt: Date.now(), ...(replyTo ? { replyTo } : {}) };
  hub.memory.doc.transact(() => timeline(hub.memory.doc).push([entry]), 'local');
  return id;
}

export function messageIds(hub: Hub): string[] {
  return timeline(hub.memory.doc).toArray().map((e) => (e as { id: string }).id);
}

export async function until(cond: () => boolean, what = 'condition', ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Re-encodes an invitation code with some fields changed (a tampered or forged code). */
export function tamper(code: string, change: (p: Record<string, unknown>) => void): string {
  const [prefix, body] = [code.slice(0, code.indexOf('.') + 1), code.slice(code.indexOf('.') + 1)];
  const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(p);
  return prefix + Buffer.from(JSON.stringify(p)).toString('base64url');
}

/**
 * A hostile "hub" that accepted an invitation from `hub` over a raw socket (it speaks the protocol
 * by hand): its socket once welcomed, the frames it got, and its close code.
 */
export async function hostileLink(hub: Hub, scope: CreateInvitationRequest['scope'], access: 'read' | 'write', roomId: string, name = 'Hostile') {
  const WebSocket = (await import('ws')).default;
  const inv = invite(hub, { scope, access, expiresInMinutes: 5, multiUse: false });
  const token = JSON.parse(Buffer.from(inv.code!.split('.')[1]!, 'base64url').toString()).token as string;
  const ws = new WebSocket(`wss://127.0.0.1:${hub.ports.https}/gateway`, { rejectUnauthorized: false });
  const frames: string[] = [];
  let closeCode: number | null = null;
  ws.on('message', (m) => frames.push(m.toString()));
  ws.on('error', () => undefined);
  const closed = new Promise<number>((r) => ws.on('close', (c) => r((closeCode = c))));
  await new Promise((r) => ws.on('open', r));
  ws.send(JSON.stringify({ v: 1, t: 'hello', room: { id: roomId, name, place: '' }, auth: { kind: 'invitation', token } }));
  await until(() => frames.some((f) => f.includes('"welcome"')), 'welcome');
  const welcome = JSON.parse(frames.find((f) => f.includes('"welcome"'))!) as { linkId: string };
  return { ws, frames, closed, linkId: welcome.linkId, closeCode: () => closeCode };
}

/** Bytes a hub's ledger says left it on one link. */
export function ledgerBytes(hub: Hub, linkId: string): number {
  return hub.gateway.ledger.entries(100_000).filter((e) => e.linkId === linkId).reduce((a, e) => a + e.bytes, 0);
}

/**
 * Watches every TCP connection this process opens from now on, whoever opens it (a hub's dial,
 * its CA fetch, a test's request): `ports()` says where they went, `stop()` stops watching.
 */
export function watchConnections(): { ports: () => number[]; stop: () => void } {
  const spy = vi.spyOn(net.Socket.prototype, 'connect');
  const portOf = (args: unknown[]): number => {
    const first = args[0] as unknown;
    const opts = (Array.isArray(first) ? first[0] : first) as { port?: unknown } | number | string;
    return Number(typeof opts === 'object' && opts !== null ? opts.port : opts);
  };
  let stopped: number[] | null = null;
  return {
    ports: () => stopped ?? spy.mock.calls.map((c) => portOf(c)),
    stop: () => {
      stopped = spy.mock.calls.map((c) => portOf(c));
      spy.mockRestore();
    },
  };
}
