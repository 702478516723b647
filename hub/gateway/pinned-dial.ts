/**
 * The only outbound connections the hub ever makes: to another room's hub, for a link that a
 * member accepted. TLS is pinned to the invitation's fingerprint and trusts nothing else (no
 * system CAs, not this room's CA):
 *
 * - Room CA pin (the usual case): the other hub's root CA certificate is fetched once from
 *   `/ca.pem` (public) and kept only if the answer is exactly one certificate whose SHA-256 is the
 *   pinned one (anything else in it, another certificate above all, is refused: a man in the
 *   middle would add its own CA there); the link's WebSocket then trusts exactly that root,
 *   re-encoded from its DER, with OpenSSL's full chain check (name constraints included) and the
 *   host name check. A saved CA is checked the same way before every dial.
 * - Leaf pin (a hub started with --cert/--key has no room CA): the presented certificate's own
 *   SHA-256 must be the pin; the handshake proves the key.
 *
 * The check happens before our first frame (which carries the token) is sent.
 */
import https from 'node:https';
import net from 'node:net';
import dns from 'node:dns/promises';
import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { OsmoseError } from '../../protocol/errors.ts';
import { GATEWAY_LIMITS, GATEWAY_PATH } from '../../protocol/gateway.ts';
import { isLanAddress } from '../net/lan-guard.ts';
import { hostForUrl } from '../net/lan-addresses.ts';

const CONNECT_TIMEOUT_MS = 5_000;

export interface DialTarget {
  host: string;
  port: number;
  /** SHA-256 hex (64 lower-case characters). */
  fingerprint: string;
  /** The other hub's room CA, once fetched and matched; null: not fetched yet, or a leaf pin. */
  caPem: string | null;
}

const mismatch = (why: string) =>
  new OsmoseError('fingerprint-mismatch', `the other hub's certificate does not match the invitation (${why}); the link was not opened`);

/** Refuses anything that is not on a local network: a link never leaves the LAN. */
export async function checkLanHost(host: string): Promise<void> {
  let address = host;
  if (!net.isIP(host)) {
    try {
      address = (await dns.lookup(host)).address;
    } catch {
      throw new OsmoseError('hub-unreachable', `the other room's hub (${host.slice(0, 60)}) could not be found`);
    }
  }
  if (!isLanAddress(address)) throw new OsmoseError('not-lan', "the other room's hub is not on a local network; Osmose links rooms on local networks only");
}

/** SHA-256 of a PEM certificate's DER, hex. */
export function pemFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
}

const PEM_BLOCK = /^\s*-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*$/;

/**
 * The one certificate a link trusts: `text` must be exactly one PEM certificate (whitespace
 * around it aside) whose DER's SHA-256 is `fingerprint`. Returns it re-encoded from that DER, so
 * nothing else of `text` ever reaches TLS. Throws `fingerprint-mismatch` otherwise.
 */
export function pinnedRoot(text: string, fingerprint: string): string {
  const m = PEM_BLOCK.exec(text);
  if (!m) throw mismatch('the room CA must be exactly one certificate');
  const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  if (createHash('sha256').update(der).digest('hex') !== fingerprint) throw mismatch('its room CA has another fingerprint');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    throw mismatch('its room CA is not a certificate');
  }
  if (!cert.ca) throw mismatch('the pinned certificate is not a CA');
  return cert.toString();
}

/**
 * A room CA saved with a link by a hub older than the strict check above may hold more than the
 * pinned root (a man in the middle's CA after it): only the pinned one is kept. Throws
 * `fingerprint-mismatch` when none matches.
 */
export function savedRoot(saved: string, fingerprint: string): string {
  for (const block of saved.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []) {
    try {
      return pinnedRoot(block, fingerprint);
    } catch {
      // another certificate: never trusted
    }
  }
  throw mismatch('the saved room CA has no certificate with the pinned fingerprint');
}

/**
 * The other hub's room CA, if it has one matching the pin. Returns null when the hub has no room
 * CA (then the leaf must match). Throws `fingerprint-mismatch` when the CA is someone else's.
 */
