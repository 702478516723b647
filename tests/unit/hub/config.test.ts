import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type HubConfig } from '../../../hub/config.ts';

const CWD = '/srv/osmose';

function config(argv: string[], env: NodeJS.ProcessEnv = {}): HubConfig {
  const c = parseConfig(argv, env, CWD);
  if (c === 'help') throw new Error('unexpected help');
  return c;
}

describe('parseConfig', () => {
  it('uses the embedded defaults with no flags and no environment', () => {
    const c = config([]);
    expect(c).toMatchObject({
      dataDir: path.join(CWD, '.osmose'),
      roomName: os.hostname().trim(),
      roomPlace: '',
      host: '0.0.0.0',
      httpPort: 8080,
      httpsPort: 8443,
      certFile: null,
      keyFile: null,
      graceSeconds: 120,
      credentialTtlSeconds: 3600,
      joinFailuresPerMinute: 5,
      challengesPerMinute: 120,
      iceServers: [],
      appDir: path.join(CWD, 'dist'),
      rotateSecret: false,
      printQr: true,
      quiet: false,
      noBuild: false,
    });
    expect(c.hostnames).toContain('localhost');
  });

  it('reads the environment when no flag is given', () => {
    const c = config([], {
      OSMOSE_ROOM_NAME: ' FW15 ',
      OSMOSE_ROOM_PLACE: 'William Gates Building',
      OSMOSE_DATA: 'state',
      OSMOSE_HOST: '127.0.0.1',
      OSMOSE_HTTP_PORT: '9000',
      OSMOSE_HTTPS_PORT: '9443',
      OSMOSE_GRACE: '30',
      OSMOSE_ICE_SERVERS: '[{"urls":"stun:10.0.0.1"}]',
    });
    expect(c).toMatchObject({
      roomName: 'FW15',
      roomPlace: 'William Gates Building',
      dataDir: path.join(CWD, 'state'),
      host: '127.0.0.1',
      httpPort: 9000,
      httpsPort: 9443,
      graceSeconds: 30,
      iceServers: [{ urls: 'stun:10.0.0.1' }],
    });
  });

  it('lets flags win over the environment', () => {
    const env = { OSMOSE_ROOM_NAME: 'env', OSMOSE_HTTP_PORT: '9000', OSMOSE_DATA: '/env', OSMOSE_GRACE: '30', OSMOSE_HOST: '10.0.0.1' };
    const c = config(['--name', 'flag', '--http-port', '9100', '--data', '/flag', '--grace', '45', '--host', '10.0.0.2'], env);
    expect(c).toMatchObject({ roomName: 'flag', httpPort: 9100, dataDir: '/flag', graceSeconds: 45, host: '10.0.0.2' });
  });

  it('resolves certificate paths against the working directory when both are given', () => {
    const c = config(['--cert', 'tls/cert.pem', '--key', '/etc/key.pem']);
    expect(c.certFile).toBe(path.join(CWD, 'tls/cert.pem'));
    expect(c.keyFile).toBe('/etc/key.pem');
  });

  it.each([[['--cert', 'c.pem']], [['--key', 'k.pem']]])('refuses %j alone: --cert and --key go together', (argv) => {
    expect(() => parseConfig(argv, {}, CWD)).toThrow(/--cert and --key go together/);
  });

  it.each(['abc', '-1', '80.5', '1e400'])('refuses the port %j', (port) => {
    expect(() => parseConfig([`--http-port=${port}`], {}, CWD)).toThrow(/http-port must be a whole number/);
    expect(() => parseConfig([], { OSMOSE_HTTPS_PORT: port }, CWD)).toThrow(/https-port/);
  });

  // Refused here, with the flag's name, rather than later inside server.listen.
  it('refuses a port above 65535', () => {
    expect(() => parseConfig(['--http-port', '70000'], {}, CWD)).toThrow('config: http-port must be a whole number from 0 to 65535, got "70000"');
  });

  it('keeps the durations above their floors', () => {
    const c = config(['--grace', '0', '--credential-ttl', '1', '--join-failures', '0', '--challenges', '0']);
    expect(c).toMatchObject({ graceSeconds: 1, credentialTtlSeconds: 30, joinFailuresPerMinute: 1, challengesPerMinute: 1 });
  });

  it('collects repeated --hostname flags after the defaults', () => {
    const c = config(['--hostname', 'fw15.example.org', '--hostname', 'room.lan']);
    expect(c.hostnames).toEqual(expect.arrayContaining(['localhost', 'fw15.example.org', 'room.lan']));
  });

  it('reads the boolean switches', () => {
    expect(config(['--rotate-secret', '--no-qr', '--quiet'])).toMatchObject({ rotateSecret: true, printQr: false, quiet: true });
  });

  it('answers help for --help, before checking anything else', () => {
    expect(parseConfig(['--help'], {}, CWD)).toBe('help');
    expect(parseConfig(['--help', '--cert', 'only.pem'], {}, CWD)).toBe('help');
  });

  it('refuses an unknown flag', () => {
    expect(() => parseConfig(['--prot', '80'], {}, CWD)).toThrow();
  });

  it('refuses a room name that is blank or too long, and a place that is too long', () => {
    expect(() => parseConfig(['--name', '   '], {}, CWD)).toThrow(/room name/);
    expect(() => parseConfig(['--name', 'x'.repeat(61)], {}, CWD)).toThrow(/room name/);
    expect(() => parseConfig(['--place', 'x'.repeat(121)], {}, CWD)).toThrow(/room place/);
    expect(config(['--name', 'x'.repeat(60)]).roomName).toHaveLength(60);
  });

  it('refuses --ice-servers entries that devices would reject', () => {
    expect(() => parseConfig(['--ice-servers', '[1]'], {}, CWD)).toThrow(/RTCIceServer/);
    expect(() => parseConfig(['--ice-servers', '[{"urls":"stun:10.0.0.2:3478"}]'], {}, CWD)).not.toThrow();
  });

  it('refuses --ice-servers that is not a JSON array', () => {
    expect(() => parseConfig(['--ice-servers', '{oops'], {}, CWD)).toThrow(/JSON array/);
    expect(() => parseConfig(['--ice-servers', '{"urls":"stun:x"}'], {}, CWD)).toThrow(/JSON array/);
  });
});
