/**
 * The benchmark suite's single entry: `npm run bench [-- join rtt capacity] [--warm=N --cold=N
 * --pings=N --max-clients=N --batch=N]`. Runs inside the test network namespace (see
 * scripts/with-netns.sh). Prints a table and writes bench/results/latest.json.
 * Measures and reports; never asserts a timing.
 */
import './scratch.ts'; // first: sets the scratch folder before the e2e support modules read it
import os from 'node:os';
import path from 'node:path';
import type { Browser } from '@playwright/test';
import { REPO } from '../tests/e2e/support/env.ts';
import { launchBrowser, killAllSync } from './support.ts';
import { runJoin } from './join.ts';
import { runRtt } from './rtt.ts';
import { runCapacity } from './capacity.ts';
import { runFiles } from './files.ts';
import { runMemory, catchUpBreakdownTable } from './memory.ts';
import { runVoice, voiceRows, type VoiceResult } from './voice.ts';
import { runVoiceRoom, voiceRoomRows, type VoiceRoomResult } from './voice-room.ts';
import { runGateway } from './gateway.ts';
import { rows, table, breakdownTable, capacityTable, writeJson, type Results } from './report.ts';

const STAGES = ['join', 'rtt', 'capacity', 'files', 'memory', 'gateway', 'voice', 'voice-room'] as const;
type Stage = (typeof STAGES)[number];

function parseArgs(argv: string[]) {
  const stages: Stage[] = [];
  const flags: Record<string, number> = {};
  for (const a of argv) {
    const m = /^--([a-z-]+)=(\d+)$/.exec(a);
    if (m) flags[m[1]!] = Number(m[2]);
    else if ((STAGES as readonly string[]).includes(a)) stages.push(a as Stage);
    else throw new Error(`bench: unknown argument "${a}" (stages: ${STAGES.join(', ')}; flags: --warm= --cold= --bare= --pings= --batch= --max-clients= --file-mb= --memory-runs= --messages= --updates= --gateway-edits= --ledger-items= --voice-steps= --model-runs= --voice-clips= --voice-window=)`);
  }
  return {
    stages: stages.length ? STAGES.filter((s) => stages.includes(s)) : [...STAGES],
    join: { warm: flags.warm ?? 20, cold: flags.cold ?? 10, bare: flags.bare ?? 20 },
    rtt: { count: flags.pings ?? 1000, warmup: 100, block: 250 },
    capacity: { batch: flags.batch ?? 500, max: flags['max-clients'] ?? 10_000, settleMs: 2000 },
    files: { sizeMb: flags['file-mb'] ?? 200 },
    gateway: { edits: flags['gateway-edits'] ?? 300, ledgerItems: flags['ledger-items'] ?? 2000 },
    memory: { runs: flags['memory-runs'] ?? 3, messages: flags.messages ?? 10_000, noteChars: 1_000_000, updates: flags.updates ?? 10_000, hubUpdates: 1000 },
    voice: { steps: flags['voice-steps'] ?? 1000, modelRuns: flags['model-runs'] ?? 30, coldRepeats: 3 },
    voiceRoom: { clips: flags['voice-clips'] ?? 12, windowSeconds: flags['voice-window'] ?? 12 },
  };
}

const log = (s: string) => process.stdout.write(s + '\n');

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const results: Results & { voice?: VoiceResult; voiceRoom?: VoiceRoomResult } = {};
  const errors: Record<string, string> = {};
  const stageInfo: Record<string, { seconds: number; loadavg1: number[] }> = {};
  let browser: Browser | null = null;
  let chromiumVersion: string | null = null;
  const loadavg = os.loadavg();
  try {
    if (opts.stages.some((s) => s !== 'capacity')) {
      browser = await launchBrowser();
      chromiumVersion = browser.version();
    }
    for (const stage of opts.stages) {
      const t0 = Date.now();
      const load0 = os.loadavg()[0]!;
      log(`\n== ${stage} ==`);
      try {
        if (stage === 'join') results.join = await runJoin(browser!, opts.join, log);
        if (stage === 'rtt') results.rtt = await runRtt(browser!, opts.rtt, log);
        if (stage === 'capacity') results.capacity = await runCapacity(opts.capacity, log);
        if (stage === 'files') results.files = await runFiles(browser!, opts.files, log);
        if (stage === 'voice') results.voice = await runVoice(browser!, opts.voice, log);
        if (stage === 'voice-room') results.voiceRoom = await runVoiceRoom(browser!, opts.voiceRoom, log);
        if (stage === 'gateway') results.gateway = await runGateway(opts.gateway, log);
        if (stage === 'memory') {
          results.memory = await runMemory(browser!, opts.memory, log);
          // Parts that failed still leave the others' numbers in the report.
          const failed = Object.entries(results.memory.failures);
          if (failed.length) errors.memory = failed.map(([part, e]) => `${part}: ${e}`).join('\n');
        }
      } catch (err) {
        errors[stage] = (err as Error).stack ?? String(err);
        log(`  ${stage} FAILED: ${(err as Error).message}`);
      }
      const seconds = Math.round((Date.now() - t0) / 100) / 10;
      stageInfo[stage] = { seconds, loadavg1: [Math.round(load0 * 100) / 100, Math.round(os.loadavg()[0]! * 100) / 100] };
      log(`  (${stage}: ${seconds} s; 1-min load average ${stageInfo[stage]!.loadavg1.join(' -> ')} on ${os.cpus().length} CPUs)`);
    }
  } finally {
    await browser?.close().catch(() => undefined);
  }

  const list = [...rows(results), ...(results.voice ? voiceRows(results.voice) : []), ...(results.voiceRoom ? voiceRoomRows(results.voiceRoom) : [])];
  log('\n' + table(list));
  if (results.join) {
    log('\nWhere the join time goes:\n' + breakdownTable(results.join));
    for (const n of results.join.notes) log(`- ${n}`);
  }
  if (results.capacity) log('\nHub signaling capacity:\n' + capacityTable(results.capacity));
  if (results.gateway) for (const n of results.gateway.notes) log(`- ${n}`);
  if (results.memory) {
    log('\nWhere the catch-up time goes:\n' + catchUpBreakdownTable(results.memory));
    for (const n of results.memory.notes) log(`- ${n}`);
  }

  const file = path.join(REPO, 'bench', 'results', 'latest.json');
  writeJson(file, {
    date: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryMb: Math.round(os.totalmem() / 2 ** 20),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
      chromium: chromiumVersion,
      loadavgAtStart: loadavg.map((v) => Math.round(v * 100) / 100),
      inNetns: process.env.OSMOSE_IN_NETNS === '1',
      scratch: process.env.OSMOSE_E2E_TMP ?? null,
    },
    commands: {
      npm: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
      process: `scripts/with-netns.sh node --import tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
      capacity: results.capacity?.commands ?? null,
    },
    options: opts,
    stages: stageInfo,
    table: list,
    results,
    errors,
  });
  log(`\nwrote ${path.relative(process.cwd(), file)}`);
  return Object.keys(errors).length ? 1 : 0;
}

process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    killAllSync();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.stack ?? err);
    killAllSync();
    process.exit(1);
  },
);
