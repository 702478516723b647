/**
 * Spoken clips for speech to text (espeak-ng + sox through voice-fixtures.ts, cached by recipe):
 * known sentences in several voices and speeds, two with noise mixed in, for the word error rate;
 * commands for the grammar-constrained decoding, each with the command it must give.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { speechClip, voiceToolsMissing, type VoiceClip } from './voice-fixtures.ts';
import type { Command } from '../../workers/inference/stt/commands.ts';

export { voiceToolsMissing };

export interface SttClip extends VoiceClip {
  /** Seconds of speech in the clip. */
  seconds: number;
}

/** Sentences a meeting might hear: short (~2 s) and long (~5-6 s). */
export const SENTENCES = [
  'the budget review moves to thursday',
  'please send me the slides after lunch',
  'we agreed to ship the first version of the app next week',
  'the quick brown fox jumps over the lazy dog',
  'can everyone see the shared screen from where they are sitting',
  'let us take a short break and come back in ten minutes',
  'everyone who wants to join the design review on friday should tell me before the end of the day',
  'the new office opens in march and we will move the servers there over the first two weekends',
] as const;

/** Voice and speed per sentence, rotated so that every voice says several of them. */
const WER_VOICES = [
  { voice: 'en-us', speed: 160 },
  { voice: 'en', speed: 150 },
  { voice: 'en-gb-x-rp', speed: 170 },
  { voice: 'en+f3', speed: 150 },
  { voice: 'en-us+f2', speed: 175 },
] as const;

const withSeconds = (c: VoiceClip): SttClip => ({ ...c, seconds: c.speech!.end - c.speech!.start });

/** Every sentence in three voices, and two of them again over pink and white noise. */
export function werClips(dir: string): SttClip[] {
  const clips: SttClip[] = [];
  SENTENCES.forEach((text, i) => {
    for (let k = 0; k < 3; k++) {
      const { voice, speed } = WER_VOICES[(i + k) % WER_VOICES.length]!;
      clips.push(withSeconds(speechClip(dir, text, voice, speed, null)));
    }
  });
  clips.push(withSeconds(speechClip(dir, SENTENCES[0], 'en-us', 160, null, 1, { kind: 'pink-noise', volume: 0.08 })));
  clips.push(withSeconds(speechClip(dir, SENTENCES[2], 'en', 150, null, 1, { kind: 'white-noise', volume: 0.03 })));
  return clips;
}

type Expected = Command extends infer C ? (C extends unknown ? Omit<C, 'text'> : never) : never;

/** Commands as said after a wake word, with what each must do. */
export const COMMANDS: readonly { text: string; expect: Expected }[] = [
  { text: 'set a timer for seven minutes', expect: { kind: 'timer', seconds: 420 } },
  { text: 'set a timer for an hour and a half', expect: { kind: 'timer', seconds: 5400 } },
  { text: 'set a timer for ten minutes', expect: { kind: 'timer', seconds: 600 } },
  { text: 'set a timer for ten past four', expect: { kind: 'timer-until', hour: 4, minute: 10 } },
  { text: 'note that the budget review moves to thursday', expect: { kind: 'note', note: 'the budget review moves to thursday' } },
  { text: 'pin that', expect: { kind: 'pin' } },
  { text: 'who is here', expect: { kind: 'who-is-here' } },
  { text: 'start the scribe', expect: { kind: 'scribe', on: true } },
  { text: 'stop the scribe', expect: { kind: 'scribe', on: false } },
];
const COMMAND_VOICES = [
  { voice: 'en-us', speed: 160 },
  { voice: 'en', speed: 160 },
  { voice: 'en+f3', speed: 150 },
  { voice: 'en-gb-x-rp', speed: 170 },
] as const;

export interface CommandClip extends SttClip {
  command: Expected;
}

export function commandClips(dir: string): CommandClip[] {
  return COMMANDS.flatMap(({ text, expect }) =>
    COMMAND_VOICES.map(({ voice, speed }) => ({ ...withSeconds(speechClip(dir, text, voice, speed, null, 0.5)), command: expect })),
  );
}

/** Speech that is no command: constrained decoding must not turn it into one. */
export function nonCommandClips(dir: string): SttClip[] {
  return [SENTENCES[1], SENTENCES[3], SENTENCES[5], 'what time is it', 'thank you very much'].map((text) => withSeconds(speechClip(dir, text, 'en-us', 160, null, 0.5)));
}

/** Words of a text for the word error rate: lower case, digits spelled as the reference says them. */
export function werWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Word-level edit distance (substitutions, insertions, deletions). */
export function editDistance(ref: readonly string[], hyp: readonly string[]): number {
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const cur = [i];
    for (let j = 1; j <= hyp.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[hyp.length]!;
}

/** Whether `got` does what `want` asks (a note's text compared word by word, case aside). */
export function carriedOut(got: Command, want: object): boolean {
  const { text: _t, ...rest } = got;
  if (got.kind === 'note' && 'note' in want) return werWords(got.note).join(' ') === werWords(String(want.note)).join(' ');
  return JSON.stringify(rest) === JSON.stringify(want);
}

/**
 * "Hey Jarvis", a pause of about a second, then `text` (a command), then `tail` seconds of
 * silence: what a person says to the room. One file (sox), cached by the two clips' names; its
 * `speech` is the command's.
 */
export function wakeCommandClip(dir: string, text: string, opts: { voice?: string; speed?: number; tail?: number } = {}): SttClip {
  const wake = speechClip(dir, 'hey jarvis', 'en-us', 160, 'hey_jarvis_v0.1', 0);
  const cmd = speechClip(dir, text, opts.voice ?? 'en-us', opts.speed ?? 160, null, opts.tail ?? 2);
  const file = path.join(dir, `wake+${path.basename(cmd.file)}`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp.wav`;
    execFileSync('sox', [wake.file, cmd.file, tmp], { stdio: 'pipe' });
    fs.renameSync(tmp, file);
  }
  const offset = wake.speech!.end;
  return { ...cmd, file, speech: { start: offset + cmd.speech!.start, end: offset + cmd.speech!.end }, seconds: cmd.speech!.end - cmd.speech!.start };
}
