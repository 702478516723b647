/**
 * Helpers for tests of the hub's edge: an in-process hub on loopback, and raw HTTP requests and
 * WebSocket upgrades with whatever headers an attacker would send (fetch cannot set `Host`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import https from 'node:https';
import crypto from 'node:crypto';
import { startHub, type Hub } from '../../../hub/hub.ts';
import { parseConfig, type HubConfig } from '../../../hub/config.ts';

export interface TestHub {
  hub: Hub;
  config: HubConfig;
  dir: string;
}

/** A hub on 127.0.0.1 with ephemeral ports, a stub app and its data in `<dir>/data`. */
export async function startTestHub(args: string[] = [], dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-edge-'))): Promise<TestHub> {
  const appDir = path.join(dir, 'app');
  fs.mkdirSync(appDir, { recursive: true });
  for (const f of ['index.html', 'display.html', 'onboarding.html']) fs.writeFileSync(path.join(appDir, f), `<p>${f}</p>`);
  const parsed = parseConfig(['--data', path.join(dir, 'data'), '--app-dir', appDir, '--host', '127.0.0.1', '--http-port', '0', '--https-port', '0', '--quiet', ...args], {}, dir);
  if (parsed === 'help') throw new Error('unreachable');
  const hub = await startHub(parsed);
  return { hub, config: parsed, dir };
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawOptions {
  port: number;
  secure?: boolean;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Source address on this machine (any 127.0.0.0/8 address works on Linux). */
  localAddress?: string;
  agent?: http.Agent;
}

/** One HTTP(S) request with exactly the headers given (Host included). */
export function rawRequest(o: RawOptions): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const mod = o.secure ? https : http;
    const req = mod.request(
      {
        host: '127.0.0.1',
        port: o.port,
        method: o.method ?? 'GET',
        path: o.path,
        headers: { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
        localAddress: o.localAddress,
        agent: o.agent,
        ...(o.secure ? { rejectUnauthorized: false, servername: undefined } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A WebSocket upgrade; resolves with the refusal's status, or 101 when it was accepted. */
export function rawUpgrade(o: RawOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = o.secure ? https : http;
    const req = mod.request({
      host: '127.0.0.1',
      port: o.port,
      path: o.path,
      localAddress: o.localAddress,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
        ...o.headers,
      },
      ...(o.secure ? { rejectUnauthorized: false } : {}),
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