export function fetchPinnedCa(target: DialTarget): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: target.host, port: target.port, path: '/ca.pem', rejectUnauthorized: false, timeout: CONNECT_TIMEOUT_MS, agent: false },
      (res) => {
        if (!isLanAddress(res.socket.remoteAddress)) {
          res.destroy();
          return reject(new OsmoseError('not-lan', "the other room's hub is not on a local network"));
        }
        const leaf = (res.socket as TLSSocket).getPeerX509Certificate();
        if (res.statusCode === 404) {
          res.resume();
          // No room CA: the pin must be the hub's own certificate.
          if (leaf && leaf.fingerprint256.replace(/:/g, '').toLowerCase() === target.fingerprint) return resolve(null);
          return reject(mismatch('no room CA, and the certificate is not the pinned one'));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 64 * 1024) res.destroy(new Error('CA too large'));
          else chunks.push(c);
        });
        res.on('end', () => {
          if (leaf && leaf.fingerprint256.replace(/:/g, '').toLowerCase() === target.fingerprint) return resolve(null);
          if (res.statusCode !== 200) return reject(mismatch(`no room CA (HTTP ${res.statusCode})`));
          try {
            resolve(pinnedRoot(Buffer.concat(chunks).toString('utf8'), target.fingerprint));
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', () => reject(new OsmoseError('hub-unreachable', "the other room's hub stopped answering")));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new OsmoseError('hub-unreachable', `the other room's hub is not reachable (${err.code ?? err.message})`.slice(0, 200))));
  });
}

/**
 * Opens the link's WebSocket with the pin enforced. Resolves once the socket is open and the
 * certificate checked; nothing has been sent on it yet.
 */
export function dialPinned(target: DialTarget): Promise<WebSocket> {
  // Exactly the pinned root, whatever was saved (a link saved by an older hub may hold more).
  let ca: string | null;
  try {
    ca = target.caPem === null ? null : savedRoot(target.caPem, target.fingerprint);
  } catch (err) {
    return Promise.reject(err);
  }
  const url = `wss://${hostForUrl(target.host)}:${target.port}${GATEWAY_PATH}`;
  const ws = new WebSocket(url, {
    ca: ca ?? undefined,
    // With a room CA: only that root, OpenSSL's chain check and the host name check.
    rejectUnauthorized: ca !== null,
    handshakeTimeout: CONNECT_TIMEOUT_MS,
    maxPayload: GATEWAY_LIMITS.frameBytes,
    perMessageDeflate: false,
    followRedirects: false,
  });
  return new Promise((resolve, reject) => {
    let checked = false;
    ws.on('upgrade', (res) => {
      const socket = res.socket as TLSSocket;
      if (!isLanAddress(socket.remoteAddress)) {
        ws.terminate();
        return reject(new OsmoseError('not-lan', "the other room's hub is not on a local network"));
      }
      const leaf = socket.getPeerX509Certificate();
      const ok = ca !== null ? socket.authorized : leaf?.fingerprint256.replace(/:/g, '').toLowerCase() === target.fingerprint;
      if (!ok) {
        ws.terminate();
        return reject(mismatch('the presented certificate is not the pinned one'));
      }
      checked = true;
    });
    ws.once('open', () => (checked ? resolve(ws) : (ws.terminate(), reject(mismatch('unchecked')))));
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new OsmoseError('hub-unreachable', `the other room's hub refused the link (HTTP ${res.statusCode})`));
    });
    ws.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|SIGNATURE|VERIFY/.test(code)) return reject(mismatch(code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'it is not made out for this address' : code.toLowerCase()));
      reject(new OsmoseError('hub-unreachable', `the other room's hub is not reachable (${code || err.message})`.slice(0, 200)));
    });
  });
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Where a guest link dials, trusting only the pinned root: a saved CA holding more (from an older
 * hub) is reduced to it, and `trimmed` is told so that the store keeps only that.
 */
export function savedTarget(row: { host: string | null; port: number | null; fingerprint: string | null; caPem: string | null }, trimmed: (pem: string) => void): DialTarget {
  const caPem = row.caPem === null ? null : savedRoot(row.caPem, row.fingerprint!);
  if (caPem !== null && caPem !== row.caPem) trimmed(caPem);
  return { host: row.host!, port: row.port!, fingerprint: row.fingerprint!, caPem };
}
