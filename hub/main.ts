/** The hub process: parse the command line, start the hub, print how to join, handle signals. */
import { HELP, parseConfig } from './config.ts';
import { startHub, type Hub } from './hub.ts';
import { renderBanner } from './room/banner.ts';
import { appUrls } from './room/join-links.ts';
import { ensureAppBuilt } from './pages/build-app.ts';
import { log, setQuiet } from './support/log.ts';

/** The census goes to the log this often (and on SIGUSR2): growth shows over a hub's months. */
const CENSUS_EVERY_MS = 3_600_000;

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env, process.cwd());
  if (config === 'help') {
    process.stdout.write(HELP + '\n');
    return;
  }
  setQuiet(config.quiet);
  // Whatever this process creates (databases' journals, a library's temp file) is its own only.
  process.umask(0o077);
  ensureAppBuilt(config.appDir, !config.noBuild);
  const hub = await startHub(config);

  const printBanner = async () => {
    process.stdout.write(
      (await renderBanner({
        room: hub.room,
        joinLinks: hub.joinLinks(),
        appUrls: appUrls(hub.ports.https),
        caFingerprint: hub.tls().ca?.rootFingerprintSha256 ?? null,
        httpPort: hub.ports.http,
        showSecret: Boolean(process.stdout.isTTY),
        printQr: config.printQr,
        warnings: hub.warnings,
      })) + '\n',
    );
  };
  await printBanner();
  // Machine-readable readiness line for scripts and tests (no secret in it).
  log.info('hub ready', { room: hub.room.id, http: hub.ports.http, https: hub.ports.https, pid: process.pid });

  process.on('SIGHUP', () => {
    // Sent by `npm run rotate-secret`: the secret on disk changed.
    hub.reloadSecret().then(printBanner, (err: Error) => log.error('could not read the new room secret', { error: err.message }));
  });
  setInterval(() => logCensus(hub), CENSUS_EVERY_MS).unref();
  process.on('SIGUSR2', () => logCensus(hub));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('hub stopping', { signal });
    hub.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** One log line: what the hub holds per device, socket, source and link, and its memory. */
function logCensus(hub: Hub): void {
  const m = process.memoryUsage();
  log.info('hub census', { ...hub.census(), process: { rssMb: Math.round(m.rss / 1e6), heapUsedMb: Math.round(m.heapUsed / 1e6) } });
}

process.on('uncaughtException', (err) => {
  // A bug must not take the room down silently: log it and keep serving.
  log.error('uncaught exception', { error: err.message, stack: err.stack?.split('\n').slice(0, 5).join(' | ') });
});
process.on('unhandledRejection', (err) => {
  log.error('unhandled rejection', { error: err instanceof Error ? err.message : String(err) });
});

main().catch((err: Error) => {
  log.error(err.message);
  process.exit(1);
});
