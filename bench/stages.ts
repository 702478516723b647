/**
 * Every benchmark stage, by name: the flags it reads (with their defaults), whether it needs a
 * browser, how it runs, and how its result becomes rows and notes of the report. `run.ts` runs
 * each stage in a process of its own (`stage.ts`), so a stage that crashes or hangs is reported
 * and the others still run. A new stage is one entry here and a file of its own.
 */
import type { Browser } from '@playwright/test';
import { runJoin, type JoinResult } from './join.ts';
import { runRtt, type RttResult } from './rtt.ts';
import { runCapacity, type CapacityResult } from './capacity.ts';
import { runFiles, type FilesResult } from './files.ts';
import { runMemory, catchUpBreakdownTable, type MemoryResult } from './memory.ts';
import { runVoice, voiceRows, type VoiceResult } from './voice.ts';
import { runVoiceRoom, voiceRoomRows, type VoiceRoomResult } from './voice-room.ts';
import { runGateway, type GatewayResult } from './gateway.ts';
import { runMeshScale, meshScaleRows, type MeshScaleResult } from './mesh-scale.ts';
import { runVision, visionRows, type VisionResult } from './vision.ts';
import { runStt, sttRows, type SttBenchResult } from './stt.ts';
import { runOcr, ocrRows, type OcrResult } from './ocr.ts';
import { runSoak, soakRows, type SoakResult } from './soak.ts';
import { rows, breakdownTable, capacityTable, type Row } from './report.ts';

export type Log = (s: string) => void;
export type Flags = Readonly<Record<string, number>>;

export interface StageDef<O = unknown, R = unknown> {
  browser: boolean;
  /** The `--name=N` flags this stage reads. */
  flags: readonly string[];
  options: (flags: Flags) => O;
  run: (browser: Browser | null, opts: O, log: Log) => Promise<R>;
  rows: (result: R) => Row[];
  /** Text printed after the table: breakdowns, notes. */
  report?: (result: R, log: Log) => void;
  /** Parts of a stage that failed while the rest of it still measured (reported as errors). */
  partialFailures?: (result: R) => string | null;
  /** Minutes the stage may take, when it needs more than `--stage-minutes` (a soak). */
  minutes?: (flags: Flags) => number;
}

const SOAK_MINUTES = 10;

const stage = <O, R>(d: StageDef<O, R>): StageDef<O, R> => d;
const notes = (r: { notes: string[] }, log: Log) => r.notes.forEach((n) => log(`- ${n}`));

