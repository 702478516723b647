/**
 * A real hub in this process, on loopback (its plain-HTTP port serves the join API and the room
 * channel): for app-side tests that talk to the hub as the app does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { Hub } from '../../../hub/hub.ts';
import { startTestHub } from './hub-edge.ts';
import { b64uEncode, deviceIdFromPublicKey, newDeviceKeyPair } from '../../../protocol/crypto.ts';
import type { JoinTicket } from '../../../protocol/join-link.ts';
import { newKeyAgreementPair, vouchKeyAgreement } from '../../../protocol/sealed.ts';
import type { Identity } from '../../../src/room/identity.ts';
import type { SocketFactory, SocketLike } from '../../../src/room/hub-connection.ts';

export interface TestHub {
  hub: Hub;
  origin: string;
  ticket: () => JoinTicket;
  close: () => Promise<void>;
}

export async function testHub(extra: string[] = []): Promise<TestHub> {
  const { hub, dir } = await startTestHub(['--name', 'Test room', ...extra], fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-app-hub-')));
  return {
    hub,
    origin: `http://127.0.0.1:${hub.ports.http}`,
    ticket: () => ({ roomId: hub.secrets().roomId, secret: hub.secrets().secret }),
    close: async () => {
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A device identity (what room/identity.ts keeps in IndexedDB). */
export function identity(): Identity {
  const kp = newDeviceKeyPair();
  const deviceId = deviceIdFromPublicKey(kp.publicKey);
  const kx = newKeyAgreementPair();
  return { deviceId, publicKey: b64uEncode(kp.publicKey), secretKey: kp.secretKey, kx, kxAnnounce: { publicKey: b64uEncode(kx.publicKey), sig: vouchKeyAgreement(deviceId, kp.secretKey, kx.publicKey) } };
}

/** Node's WebSocket for the app's room channel (the browser's has the same interface). */
export const nodeSockets: SocketFactory = (url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike;
