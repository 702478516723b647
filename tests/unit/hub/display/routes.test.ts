/**
 * /display's routes on a real hub in process: its event streams (unauthenticated, loopback only)
 * are few. The shapes of its state and events against the page's schema:
 * tests/unit/protocol/display.test.ts.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { startTestHub, type TestHub } from '../../support/hub-edge.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t.hub.close();
});

/** Opens the display's event stream; resolves with its status once headers arrive. */
function stream(): Promise<{ status: number; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: t.hub.ports.http, path: '/api/display/events' }, (res) => {
      resolve({ status: res.statusCode ?? 0, req });
      res.resume();
    });
    req.on('error', reject);
  });
}

describe('display event streams', () => {
  it('are at most 16 at once; the next is refused until one closes', async () => {
    const open = [];
    for (let i = 0; i < 16; i++) open.push(await stream());
    expect(open.map((s) => s.status)).toEqual(Array(16).fill(200));
    const extra = await stream();
    expect(extra.status).toBe(429);
    extra.req.destroy();
    open.pop()!.req.destroy();
    // The hub hears the close, then has room again.
    let again = await stream();
    for (let i = 0; i < 100 && again.status !== 200; i++) {
      again.req.destroy();
      await new Promise((r) => setTimeout(r, 20));
      again = await stream();
    }
    expect(again.status).toBe(200);
    for (const s of [...open, again]) s.req.destroy();
  });
});
