/**
 * The benchmark suite's single entry: `npm run bench [-- <stage>...] [--name=N ...]`. With no
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
import { table, writeJson, type Row } from './report.ts';
import { STAGE_FLAGS, STAGE_NAMES, isStage, resultKey, stageDef, type Flags, type Stage } from './stages.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(BENCH_DIR, '..');
const OWN_FLAGS = ['stage-minutes'];

function parseArgs(argv: string[]): { stages: Stage[]; flags: Flags; stageMinutes: number } {
  const stages: Stage[] = [];
  const flags: Record<string, number> = {};
  const known = new Set([...STAGE_FLAGS, ...OWN_FLAGS]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // `--flag=N` or `--flag N`.
    const m = /^--([a-z-]+)(?:=(\d+))?$/.exec(a);
    const value = m?.[2] ?? (m && /^\d+$/.test(argv[i + 1] ?? '') ? argv[++i] : undefined);
    if (m && known.has(m[1]!) && value !== undefined) flags[m[1]!] = Number(value);
    else if (isStage(a)) stages.push(a);
    else throw new Error(`bench: unknown argument "${a}" (stages: ${STAGE_NAMES.join(', ')}; flags: ${[...known].map((f) => `--${f}=N`).join(' ')})`);
  }
  return { stages: stages.length ? STAGE_NAMES.filter((s) => stages.includes(s)) : [...STAGE_NAMES], flags, stageMinutes: flags['stage-minutes'] ?? 30 };
}

const log = (s: string) => process.stdout.write(s + '\n');

interface StageOutcome {
  result?: unknown;
  chromium?: string | null;
  error?: string;
}

/** Runs one stage in a child process; never rejects. */
function runStage(stage: Stage, flagsFile: string, limitMs: number): Promise<StageOutcome> {
  const out = path.join(path.dirname(flagsFile), `${stage}.json`);
  fs.rmSync(out, { force: true });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'stage.ts'), stage, flagsFile, out], { stdio: 'inherit', cwd: REPO });
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
  const { stages, flags, stageMinutes } = parseArgs(process.argv.slice(2));
  const started = new Date();
  const loadavg = os.loadavg();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'osmose-bench-'));
  const flagsFile = path.join(work, 'flags.json');
  fs.writeFileSync(flagsFile, JSON.stringify(flags));

  const results: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const stageInfo: Record<string, { seconds: number; loadavg1: number[]; ok: boolean }> = {};
  const list: Row[] = [];
  const reports: (() => void)[] = [];
  let chromiumVersion: string | null = null;
  for (const stage of stages) {
    const def = stageDef(stage);
    const t0 = Date.now();
    const load0 = os.loadavg()[0]!;
    log(`\n== ${stage} ==`);
    const outcome = await runStage(stage, flagsFile, Math.max(stageMinutes, def.minutes?.(flags) ?? 0) * 60_000);
    if (outcome.result !== undefined) {
      const result = outcome.result;
      results[resultKey(stage)] = result;
      const partial = def.partialFailures?.(result);
      if (partial) errors[stage] = partial;
      try {
        list.push(...def.rows(result));
        if (def.report) reports.push(() => def.report!(result, log));
      } catch (err) {
        errors[stage] = [errors[stage], `could not report the result: ${(err as Error).message}`].filter(Boolean).join('\n');
      }
    }
    chromiumVersion ??= outcome.chromium ?? null;
    if (outcome.error) {
      errors[stage] = [errors[stage], outcome.error].filter(Boolean).join('\n');
      log(`  ${stage} FAILED: ${outcome.error.split('\n')[0]}`);
    }
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    stageInfo[stage] = { seconds, ok: !errors[stage], loadavg1: [Math.round(load0 * 100) / 100, Math.round(os.loadavg()[0]! * 100) / 100] };
    log(`  (${stage}: ${seconds} s; 1-min load average ${stageInfo[stage]!.loadavg1.join(' -> ')} on ${os.cpus().length} CPUs)`);
  }
  fs.rmSync(work, { recursive: true, force: true });

  log('\n' + table(list));
  for (const report of reports) report();
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
      capacity: (results.capacity as { commands?: unknown } | undefined)?.commands ?? null,
    },
    options: Object.fromEntries(stages.map((s) => [resultKey(s), stageDef(s).options(flags)])),
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
