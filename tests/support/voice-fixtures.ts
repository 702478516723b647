/**
 * Spoken test fixtures (Node only): 16 kHz mono 16-bit WAVs made with espeak-ng and sox, for the
 * voice tests (unit detection tests, and Playwright's fake microphone via
 * `--use-file-for-fake-audio-capture`). Each file's name carries a hash of its recipe and of the
 * tool versions, so a directory can be reused across runs: a file is made only when missing.
 * CI installs the tools (scripts/install-system-deps.sh); `voiceToolsMissing()` says what is absent.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface VoiceClip {
  file: string;
  /** What is said ('' for silence and noise). */
  text: string;
  /** espeak-ng voice, or null for silence/noise. */
  voice: string | null;
  /** Words per minute, or null for silence/noise. */
  speed: number | null;
  kind: 'speech' | 'silence' | 'white-noise' | 'pink-noise';
  /** The phrase model that should fire on this clip, or null when none should. */
  expect: string | null;
  /** Where the speech is, in seconds from the start of the file (null for silence and noise). */
  speech: { start: number; end: number } | null;
  /**
   * A "hey jarvis" the model is known to miss (scores < 0.5): kept to be measured and reported,
   * never to be asserted on. See HARD_WAKE.
   */
  hard?: boolean;
  /** Phrase models a negative is known to fire (a near-homophone: "alexis" fires alexa_v0.1). */
  mayFire?: readonly string[];
}

/** espeak-ng voices (all in Debian's espeak-ng-data; no mbrola) and speeds for the positives. */
export const WAKE_VOICES = ['en', 'en-us', 'en-gb-x-rp', 'en-gb-scotland', 'en+f3', 'en+m7', 'en-us+f2'] as const;
export const WAKE_SPEEDS = [120, 160, 200] as const;
/**
 * Variants hey_jarvis_v0.1 misses (measured with this pipeline, which matches the reference):
 * the Caribbean voice at every speed (0.14-0.35) and en+m7 at 200 wpm (0.37). Excluded from
 * wakeClips(); hardWakeClips() makes them for reporting.
 */
export const HARD_WAKE: readonly { voice: string; speed: number }[] = [
  { voice: 'en-029', speed: 120 },
  { voice: 'en-029', speed: 160 },
  { voice: 'en-029', speed: 200 },
  { voice: 'en+m7', speed: 200 },
];
/** Other speech that must not fire any phrase model (but see CONFUSABLE). */
export const NEGATIVE_TEXTS = ['hello world', 'what time is it', 'hey there jeremy', 'alexis', 'jump over the lazy dog', 'harvest'] as const;
/** Negatives that a phrase model is known to fire on: "alexis" scores ~0.9 on alexa_v0.1. */
export const CONFUSABLE: Readonly<Record<string, readonly string[]>> = { alexis: ['alexa_v0.1'] };
const NEGATIVE_VOICES = ['en-us', 'en+f3'] as const;
const NEGATIVE_SPEED = 160;

/** Silence padding around speech, in seconds. */
export const PAD_SECONDS = 1;
const RATE = 16_000;

export function voiceToolsMissing(): string[] {
  return ['espeak-ng', 'sox'].filter((t) => {
    try {
      execFileSync(t, ['--version'], { stdio: 'pipe' });
      return false;
    } catch {
      return true;
    }
  });
}

let versions: string | null = null;
function toolVersions(): string {
  versions ??= ['espeak-ng', 'sox'].map((t) => execFileSync(t, ['--version'], { encoding: 'utf8' }).trim()).join('|');
  return versions;
}

type Recipe =
  | { kind: 'speech'; text: string; voice: string; speed: number; pad: number; tail: number; noise?: { kind: 'pink-noise' | 'white-noise'; volume: number } }
  | { kind: 'silence' | 'white-noise' | 'pink-noise'; seconds: number };

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function fileFor(dir: string, r: Recipe): string {
  const hash = crypto.createHash('sha256').update(JSON.stringify(r) + toolVersions()).digest('hex').slice(0, 12);
  const name = r.kind === 'speech' ? `${slug(r.text).slice(0, 60)}-${slug(r.voice)}-${r.speed}${r.tail !== r.pad ? '-loop' : ''}${r.noise ? `-${r.noise.kind}` : ''}` : r.kind;
  return path.join(dir, `${name}-${hash}.wav`);
}

