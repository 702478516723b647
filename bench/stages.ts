/**
 * Every benchmark stage, by name: what it needs (a browser or not), how it runs, and how its
 * result becomes rows of the report. `run.ts` runs each stage in a process of its own
 * (`stage.ts`), so a stage that crashes or hangs is reported and the others still run.
 */
import type { Browser } from '@playwright/test';
import { runJoin } from './join.ts';
import { runRtt } from './rtt.ts';
import { runCapacity } from './capacity.ts';
import { runFiles } from './files.ts';
import { runMemory } from './memory.ts';
import { runVoice } from './voice.ts';
import { runVoiceRoom } from './voice-room.ts';
import { runGateway } from './gateway.ts';
import { runOcr } from './ocr.ts';

export type Log = (s: string) => void;

export interface BenchOptions {
  join: { warm: number; cold: number; bare: number };
  rtt: { count: number; warmup: number; block: number };
  capacity: { batch: number; max: number; settleMs: number };
  files: { sizeMb: number };
  gateway: { edits: number; ledgerItems: number };
  memory: { runs: number; messages: number; noteChars: number; updates: number; hubUpdates: number };
  voice: { steps: number; modelRuns: number; coldRepeats: number };
  voiceRoom: { clips: number; windowSeconds: number };
  ocr: { runs: number };
}

interface StageDef {
  browser: boolean;
  run: (browser: Browser | null, opts: BenchOptions, log: Log) => Promise<unknown>;
  /** Parts of a stage that failed while the rest of it still measured (reported as errors). */
  partialFailures?: (result: unknown) => string | null;
}

export const STAGES = {
  join: { browser: true, run: (b, o, log) => runJoin(b!, o.join, log) },
  rtt: { browser: true, run: (b, o, log) => runRtt(b!, o.rtt, log) },
  capacity: { browser: false, run: (_b, o, log) => runCapacity(o.capacity, log) },
  files: { browser: true, run: (b, o, log) => runFiles(b!, o.files, log) },
  memory: {
    browser: true,
    run: (b, o, log) => runMemory(b!, o.memory, log),
    partialFailures: (r) => {
      const failed = Object.entries((r as { failures: Record<string, string> }).failures);
      return failed.length ? failed.map(([part, e]) => `${part}: ${e}`).join('\n') : null;
    },
  },
  gateway: { browser: false, run: (_b, o, log) => runGateway(o.gateway, log) },
  voice: { browser: true, run: (b, o, log) => runVoice(b!, o.voice, log) },
  'voice-room': { browser: true, run: (b, o, log) => runVoiceRoom(b!, o.voiceRoom, log) },
  ocr: { browser: true, run: (b, o, log) => runOcr(b!, o.ocr, log) },
} satisfies Record<string, StageDef>;

export type Stage = keyof typeof STAGES;
export const STAGE_NAMES = Object.keys(STAGES) as Stage[];

export function isStage(s: string): s is Stage {
  return Object.hasOwn(STAGES, s);
}

export function stageDef(s: Stage): StageDef {
  return STAGES[s];
}
