/** The app's gateway client: the credential on every call, answers validated, errors typed. */
import { describe, expect, it } from 'vitest';
import { GatewayApi } from '../../../../src/gateway/gateway-api.ts';
import { OsmoseError } from '../../../../protocol/errors.ts';
import { HubHttp } from '../../../../src/platform/hub-http.ts';

function api(answer: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit }[] = [];
  const http = new HubHttp({
    origin: 'https://hub:8443',
    credential: async () => ({ peerId: 'd' + 'a'.repeat(32), token: '0000000001.' + 'x'.repeat(43) }),
    fetch: (async (url: URL, init: RequestInit) => {
      calls.push({ url: String(url), init });
      return answer(String(url), init);
    }) as typeof fetch,
  });
  return { client: new GatewayApi(http), calls };
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const empty = { v: 1, links: [], invitations: [], recentlyEnded: [], ledger: { items: 0, bytes: 0, entries: 0 } };

describe('GatewayApi', () => {
  it('sends the credential, never in the URL', async () => {
    const { client, calls } = api(() => json(200, empty));
    expect(await client.state()).toEqual(empty);
    const h = calls[0]!.init.headers as Headers;
    expect(h.get('authorization')).toMatch(/^Bearer /);
    expect(h.get('X-Osmose-Device')).toBe('d' + 'a'.repeat(32));
    expect(calls[0]!.url).toBe('https://hub:8443/api/gateway');
  });

  it('puts the invitation code in the body of the accept request', async () => {
    const { client, calls } = api(() => json(403, { v: 1, error: { code: 'invitation-forged', message: 'this hub never made that invitation' } }));
    const err = await client.accept('osmose-invite1.abc').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OsmoseError);
    expect((err as OsmoseError).code).toBe('invitation-forged');
    expect(calls[0]!.url).not.toContain('osmose-invite1');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ v: 1, code: 'osmose-invite1.abc' });
  });

  it('refuses a malformed answer and says when the hub is away', async () => {
    expect(((await api(() => json(200, { v: 1, links: 'nope' })).client.state().catch((e: unknown) => e)) as OsmoseError).code).toBe('bad-request');
    expect(((await api(() => Promise.reject(new TypeError('network'))).client.state().catch((e: unknown) => e)) as OsmoseError).code).toBe('hub-unreachable');
    expect(((await api(() => new Response('<html>', { status: 502 })).client.state().catch((e: unknown) => e)) as OsmoseError).code).toBe('internal');
  });
});
