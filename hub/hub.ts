/**
 * The hub's services wired together: room identity, join auth, roster, room channel,
 * signaling, and the two HTTP(S) servers. `main.ts` only parses the command line and calls this.
 */
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { joinUrl } from '../protocol/join-link.ts';
import type { RoomInfo } from '../protocol/common.ts';
import type { HubConfig } from './config.ts';
import { loadOrCreateRoom, rotateRoomSecret, type RoomSecrets } from './room/room-store.ts';
import { loadTls, type TlsMaterial } from './tls/material.ts';
import { publicNameSubtrees } from './tls/ca.ts';
import { lanAddresses, hostForUrl } from './net/lan-addresses.ts';
import { JoinAuth } from './room/join-auth.ts';
import { Roster } from './room/roster.ts';
import { RoomChannel } from './room/room-channel.ts';
import { RoomMemory } from './memory/room-memory.ts';
import { MemoryStore } from './memory/memory-store.ts';
import { filesRouter, fileStoreFor } from './files/routes.ts';
import { files as docFiles } from '../protocol/room-doc.ts';
import { Signaling } from './signaling/server.ts';
import { createHttpApp } from './net/http-app.ts';
import { upgradeRouter } from './net/upgrade-router.ts';
import { KnownHosts, certificateDnsNames } from './net/host-guard.ts';
import { coalesce } from './support/coalesce.ts';
import { log, registerSecret } from './support/log.ts';
import { securePrivateTree, writeFileAtomic } from './support/private-files.ts';
import { Gateway } from './gateway/gateway.ts';
import { gatewayRouter } from './gateway/routes.ts';
import { pemFingerprint } from './gateway/pinned-dial.ts';
import { fingerprintHex } from '../protocol/gateway.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';

export interface Hub {
  room: RoomInfo;
  memory: RoomMemory;
  /** Links to other rooms, invitations, the ledger. */
  gateway: Gateway;
  secrets: () => RoomSecrets;
  joinLinks: () => { address: string; url: string }[];
  tls: () => TlsMaterial;
  ports: { http: number; https: number };
  /** Re-reads the room secret from disk (after `rotate-secret`) and evicts every device. */
  /** Problems the operator must act on (printed with the banner), e.g. a room CA that is too broad. */
  warnings: string[];
  reloadSecret: () => Promise<void>;
  rotateSecret: () => Promise<void>;
  close: () => Promise<void>;
}

const ADDRESS_CHECK_MS = 30_000;

