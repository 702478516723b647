/**
 * A flood of join challenges and failed proofs from many addresses on the LAN cannot keep a new
 * device on another address out: over real sockets, from distinct source addresses (any
 * 127.0.0.0/8 address is this machine's on Linux).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { b64uEncode, deriveRoomKeys, deviceIdFromPublicKey, hmacB64u, joinProofMessage, newDeviceKeyPair, signB64u } from '../../../../protocol/crypto.ts';
import { rawRequest, startTestHub, type TestHub } from '../../support/hub-edge.ts';

/** Per address per minute. With 1,000 (21,000 challenges, more than the 20,000 the hub once held
 * room-wide) this test failed on the earlier code in 34 s; it runs smaller here to stay quick, and
 * join-auth.test.ts holds the room-wide case without sockets. */
const CHALLENGES = 60;
const FLOODERS = 21;

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub(['--challenges', String(CHALLENGES), '--join-failures', '3']);
});
afterAll(async () => {
  await t.hub.close();
});

function post(path: string, body: unknown, localAddress: string, agent?: http.Agent) {
  return rawRequest({ port: t.hub.ports.http, method: 'POST', path, body: JSON.stringify(body), localAddress, agent, headers: { host: `127.0.0.1:${t.hub.ports.http}` } });
}

async function join(localAddress: string, secret = t.hub.secrets().secret): Promise<{ status: number; code?: string }> {
  const ch = await post('/api/join/challenge', { v: 1 }, localAddress);
  if (ch.status !== 200) return { status: ch.status, code: JSON.parse(ch.body).error.code };
  const { nonce } = JSON.parse(ch.body) as { nonce: string };
  const kp = newDeviceKeyPair();
  const deviceId = deviceIdFromPublicKey(kp.publicKey);
  const publicKey = b64uEncode(kp.publicKey);
  const roomId = t.hub.secrets().roomId;
  const msg = joinProofMessage(roomId, deviceId, publicKey, nonce);
  const res = await post('/api/join', { v: 1, roomId, deviceId, publicKey, nonce, proof: hmacB64u(deriveRoomKeys(secret).joinKey, msg), sig: signB64u(kp.secretKey, msg) }, localAddress);
  return { status: res.status, code: res.status === 200 ? undefined : JSON.parse(res.body).error.code };
}

describe('a join flood from many addresses', () => {
  it('spends only the flooders\' budgets: a device on another address still joins', async () => {
    const refused: number[] = [];
    await Promise.all(
      Array.from({ length: FLOODERS }, async (_, i) => {
        const from = `127.0.0.${10 + i}`;
        const agent = new http.Agent({ keepAlive: true, maxSockets: 4, localAddress: from });
        let n = 0;
        const worker = async () => {
          while (n < CHALLENGES + 5) {
            n++;
            const res = await post('/api/join/challenge', { v: 1 }, from, agent);
            if (res.status !== 200) refused.push(res.status);
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
        agent.destroy();
      }),
    );
    // Each flooder got its own allowance and no more.
    expect(refused.length).toBeGreaterThanOrEqual(FLOODERS * 5);
    expect(new Set(refused)).toEqual(new Set([429]));
    // Then they burn their failed-join budgets with a wrong secret.
    for (let i = 0; i < 3; i++) {
      const from = `127.0.0.${10 + i}`;
      const codes: (string | undefined)[] = [];
      for (let k = 0; k < 4; k++) codes.push((await join(from, 'B'.repeat(43))).code);
      expect(codes).toContain('rate-limited');
    }
    // A new device elsewhere on the LAN is not affected by any of it.
    expect(await join('127.0.0.200')).toEqual({ status: 200, code: undefined });
  }, 60_000);
});
