/**
 * One benchmark stage in a process of its own: `node --import tsx bench/stage.ts <stage>
 * <flags.json> <out.json>`. Started by `run.ts`; writes `{ result }` or `{ error }` to out.json.
 * Whatever the stage leaves behind (hubs, clients, a socket event after a store closed) ends with
 * this process, not with the whole run.
 */
import './scratch.ts'; // first: sets the scratch folder before the e2e support modules read it
import fs from 'node:fs';
import type { Browser } from '@playwright/test';
import { launchBrowser, killAllSync } from './support.ts';
import { isStage, stageDef, type Flags } from './stages.ts';

const [name, flagsFile, outFile] = process.argv.slice(2);
if (!name || !isStage(name) || !flagsFile || !outFile) {
  console.error('usage: node --import tsx bench/stage.ts <stage> <flags.json> <out.json>');
  process.exit(2);
}
const flags = JSON.parse(fs.readFileSync(flagsFile, 'utf8')) as Flags;
const log = (s: string) => process.stdout.write(s + '\n');
let done: { result: unknown; chromium: string | null } | null = null;
const write = (data: object) => fs.writeFileSync(outFile, JSON.stringify({ ...done, ...data }));

// An error thrown later, outside the stage's own promise chain, is this stage's failure too.
process.on('uncaughtException', (err) => {
  // The figures already measured are kept; the stage still counts as failed.
  write({ error: `uncaught ${done ? 'after the stage returned' : 'while the stage ran'}: ${err.stack ?? err}` });
  killAllSync();
  process.exit(1);
});
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => (killAllSync(), process.exit(130)));

async function main(): Promise<void> {
  const def = stageDef(name as Parameters<typeof stageDef>[0]);
  let browser: Browser | null = null;
  try {
    if (def.browser) browser = await launchBrowser();
    done = { result: await def.run(browser, def.options(flags), log), chromium: browser?.version() ?? null };
    write({});
  } finally {
    await browser?.close().catch(() => undefined);
  }
}

// A short wait before exiting lets a late socket or timer event surface as this stage's error.
main().then(
  () => setTimeout(() => process.exit(0), 1000),
  (err: Error) => {
    write({ error: err.stack ?? String(err) });
    killAllSync();
    process.exit(1);
  },
);
