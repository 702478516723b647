/** The one hub HTTP client: answers validated, error bodies validated, each failure with its code. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HubHttp } from '../../../../src/platform/hub-http.ts';
import { OsmoseError } from '../../../../protocol/errors.ts';

const Answer = z.object({ v: z.literal(1), n: z.number() });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function client(answer: (url: string, init: RequestInit) => Response | Promise<Response>, credential = true) {
  const calls: { url: string; init: RequestInit }[] = [];
  const http = new HubHttp({
    origin: 'https://hub:8443',
    fetch: (async (url: URL, init: RequestInit) => {
      calls.push({ url: String(url), init });
      return answer(String(url), init);
    }) as typeof fetch,
    ...(credential ? { credential: async () => ({ peerId: 'd' + 'a'.repeat(32), token: 'tok' }) } : {}),
  });
  return { http, calls };
}
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof OsmoseError ? e.code : `not an OsmoseError: ${String(e)}`));

describe('HubHttp', () => {
  it('validates a success answer: version, then shape', async () => {
    expect(await client(() => json(200, { v: 1, n: 3 })).http.json(Answer, '/x')).toEqual({ v: 1, n: 3 });
    expect(await codeOf(client(() => json(200, { v: 1, n: 'three' })).http.json(Answer, '/x'))).toBe('bad-request');
    expect(await codeOf(client(() => json(200, { v: 2, n: 3 })).http.json(Answer, '/x'))).toBe('protocol-version');
    expect(await codeOf(client(() => new Response('<html>', { status: 200 })).http.json(Answer, '/x'))).toBe('bad-request');
  });

  it("an error answer carries the hub's code only when its body is a valid ErrorResponse", async () => {
    const full = client(() => json(507, { v: 1, error: { code: 'storage-full', message: 'the disk is full' } })).http.json(Answer, '/x');
    await expect(full).rejects.toMatchObject({ code: 'storage-full', message: 'the disk is full' });
    // A made-up code, a missing version, an HTML page from a proxy: not taken at their word.
    expect(await codeOf(client(() => json(500, { v: 1, error: { code: 'you-are-admin', message: 'x' } })).http.json(Answer, '/x'))).toBe('internal');
    expect(await codeOf(client(() => json(401, { error: { code: 'unauthorized', message: 'x' } })).http.json(Answer, '/x'))).toBe('internal');
    await expect(client(() => new Response('<html>bad gateway</html>', { status: 502 })).http.json(Answer, '/x')).rejects.toMatchObject({ code: 'internal', message: 'the hub answered 502' });
  });

  it('no answer is hub-unreachable; the caller cancelling is cancelled; a deadline is hub-unreachable', async () => {
    expect(await codeOf(client(() => Promise.reject(new TypeError('network down'))).http.json(Answer, '/x'))).toBe('hub-unreachable');
    const abort = new AbortController();
    const hanging = (_u: string, init: RequestInit) => new Promise<Response>((_r, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    const p = client(hanging).http.json(Answer, '/x', { signal: abort.signal });
    abort.abort();
    expect(await codeOf(p)).toBe('cancelled');
    expect(await codeOf(client(hanging).http.json(Answer, '/x', { timeoutMs: 20 }))).toBe('hub-unreachable');
  });

  it('sends the credential only when asked, in headers, never in the URL; JSON and bytes bodies', async () => {
    const { http, calls } = client(() => json(200, { v: 1, n: 1 }));
    await http.json(Answer, '/open');
    await http.json(Answer, '/members', { withCredential: true, method: 'PUT', json: { v: 1 } });
    await http.json(Answer, '/bytes', { withCredential: true, method: 'PUT', bytes: Uint8Array.of(1, 2) });
    const h = calls.map((c) => c.init.headers as Headers);
    expect(h[0]!.get('authorization')).toBeNull();
    expect(h[1]!.get('authorization')).toBe('Bearer tok');
    expect(h[1]!.get('x-osmose-device')).toBe('d' + 'a'.repeat(32));
    expect(h[1]!.get('content-type')).toBe('application/json');
    expect(calls[1]!.init.body).toBe('{"v":1}');
    expect(h[2]!.get('content-type')).toBe('application/octet-stream');
    expect(calls.every((c) => !c.url.includes('tok'))).toBe(true);
    expect(calls.every((c) => c.init.cache === 'no-store')).toBe(true);
    expect(await codeOf(client(() => json(200, {}), false).http.json(Answer, '/members', { withCredential: true }))).toBe('unauthorized');
  });

  it('bytes: the body, or null for a 404; other errors with their code', async () => {
    expect(await client(() => new Response(Uint8Array.of(7, 8))).http.bytes('/c')).toEqual(Uint8Array.of(7, 8));
    expect(await client(() => json(404, { v: 1, error: { code: 'not-found', message: 'x' } })).http.bytes('/c')).toBeNull();
    expect(await codeOf(client(() => json(401, { v: 1, error: { code: 'credential-expired', message: 'x' } })).http.bytes('/c'))).toBe('credential-expired');
  });
});
