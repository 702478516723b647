/**
 * The hub's services wired together: the room (identity, join, roster, room channel), signaling,
 * the room's memory and files, the gateway, and the two HTTP(S) servers. `main.ts` only parses
 * the command line and calls `startHub`; the tests and benchmarks start hubs the same way.
 */
import type { RoomInfo } from '../protocol/common.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import { fingerprintHex } from '../protocol/gateway.ts';
import { files as docFiles } from '../protocol/room-doc.ts';
import type { HubConfig } from './config.ts';
import { loadOrCreateRoom, rotateRoomSecret, type RoomSecrets } from './room/room-store.ts';
import { JoinAuth } from './room/join-auth.ts';
import { JoinLimits } from './room/join-api.ts';
import { joinLinks, type JoinLink } from './room/join-links.ts';
import { Roster } from './room/roster.ts';
import { RoomChannel } from './room/room-channel.ts';
import { broadCaWarning, loadTls, renewOnNewAddress, type TlsMaterial } from './tls/material.ts';
import { lanAddresses } from './net/lan-addresses.ts';
import { createHttpApp } from './net/http-app.ts';
import { upgradeRouter } from './net/upgrade-router.ts';
import { hubKnownHosts } from './net/host-guard.ts';
import { startServers } from './net/servers.ts';
import { Signaling } from './signaling/server.ts';
import { RoomMemory } from './memory/room-memory.ts';
import { MemoryStore } from './memory/memory-store.ts';
import { filesRouter, fileStoreFor } from './files/routes.ts';
import { Gateway } from './gateway/gateway.ts';
import { gatewayRouter } from './gateway/routes.ts';
import { pemFingerprint } from './gateway/pinned-dial.ts';
import { coalesce } from './support/coalesce.ts';
import { log, registerSecret } from './support/log.ts';
import { securePrivateTree } from './support/private-files.ts';
import { removePidFile, writePidFile } from './support/pid-file.ts';

export interface Hub {
  room: RoomInfo;
  memory: RoomMemory;
  /** Links to other rooms, invitations, the ledger. */
  gateway: Gateway;
  secrets: () => RoomSecrets;
  joinLinks: () => JoinLink[];
  tls: () => TlsMaterial;
  ports: { http: number; https: number };
  /** Problems the operator must act on (printed with the banner), e.g. a room CA that is too broad. */
  warnings: string[];
  /** Re-reads the room secret from disk (after `rotate-secret`) and evicts every device. */
  reloadSecret: () => Promise<void>;
  rotateSecret: () => Promise<void>;
  /** What the hub holds per device, socket, source and link: logged hourly and on SIGUSR2 (nothing may grow for good). */
  census: () => HubCensus;
  close: () => Promise<void>;
}

export type HubCensus = Record<string, Record<string, number>>;

export async function startHub(config: HubConfig): Promise<Hub> {
  // Before anything is read or written: the data folder and all in it private, or no start.
  securePrivateTree(config.dataDir);
  let { secrets } = await loadOrCreateRoom(config.dataDir);
  if (config.rotateSecret) secrets = await rotateRoomSecret(config.dataDir);
  registerSecret(secrets.secret);
  const room: RoomInfo = { id: secrets.roomId, name: config.roomName, place: config.roomPlace };
  let tls = await loadTls(config);
  const warnings = [broadCaWarning(tls)].filter((w): w is string => w !== null);

  const auth = new JoinAuth(secrets, config.credentialTtlSeconds * 1000);
  const joinLimits = new JoinLimits(config);
  const roster = new Roster(config.graceSeconds * 1000);
  const fileStore = fileStoreFor(config.dataDir);
  const deleteFiles = (ids: string[]) => {
    for (const id of ids) fileStore.deleteFile(id).catch((err: Error) => log.error('could not delete an expired file', { error: err.message }));
  };
  let roomChannel: RoomChannel | null = null;
  const memory = new RoomMemory(new MemoryStore(config.dataDir), {
    retentionDays: config.retentionDays,
    onRefusal: (device, err) => roomChannel?.tell(device, err.toWire()),
    onFilesExpired: deleteFiles,
  });
  // Files on disk that the room no longer lists (expired while the hub was off, or never shared).
  void fileStore.fileIds().then((ids) => deleteFiles(ids.filter((id) => !docFiles(memory.doc).has(id))));
  const channel = (roomChannel = new RoomChannel(auth, roster, () => room, memory));
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
  // Devices refresh their banners and the ledger when the gateway changes, at most twice a second
  // (every frame sent to another room is a ledger change).
  const gatewayPush = coalesce(() => channel.broadcast({ v: PROTOCOL_VERSION, t: 'gateway-changed' }), 500);
  gateway.onChange(gatewayPush.call);

  // The stores just opened their databases (a gateway.sqlite made with the default mode, say):
  // tighten once more; files made from now on get 0600 (see private-files.ts and main.ts's umask).
  securePrivateTree(config.dataDir);

  const links = () => joinLinks(config.httpPort, room.id, secrets.secret);
  const hosts = hubKnownHosts(config.hostnames, () => tls.cert);
  const deps = {
    config,
    hosts,
    auth,
    joinLimits,
    roster,
    room: () => room,
    keyId: () => secrets.keyId,
    caFingerprint: () => tls.ca?.rootFingerprintSha256 ?? null,
    rootCaPem: () => tls.ca?.rootPem ?? null,
    joinLinks: links,
    doc: memory.doc,
    files: filesRouter({ auth, store: fileStore }),
    gateway: gatewayRouter({ auth, gateway, nameOf: (id) => roster.members().find((m) => m.peerId === id)?.profile.name ?? 'A member' }),
    gatewayDisplay: gateway.display,
  };
  // Signaling (`peer`) attaches to the HTTPS server, before it listens.
  let peers!: Signaling;
  const servers = await startServers({ http: createHttpApp(deps, false), https: createHttpApp(deps, true) }, tls, config, (httpsServer) => {
    peers = new Signaling(auth, httpsServer);
    return upgradeRouter(channel, peers, hosts, gateway);
  });
  httpsPort = servers.ports.https;

  const ticker = setInterval(() => {
    roster.tick();
    auth.sweep();
  }, 1000);
  ticker.unref();
  const stopRenewal = renewOnNewAddress(config, () => tls, (next) => {
    tls = next;
    servers.https.setSecureContext({ cert: tls.cert, key: tls.key });
  });

  const applySecrets = (next: RoomSecrets) => {
    secrets = next;
    registerSecret(secrets.secret);
    auth.setSecrets(secrets);
    channel.evictAll({ code: 'secret-rotated', message: "this room's secret was changed; scan the room's new QR code" });
    peers.evictAll();
    log.info('room secret rotated; every device must join again with the new QR code');
  };

  await writePidFile(config.dataDir);

  return {
    room,
    memory,
    gateway,
    secrets: () => secrets,
    joinLinks: links,
    tls: () => tls,
    ports: servers.ports,
    warnings,
    reloadSecret: async () => applySecrets((await loadOrCreateRoom(config.dataDir)).secrets),
    rotateSecret: async () => applySecrets(await rotateRoomSecret(config.dataDir)),
    census: () => ({
      room: { roster: roster.size, answeredChallenges: auth.answeredCount, joinSources: joinLimits.size, ...channel.sizes },
      signaling: peers.sizes,
      memory: { links: memory.linkCount },
      gateway: gateway.sizes,
    }),
    async close() {
      gatewayPush.cancel();
      clearInterval(ticker);
      stopRenewal();
      channel.close();
      peers.close();
      gateway.close();
      memory.close();
      await servers.close();
      removePidFile(config.dataDir);
    },
  };
}
