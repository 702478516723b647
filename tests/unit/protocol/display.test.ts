/**
 * The wall display's wire (protocol/display.ts): the hub's real /display state and events against
 * the schema the page validates with, and the page refusing what does not fit.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API } from '../../../protocol/hub-api.ts';
import { validateMessage } from '../../../protocol/codec.ts';
import { DisplayState } from '../../../protocol/display.ts';
import { readPresence } from '../../../protocol/awareness.ts';
import { parseDisplayEvent } from '../../../src/display/display-feed.svelte.ts';
import { testHub, type TestHub } from '../support/test-hub.ts';

let t: TestHub;
beforeAll(async () => (t = await testHub()));
afterAll(() => t.close());

/** The first server-sent events of the display's stream, as raw (name, data) pairs. */
function firstEvents(url: string, count: number): Promise<{ name: string; data: string }[]> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let buf = '';
      const out: { name: string; data: string }[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data) out.push({ name, data });
          if (out.length === count) {
            req.destroy();
            resolve(out);
          }
        }
      });
    });
    req.on('error', reject);
  });
}

describe('the display wire', () => {
  it("the hub's state and events fit the schema the page validates with", async () => {
    const state = await (await fetch(t.origin + API.displayState)).json();
    const checked = validateMessage(DisplayState, state);
    expect(checked.ok).toBe(true);
    expect(state.joinLinks[0].url).toMatch(/\/join#r=/);
    expect(state).not.toHaveProperty('qrSvg'); // the page draws the QR code itself
    const [roster] = await firstEvents(t.origin + API.displayEvents, 1);
    expect(roster!.name).toBe('roster');
    expect(parseDisplayEvent('roster', roster!.data)).toMatchObject({ v: 1, room: { name: 'Test room' }, members: [] });
  });

  it('an event that does not fit is dropped, not shown', () => {
    expect(parseDisplayEvent('voice', JSON.stringify({ v: 1, voice: { timers: 'all', events: [] } }))).toBeNull();
    expect(parseDisplayEvent('roster', '{"members": []}')).toBeNull(); // no version
    expect(parseDisplayEvent('gateway', 'not json')).toBeNull();
    expect(parseDisplayEvent('voice', JSON.stringify({ v: 1, voice: { timers: [], events: [] } }))).toEqual({ v: 1, voice: { timers: [], events: [] } });
  });
});

describe('awareness', () => {
  it("reads who types and who views which note from the others' states, skipping what is malformed", () => {
    const states = new Map<number, unknown>([
      [1, { deviceId: 'd1', name: 'Me', typing: true, viewing: 'n1' }],
      [2, { deviceId: 'd2', name: 'Ada', typing: true, viewing: 'n1' }],
      [3, { deviceId: 'd3', name: 'Bea', typing: false, viewing: 'n1' }],
      [4, { deviceId: 'd4', name: 'x'.repeat(500), typing: true, viewing: null }],
      [5, 'garbage'],
    ]);
    const p = readPresence(states, 1);
    expect(p.typing).toEqual(['Ada']);
    expect(p.viewers.get('n1')).toEqual(['Ada', 'Bea']);
  });
});