export async function startHub(config: HubConfig): Promise<Hub> {
  // Before anything is read or written: the data folder and all in it private, or no start.
  securePrivateTree(config.dataDir);
  let { secrets } = await loadOrCreateRoom(config.dataDir);
  if (config.rotateSecret) secrets = await rotateRoomSecret(config.dataDir);
  registerSecret(secrets.secret);
  const room: RoomInfo = { id: secrets.roomId, name: config.roomName, place: config.roomPlace };
  let tls = await loadTls(config);
  const warnings: string[] = [];
  const broad = tls.ca ? publicNameSubtrees(tls.ca) : [];
  if (broad.length) {
    // Made by an older hub: the constraints permit a bare name such as the machine's. Keep serving
    // (every device trusts this root), but say so every start until the operator re-issues.
    warnings.push(
      `This room's certificate authority may vouch for every name under: ${broad.join(', ')} (made by an older Osmose). ` +
        'Stop the hub and run `npm run reissue-ca` (same --data and --hostname flags); every device must then install the new certificate.',
    );
    log.warn('room CA too broad', { names: broad });
  }

  const auth = new JoinAuth(secrets, config.credentialTtlSeconds * 1000);
  const roster = new Roster(config.graceSeconds * 1000);
  let roomChannel: RoomChannel;
  const fileStore = fileStoreFor(config.dataDir);
  const deleteFiles = (ids: string[]) => {
    for (const id of ids) fileStore.deleteFile(id).catch((err: Error) => log.error('could not delete an expired file', { error: err.message }));
  };
  const memory = new RoomMemory(new MemoryStore(config.dataDir), {
    retentionDays: config.retentionDays,
    onRefusal: (device, err) => roomChannel.tell(device, err.toWire()),
    onFilesExpired: deleteFiles,
  });
  // Files on disk that the room no longer lists (expired while the hub was off, or never shared).
  void fileStore.fileIds().then((ids) => deleteFiles(ids.filter((id) => !docFiles(memory.doc).has(id))));
  roomChannel = new RoomChannel(auth, roster, () => room, memory);
  let httpsPort = config.httpsPort;
  const gateway = new Gateway({
    dataDir: config.dataDir,
    doc: memory.doc,
    room: () => room,
    people: () => roster.members().filter((m) => m.status === 'present').map((m) => ({ name: m.profile.name })),
    // Names of people present go to linked rooms: at most once a second, however often members
    // change their profiles.
    onPeopleChange: (fn) => void roster.onChange(coalesce(fn, 1_000).call),
    inviter: (hint) => ({
      // Where this device reached the hub; else the address it was told to listen on; else its first LAN address.
      host: hint ?? (config.host !== '0.0.0.0' && config.host !== '::' ? config.host : lanAddresses()[0]) ?? '127.0.0.1',
      port: httpsPort,
      fingerprint: tls.ca ? fingerprintHex(tls.ca.rootFingerprintSha256) : pemFingerprint(tls.cert),
    }),
  });

  // The stores just opened their databases (a gateway.sqlite made with the default mode, say):
  // tighten once more; files made from now on get 0600 (see files.ts and main.ts's umask).
  securePrivateTree(config.dataDir);

  const joinLinks = () => {
    const addrs = lanAddresses();
    const list = addrs.length ? addrs : ['127.0.0.1'];
    return list.map((a) => ({ address: a, url: joinUrl(`http://${hostForUrl(a)}:${config.httpPort}`, { roomId: room.id, secret: secrets.secret }) }));
  };
  // The names the hub answers to: its own, and whatever the certificate it serves names.
  let certNames = { pem: '', names: [] as string[] };
  const hosts = new KnownHosts({
    names: () => {
      if (certNames.pem !== tls.cert) certNames = { pem: tls.cert, names: certificateDnsNames(tls.cert) };
      return ['localhost', os.hostname(), ...config.hostnames, ...certNames.names];
    },
  });
  const deps = {
    config,
    hosts,
    auth,
    roster,
    room: () => room,
    keyId: () => secrets.keyId,
    caFingerprint: () => tls.ca?.rootFingerprintSha256 ?? null,
    rootCaPem: () => tls.ca?.rootPem ?? null,
    joinLinks,
    doc: memory.doc,
    files: filesRouter({ auth, store: fileStore }),
    gateway: gatewayRouter({ auth, gateway, nameOf: (id) => roster.members().find((m) => m.peerId === id)?.profile.name ?? 'A member' }),
    gatewayDisplay: gateway.display,
  };
  const httpServer = http.createServer(createHttpApp(deps, false));
  const httpsServer = https.createServer({ cert: tls.cert, key: tls.key }, createHttpApp(deps, true));
  const signaling = new Signaling(auth, httpsServer);
  // Devices refresh their banners and the ledger when the gateway changes, at most twice a second
  // (every frame sent to another room is a ledger change).
  const gatewayPush = coalesce(() => roomChannel.broadcast({ v: PROTOCOL_VERSION, t: 'gateway-changed' }), 500);
  gateway.onChange(gatewayPush.call);
  const onUpgrade = upgradeRouter(roomChannel, signaling, hosts, gateway);
  for (const s of [httpServer, httpsServer]) {
    s.on('upgrade', onUpgrade);
    s.on('clientError', (_err, socket) => socket.destroy());
    // Slow-loris guard; keep-alive stays short on a LAN.
    s.headersTimeout = 10_000;
    s.requestTimeout = 30_000;
  }
  await Promise.all([listen(httpServer, config.host, config.httpPort), listen(httpsServer, config.host, config.httpsPort)]);
  const ports = { http: (httpServer.address() as AddressInfo).port, https: (httpsServer.address() as AddressInfo).port };
  httpsPort = ports.https;

  const ticker = setInterval(() => {
    roster.tick();
    auth.sweep();
  }, 1000);

  // A new LAN address (DHCP, another network) gets a new leaf from the same room CA.
  const addressWatch = setInterval(() => {
    const now = lanAddresses();
    if (now.join() === tls.addresses.join()) return;
    loadTls(config, now)
      .then((next) => {
        tls = next;
        httpsServer.setSecureContext({ cert: tls.cert, key: tls.key });
        log.info('LAN addresses changed; new server certificate issued', { addresses: now });
      })
      .catch((err: Error) => log.error('could not renew the server certificate', { error: err.message }));
  }, ADDRESS_CHECK_MS);
  ticker.unref();
  addressWatch.unref();

  const applySecrets = (next: RoomSecrets) => {
    secrets = next;
    registerSecret(secrets.secret);
    auth.setSecrets(secrets);
    roomChannel.evictAll({ code: 'secret-rotated', message: "this room's secret was changed; scan the room's new QR code" });
    signaling.evictAll();
    log.info('room secret rotated; every device must join again with the new QR code');
  };

  const pidFile = path.join(config.dataDir, 'hub.pid');
  await writeFileAtomic(pidFile, String(process.pid));

  return {
    room,
    memory,
    gateway,
    secrets: () => secrets,
    joinLinks,
    tls: () => tls,
    ports,
    warnings,
    reloadSecret: async () => applySecrets((await loadOrCreateRoom(config.dataDir)).secrets),
    rotateSecret: async () => applySecrets(await rotateRoomSecret(config.dataDir)),
    async close() {
      gatewayPush.cancel();
      clearInterval(ticker);
      clearInterval(addressWatch);
      roomChannel.close();
      signaling.close();
      gateway.close();
      memory.close();
      await Promise.all([closeServer(httpServer), closeServer(httpsServer)]);
      try {
        if (fs.readFileSync(pidFile, 'utf8') === String(process.pid)) fs.unlinkSync(pidFile);
      } catch {
        // Already gone: nothing to clean.
      }
    },
  };
}

function listen(server: http.Server | https.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code === 'EADDRINUSE' ? `listen: port ${port} is in use (another hub running? pick one with --http-port/--https-port)` : `listen: ${err.message}`));
    });
    server.listen(port, host, () => resolve());
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