/** Makes (or finds) the WAV for a recipe; written under a temporary name, then renamed. */
function make(dir: string, r: Recipe): string {
  const file = fileFor(dir, r);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp.wav`;
  const fmt = ['-r', String(RATE), '-c', '1', '-b', '16', '-e', 'signed-integer'];
  try {
    if (r.kind === 'speech') {
      const raw = `${file}.${process.pid}.espeak.wav`;
      try {
        execFileSync('espeak-ng', ['-v', r.voice, '-s', String(r.speed), '-w', raw, r.text], { stdio: 'pipe' });
        // Resample espeak's 22.05 kHz to 16 kHz, trim its own leading/trailing silence, then pad.
        const clean = r.noise ? `${file}.${process.pid}.clean.wav` : tmp;
        execFileSync('sox', [raw, ...fmt, clean, 'silence', '1', '0.01', '0.1%', 'reverse', 'silence', '1', '0.01', '0.1%', 'reverse', 'pad', String(r.pad), String(r.tail)], { stdio: 'pipe' });
        if (r.noise) {
          // The same length of seeded noise, mixed in (sox -m sums the two; speech peaks near 0.5).
          const noise = `${file}.${process.pid}.noise.wav`;
          try {
            execFileSync('sox', ['-R', '-n', ...fmt, noise, 'synth', String(seconds(clean)), r.noise.kind === 'white-noise' ? 'whitenoise' : 'pinknoise', 'vol', String(r.noise.volume)], { stdio: 'pipe' });
            execFileSync('sox', ['-m', clean, noise, ...fmt, tmp], { stdio: 'pipe' });
          } finally {
            fs.rmSync(noise, { force: true });
            fs.rmSync(clean, { force: true });
          }
        }
      } finally {
        fs.rmSync(raw, { force: true });
      }
    } else {
      const synth = r.kind === 'silence' ? [] : ['synth', String(r.seconds), r.kind === 'white-noise' ? 'whitenoise' : 'pinknoise', 'vol', '0.3'];
      // -R: repeatable (seeded) noise, so the cached file and a fresh one are the same.
      execFileSync('sox', ['-R', '-n', ...fmt, tmp, ...(synth.length ? synth : ['trim', '0', String(r.seconds)])], { stdio: 'pipe' });
    }
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return file;
}

/** Duration of a WAV in seconds (soxi comes with sox). */
function seconds(file: string): number {
  const out = execFileSync('soxi', ['-D', file], { encoding: 'utf8' });
  return Number(out.trim());
}

/** One spoken clip (PAD_SECONDS of silence before, `tail` after), optionally with noise mixed in. */
export function speechClip(dir: string, text: string, voice: string, speed: number, expect: string | null, tail = PAD_SECONDS, noise?: { kind: 'pink-noise' | 'white-noise'; volume: number }): VoiceClip {
  const recipe: Recipe = { kind: 'speech', text, voice, speed, pad: PAD_SECONDS, tail };
  if (noise) recipe.noise = noise;
  const file = make(dir, recipe);
  const clip: VoiceClip = { file, text, voice, speed, kind: 'speech', expect, speech: { start: PAD_SECONDS, end: seconds(file) - tail } };
  if (CONFUSABLE[text]) clip.mayFire = CONFUSABLE[text];
  return clip;
}

const isHard = (voice: string, speed: number) => HARD_WAKE.some((h) => h.voice === voice && h.speed === speed);

/** "hey jarvis" in every voice and speed but the HARD_WAKE ones: expect hey_jarvis_v0.1. */
export function wakeClips(dir: string): VoiceClip[] {
  return WAKE_VOICES.flatMap((voice) => WAKE_SPEEDS.filter((speed) => !isHard(voice, speed)).map((speed) => speechClip(dir, 'hey jarvis', voice, speed, 'hey_jarvis_v0.1')));
}

/** The "hey jarvis" variants the model is known to miss (HARD_WAKE), marked `hard`. */
export function hardWakeClips(dir: string): VoiceClip[] {
  return HARD_WAKE.map(({ voice, speed }) => ({ ...speechClip(dir, 'hey jarvis', voice, speed, 'hey_jarvis_v0.1'), hard: true }));
}

/** Other speech, silence, white and pink noise: expect nothing. */
export function negativeClips(dir: string): VoiceClip[] {
  const speech = NEGATIVE_TEXTS.flatMap((text) => NEGATIVE_VOICES.map((voice) => speechClip(dir, text, voice, NEGATIVE_SPEED, null)));
  const other = (['silence', 'white-noise', 'pink-noise'] as const).map((kind): VoiceClip => ({
    file: make(dir, { kind, seconds: 3 }), text: '', voice: null, speed: null, kind, expect: null, speech: null,
  }));
  return [...speech, ...other];
}

/** Every clip: positives then negatives. Makes what is missing in `dir`; needs espeak-ng and sox. */
export function voiceClips(dir: string): VoiceClip[] {
  const missing = voiceToolsMissing();
  if (missing.length) throw new Error(`voice fixtures need ${missing.join(' and ')} (apt-get install espeak-ng sox; see scripts/install-system-deps.sh)`);
  return [...wakeClips(dir), ...negativeClips(dir)];
}

/**
 * A clip for the fake microphone, which plays its file in a loop: 1 s silence, the phrase, then
 * `silenceAfter` seconds of silence, so that each repetition is a separate utterance.
 */
export function loopingClip(dir: string, text = 'hey jarvis', opts: { voice?: string; speed?: number; silenceAfter?: number; expect?: string | null } = {}): VoiceClip {
  const expect = opts.expect !== undefined ? opts.expect : text === 'hey jarvis' ? 'hey_jarvis_v0.1' : null;
  return speechClip(dir, text, opts.voice ?? 'en-us', opts.speed ?? 160, expect, opts.silenceAfter ?? 2);
}

/** A looping clip of silence or noise for the fake microphone (negative e2e runs). */
export function loopingNoise(dir: string, kind: 'silence' | 'white-noise' | 'pink-noise', secs = 3): VoiceClip {
  return { file: make(dir, { kind, seconds: secs }), text: '', voice: null, speed: null, kind, expect: null, speech: null };
}
