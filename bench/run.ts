/**
 * The benchmark suite's single entry: `npm run bench [-- <stage>...] [--warm=N ...]`. With no
 * stage named it runs every stage, and its output is the source of every figure the README and
 * the closing notes quote. Runs inside the test network namespace (scripts/with-netns.sh).
 *
 * Each stage runs in a process of its own (`stage.ts`) with a time limit: a stage that fails,
 * crashes or hangs is reported and the others still run. Prints a table and writes
 * bench/results/latest.json. Measures and reports; never asserts a timing.
 */
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { catchUpBreakdownTable } from './memory.ts';
import { voiceRows } from './voice.ts';
import { voiceRoomRows } from './voice-room.ts';
import { ocrRows, type OcrResult } from './ocr.ts';
import { rows, table, breakdownTable, capacityTable, writeJson, type Results } from './report.ts';
import { STAGE_NAMES, isStage, stageDef, type BenchOptions, type Stage } from './stages.ts';
import type { VoiceResult } from './voice.ts';
import type { VoiceRoomResult } from './voice-room.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(BENCH_DIR, '..');
const FLAGS = '--warm= --cold= --bare= --pings= --batch= --max-clients= --file-mb= --memory-runs= --messages= --updates= --gateway-edits= --ledger-items= --voice-steps= --model-runs= --voice-clips= --voice-window= --ocr-runs= --stage-minutes=';

function parseArgs(argv: string[]): { stages: Stage[]; options: BenchOptions; stageMinutes: number } {
  const stages: Stage[] = [];
  const flags: Record<string, number> = {};
  for (const a of argv) {
    const m = /^--([a-z-]+)=(\d+)$/.exec(a);
    if (m) flags[m[1]!] = Number(m[2]);
    else if (isStage(a)) stages.push(a);
    else throw new Error(`bench: unknown argument "${a}" (stages: ${STAGE_NAMES.join(', ')}; flags: ${FLAGS})`);
  }
  return {
    stages: stages.length ? STAGE_NAMES.filter((s) => stages.includes(s)) : [...STAGE_NAMES],
    stageMinutes: flags['stage-minutes'] ?? 30,
    options: {
      join: { warm: flags.warm ?? 20, cold: flags.cold ?? 10, bare: flags.bare ?? 20 },
      rtt: { count: flags.pings ?? 1000, warmup: 100, block: 250 },
      capacity: { batch: flags.batch ?? 500, max: flags['max-clients'] ?? 10_000, settleMs: 2000 },
      files: { sizeMb: flags['file-mb'] ?? 200 },
      gateway: { edits: flags['gateway-edits'] ?? 300, ledgerItems: flags['ledger-items'] ?? 2000 },
      memory: { runs: flags['memory-runs'] ?? 3, messages: flags.messages ?? 10_000, noteChars: 1_000_000, updates: flags.updates ?? 10_000, hubUpdates: 1000 },
      voice: { steps: flags['voice-steps'] ?? 1000, modelRuns: flags['model-runs'] ?? 30, coldRepeats: 3 },
      voiceRoom: { clips: flags['voice-clips'] ?? 12, windowSeconds: flags['voice-window'] ?? 12 },
      ocr: { runs: flags['ocr-runs'] ?? 5 },
    },
  };
}

const log = (s: string) => process.stdout.write(s + '\n');

interface StageOutcome {
  result?: unknown;
  chromium?: string | null;
  error?: string;
}

/** Runs one stage in a child process; never rejects. */
function runStage(stage: Stage, optionsFile: string, limitMs: number): Promise<StageOutcome> {
  const out = path.join(path.dirname(optionsFile), `${stage}.json`);
  fs.rmSync(out, { force: true });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'stage.ts'), stage, optionsFile, out], { stdio: 'inherit', cwd: REPO });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, limitMs);
    const stop = () => child.kill('SIGTERM');
    process.once('SIGINT', stop);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', stop);
      let outcome: StageOutcome = {};
      try {
        outcome = JSON.parse(fs.readFileSync(out, 'utf8')) as StageOutcome;
      } catch {
        // Nothing written: the process died before it could say why.
      }
      if (timedOut) outcome.error = `did not finish within ${Math.round(limitMs / 60_000)} min (killed)${outcome.error ? `; ${outcome.error}` : ''}`;
      else if (code !== 0 && !outcome.error) outcome.error = `the stage's process exited with ${signal ?? `code ${code}`} and wrote no error`;
      resolve(outcome);
    });
  });
}

async function main(): Promise<number> {
  const { stages, options, stageMinutes } = parseArgs(process.argv.slice(2));
  const started = new Date();
  const loadavg = os.loadavg();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-bench-'));
  const optionsFile = path.join(work, 'options.json');
  fs.writeFileSync(optionsFile, JSON.stringify(options));

  const results: Results & { voice?: VoiceResult; voiceRoom?: VoiceRoomResult; ocr?: OcrResult } = {};
  const errors: Record<string, string> = {};
  const stageInfo: Record<string, { seconds: number; loadavg1: number[]; ok: boolean }> = {};
  let chromiumVersion: string | null = null;
  for (const stage of stages) {
    const t0 = Date.now();
    const load0 = os.loadavg()[0]!;
    log(`\n== ${stage} ==`);
    const outcome = await runStage(stage, optionsFile, stageMinutes * 60_000);
    if (outcome.result !== undefined) {
      (results as Record<string, unknown>)[stage === 'voice-room' ? 'voiceRoom' : stage] = outcome.result;
      const partial = stageDef(stage).partialFailures?.(outcome.result);
      if (partial) errors[stage] = partial;
    }
    chromiumVersion ??= outcome.chromium ?? null;
    if (outcome.error) {
      errors[stage] = [errors[stage], outcome.error].filter(Boolean).join('\n');
      log(`  ${stage} FAILED: ${outcome.error.split('\n')[0]}`);
    }
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    stageInfo[stage] = { seconds, ok: !outcome.error, loadavg1: [Math.round(load0 * 100) / 100, Math.round(os.loadavg()[0]! * 100) / 100] };
    log(`  (${stage}: ${seconds} s; 1-min load average ${stageInfo[stage]!.loadavg1.join(' -> ')} on ${os.cpus().length} CPUs)`);
  }
  fs.rmSync(work, { recursive: true, force: true });

  const list = [...rows(results), ...(results.voice ? voiceRows(results.voice) : []), ...(results.voiceRoom ? voiceRoomRows(results.voiceRoom) : []), ...(results.ocr ? ocrRows(results.ocr) : [])];
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
  const failed = Object.keys(errors);
  log(failed.length ? `\nStages with failures: ${failed.join(', ')} (details in the JSON's "errors")` : `\nEvery stage completed: ${stages.join(', ')}`);

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
    },
    commands: {
      npm: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
      process: `scripts/with-netns.sh node --import tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
      capacity: results.capacity?.commands ?? null,
    },
    options,
    stages: stageInfo,
    table: list,
    results,
    errors,
  });
  log(`wrote ${path.relative(process.cwd(), file)}`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.stack ?? err);
    process.exit(1);
  },
);