export const STAGES = {
  join: stage({
    browser: true,
    flags: ['warm', 'cold', 'bare'],
    options: (f) => ({ warm: f.warm ?? 20, cold: f.cold ?? 10, bare: f.bare ?? 20 }),
    run: (b, o, log) => runJoin(b!, o, log),
    rows: (r: JoinResult) => rows({ join: r }),
    report: (r, log) => (log('\nWhere the join time goes:\n' + breakdownTable(r)), notes(r, log)),
  }),
  rtt: stage({
    browser: true,
    flags: ['pings'],
    options: (f) => ({ count: f.pings ?? 1000, warmup: 100, block: 250 }),
    run: (b, o, log) => runRtt(b!, o, log),
    rows: (r: RttResult) => rows({ rtt: r }),
  }),
  capacity: stage({
    browser: false,
    flags: ['batch', 'max-clients'],
    options: (f) => ({ batch: f.batch ?? 500, max: f['max-clients'] ?? 10_000, settleMs: 2000 }),
    run: (_b, o, log) => runCapacity(o, log),
    rows: (r: CapacityResult) => rows({ capacity: r }),
    report: (r, log) => log('\nHub signaling capacity:\n' + capacityTable(r)),
  }),
  files: stage({
    browser: true,
    flags: ['file-mb'],
    options: (f) => ({ sizeMb: f['file-mb'] ?? 200 }),
    run: (b, o, log) => runFiles(b!, o, log),
    rows: (r: FilesResult) => rows({ files: r }),
  }),
  memory: stage({
    browser: true,
    flags: ['memory-runs', 'messages', 'updates'],
    options: (f) => ({ runs: f['memory-runs'] ?? 3, messages: f.messages ?? 10_000, noteChars: 1_000_000, updates: f.updates ?? 10_000, hubUpdates: 1000 }),
    run: (b, o, log) => runMemory(b!, o, log),
    rows: (r: MemoryResult) => rows({ memory: r }),
    report: (r, log) => (log('\nWhere the catch-up time goes:\n' + catchUpBreakdownTable(r)), notes(r, log)),
    partialFailures: (r) => {
      const failed = Object.entries(r.failures);
      return failed.length ? failed.map(([part, e]) => `${part}: ${e}`).join('\n') : null;
    },
  }),
  gateway: stage({
    browser: false,
    flags: ['gateway-edits', 'ledger-items'],
    options: (f) => ({ edits: f['gateway-edits'] ?? 300, ledgerItems: f['ledger-items'] ?? 2000 }),
    run: (_b, o, log) => runGateway(o, log),
    rows: (r: GatewayResult) => rows({ gateway: r }),
    report: notes,
  }),
  voice: stage({
    browser: true,
    flags: ['voice-steps', 'model-runs'],
    options: (f) => ({ steps: f['voice-steps'] ?? 1000, modelRuns: f['model-runs'] ?? 30, coldRepeats: 3 }),
    run: (b, o, log) => runVoice(b!, o, log),
    rows: (r: VoiceResult) => voiceRows(r),
  }),
  'voice-room': stage({
    browser: true,
    flags: ['voice-clips', 'voice-window'],
    options: (f) => ({ clips: f['voice-clips'] ?? 12, windowSeconds: f['voice-window'] ?? 12 }),
    run: (b, o, log) => runVoiceRoom(b!, o, log),
    rows: (r: VoiceRoomResult) => voiceRoomRows(r),
  }),
  'mesh-scale': stage({
    browser: true,
    flags: ['mesh-max', 'mesh-limit', 'mesh-edits'],
    options: (f) => ({ sizes: [8, 16, 24, 32].filter((s) => s <= (f['mesh-max'] ?? 32)), limitSeconds: f['mesh-limit'] ?? 90, edits: f['mesh-edits'] ?? 5 }),
    run: (b, o, log) => runMeshScale(b!, o, log),
    rows: (r: MeshScaleResult) => meshScaleRows(r),
    report: notes,
  }),
  vision: stage({
    browser: true,
    flags: ['vision-frames', 'vision-seconds'],
    options: (f) => ({ frames: f['vision-frames'] ?? 120, seconds: f['vision-seconds'] ?? 10 }),
    run: (b, o, log) => runVision(b!, o, log),
    rows: (r: VisionResult) => visionRows(r),
  }),
  stt: stage({
    browser: true,
    flags: ['stt-repeats'],
    options: (f) => ({ repeats: f['stt-repeats'] ?? 4 }),
    run: (b, o, log) => runStt(b!, o, log),
    rows: (r: SttBenchResult) => sttRows(r),
  }),
  ocr: stage({
    browser: true,
    flags: ['ocr-runs'],
    options: (f) => ({ runs: f['ocr-runs'] ?? 5 }),
    run: (b, o, log) => runOcr(b!, o, log),
    rows: (r: OcrResult) => ocrRows(r),
  }),
  // 10 minutes by default so that a whole `npm run bench` stays short; `--soak-minutes=30` is the
  // half-hour run that issue 10 asks for (months of a building compressed into visits).
  soak: stage({
    browser: true,
    flags: ['soak-minutes', 'soak-devices'],
    options: (f) => ({ minutes: f['soak-minutes'] ?? SOAK_MINUTES, devices: f['soak-devices'] ?? 3 }),
    run: (b, o, log) => runSoak(b!, o, log),
    rows: (r: SoakResult) => soakRows(r),
    report: notes,
    partialFailures: (r) => (r.failedVisits ? `${r.failedVisits} of ${r.visits} visits failed` : null),
    // Joining, the warm-up and the settling around the soak itself.
    minutes: (f) => (f['soak-minutes'] ?? SOAK_MINUTES) + 10,
  }),
} as const;

export type Stage = keyof typeof STAGES;
export const STAGE_NAMES = Object.keys(STAGES) as Stage[];
export const STAGE_FLAGS = [...new Set(STAGE_NAMES.flatMap((s) => STAGES[s].flags))];

export function isStage(s: string): s is Stage {
  return Object.hasOwn(STAGES, s);
}

export function stageDef(s: Stage): StageDef {
  return STAGES[s] as unknown as StageDef;
}

/** `voice-room` → `voiceRoom`: the key a stage's result has in the JSON. */
export const resultKey = (s: Stage): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
