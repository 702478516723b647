/**
 * Hub settings: flags win over environment variables, which win over the embedded defaults.
 * Every option is listed in HELP (and the README).
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import os from 'node:os';
import { z } from 'zod';
import { LIMITS } from '../protocol/limits.ts';
import { IceServer } from '../protocol/hub-api.ts';
import { isSafeCaName } from './tls/ca-names.ts';

export interface HubConfig {
  dataDir: string;
  roomName: string;
  roomPlace: string;
  /** Address to listen on; '0.0.0.0' listens on every interface (the LAN guard still applies). */
  host: string;
  httpPort: number;
  httpsPort: number;
  certFile: string | null;
  keyFile: string | null;
  /** Names the room CA may vouch for, besides LAN addresses: `<host>.local`, localhost, `--hostname`s. */
  hostnames: string[];
  graceSeconds: number;
  credentialTtlSeconds: number;
  /** Failed join proofs allowed per address per minute. */
  joinFailuresPerMinute: number;
  /** Join challenges allowed per address per minute. */
  challengesPerMinute: number;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
  /** Retention for a new room's messages and files (members can change it in the app). */
  retentionDays: number;
  appDir: string;
  rotateSecret: boolean;
  printQr: boolean;
  quiet: boolean;
  /** Serve the app as built, even if its sources are newer (tests build once, then run hubs). */
  noBuild: boolean;
}

export const HELP = `Usage: npm start -- [options]      (or: node --import tsx hub/main.ts [options])
       npm run rotate-secret -- [--data DIR]   make a new room secret; a running hub evicts old holders
       npm run reissue-ca -- [--data DIR] [--hostname NAME ...]   replace the room CA (hub stopped; devices reinstall it)

Options (environment variable in brackets):
  --name NAME            room name, e.g. FW15                           [OSMOSE_ROOM_NAME]  (default: the hostname)
  --place PLACE          where the room is, e.g. "Cambridge / William Gates Building"  [OSMOSE_ROOM_PLACE]
  --data DIR             hub data folder (secret, CA, certificates)      [OSMOSE_DATA]  (default: ./.osmose)
  --host ADDR            listen address                                  [OSMOSE_HOST]  (default: 0.0.0.0)
  --http-port N          plain-HTTP onboarding and guest port            [OSMOSE_HTTP_PORT]  (default: 8080)
  --https-port N         HTTPS app port                                  [OSMOSE_HTTPS_PORT] (default: 8443)
  --cert FILE --key FILE use your own certificate (for a real name) instead of the room CA's
  --hostname NAME        extra DNS name (two labels or more) the room CA may vouch for and the hub answers to (repeatable)
  --grace SECONDS        how long an unreachable device stays listed as away [OSMOSE_GRACE] (default: 120)
  --credential-ttl S     lifetime of a signaling credential              (default: 3600)
  --join-failures N      failed join proofs allowed per address per minute (default: 5)
  --challenges N         join challenges allowed per address per minute  (default: 120)
  --retention-days N     how long a new room keeps messages and files    [OSMOSE_RETENTION_DAYS] (default: 30)
  --ice-servers JSON     RTCIceServer list for the room (LAN only; default: [] = host candidates)
  --app-dir DIR          the built PWA (default: ./dist, built on first start when missing)
  --rotate-secret        make a new room secret before starting
  --no-qr                do not print the QR code
  --no-build             serve --app-dir as it is (by default the app is rebuilt when its sources are newer)
  --quiet                log warnings and errors only
  --help`;

function num(value: string | undefined, fallback: number, name: string, max = 86_400 * 365): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`config: ${name} must be a whole number from 0 to ${max}, got "${value}"`);
  return n;
}

const port = (value: string | undefined, fallback: number, name: string) => num(value, fallback, name, 65535);

/** `machineName`: the host's name (a parameter so tests can be a machine called `dev`). */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv, cwd: string, machineName = os.hostname()): HubConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      name: { type: 'string' },
      place: { type: 'string' },
      data: { type: 'string' },
      host: { type: 'string' },
      'http-port': { type: 'string' },
      'https-port': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      hostname: { type: 'string', multiple: true },
      grace: { type: 'string' },
      'credential-ttl': { type: 'string' },
      'join-failures': { type: 'string' },
      challenges: { type: 'string' },
      'ice-servers': { type: 'string' },
      'retention-days': { type: 'string' },
      'app-dir': { type: 'string' },
      'rotate-secret': { type: 'boolean' },
      'no-qr': { type: 'boolean' },
      'no-build': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const host = machineName;
  const roomName = (values.name ?? env.OSMOSE_ROOM_NAME ?? host).trim();
  const roomPlace = (values.place ?? env.OSMOSE_ROOM_PLACE ?? '').trim();
  if (!roomName || roomName.length > LIMITS.roomNameChars) throw new Error(`config: room name must be 1-${LIMITS.roomNameChars} characters`);
  if (roomPlace.length > LIMITS.roomPlaceChars) throw new Error(`config: room place must be at most ${LIMITS.roomPlaceChars} characters`);
  if (Boolean(values.cert) !== Boolean(values.key)) throw new Error('config: --cert and --key go together');
  let iceServers: HubConfig['iceServers'] = [];
  const iceText = values['ice-servers'] ?? env.OSMOSE_ICE_SERVERS;
  if (iceText) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(iceText);
    } catch {
      throw new Error('config: --ice-servers must be a JSON array of RTCIceServer');
    }
    // The same schema devices use to check the join answer, so a bad entry fails here, not there.
    const checked = z.array(IceServer).max(8).safeParse(parsed);
    if (!checked.success) throw new Error(`config: --ice-servers must be a JSON array of RTCIceServer (${checked.error.issues[0]?.message ?? 'invalid'})`);
    iceServers = checked.data;
  }
  // The room CA vouches for names that cannot be public: the machine's mDNS name and localhost.
  // Not the bare machine name: on a machine called `dev` that would be every .dev website.
  const safeHost = /^[A-Za-z0-9-]{1,63}$/.test(host) ? host.toLowerCase() : null;
  const explicit = (values.hostname ?? []).map((h) => h.trim().toLowerCase().replace(/\.$/, ''));
  for (const h of explicit) {
    if (!isSafeCaName(h)) {
      throw new Error(`config: --hostname ${h} is a single label: the room CA would vouch for every name under it, and "${h}" is or could become a public top-level domain; give a full name (e.g. ${h}.example.org or ${h}.local)`);
    }
  }
  const hostnames = [...new Set([...(safeHost ? [`${safeHost}.local`] : []), 'localhost', ...explicit])];
  return {
    dataDir: path.resolve(cwd, values.data ?? env.OSMOSE_DATA ?? '.osmose'),
    roomName,
    roomPlace,
    host: values.host ?? env.OSMOSE_HOST ?? '0.0.0.0',
    httpPort: port(values['http-port'] ?? env.OSMOSE_HTTP_PORT, 8080, 'http-port'),
    httpsPort: port(values['https-port'] ?? env.OSMOSE_HTTPS_PORT, 8443, 'https-port'),
    certFile: values.cert ? path.resolve(cwd, values.cert) : null,
    keyFile: values.key ? path.resolve(cwd, values.key) : null,
    hostnames,
    graceSeconds: Math.max(1, num(values.grace ?? env.OSMOSE_GRACE, 120, 'grace')),
    credentialTtlSeconds: Math.max(30, num(values['credential-ttl'], 3600, 'credential-ttl')),
    joinFailuresPerMinute: Math.max(1, num(values['join-failures'], 5, 'join-failures')),
    challengesPerMinute: Math.max(1, num(values.challenges, 120, 'challenges')),
    iceServers,
    retentionDays: Math.max(1, num(values['retention-days'] ?? env.OSMOSE_RETENTION_DAYS, 30, 'retention-days', 3650)),
    appDir: path.resolve(cwd, values['app-dir'] ?? 'dist'),
    rotateSecret: values['rotate-secret'] ?? false,
    printQr: !values['no-qr'],
    noBuild: values['no-build'] ?? false,
    quiet: values.quiet ?? false,
  };
}
