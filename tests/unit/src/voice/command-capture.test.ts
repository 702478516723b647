/**
 * Cutting the command out after a wake word (src/voice/command-capture.ts), from the steps' VAD:
 * the wake word's tail skipped, a pause, the command until ~400 ms without speech, padding on
 * each side; said straight on without a pause; the longest command; nothing said; steps lagging
 * the blocks; a second wake word while capturing.
 */
import { describe, expect, it } from 'vitest';
import { CommandCapture, DEFAULT_CAPTURE, type CapturedCommand } from '../../../../src/voice/command-capture.ts';

/** A block whose samples all hold its number, so the audio tells which blocks were taken. */
const block = (seq: number) => new Float32Array(1280).fill(seq);
const blocksOf = (c: CapturedCommand) => [...new Set(Array.from(c.samples))];
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Feeds blocks 0..n-1 with their speech flags (`speech(seq)`), the wake word at `wakeAt`, steps `lag` blocks behind. */
function run(n: number, speech: (seq: number) => boolean, wakeAt: number, lag = 0): CapturedCommand[] {
  const out: CapturedCommand[] = [];
  const cap = new CommandCapture((c) => out.push(c));
  for (let seq = 0; seq < n + lag; seq++) {
    if (seq < n) cap.block(seq, block(seq));
    const s = seq - lag;
    if (s < 0) continue;
    if (s === wakeAt) cap.wake(s);
    cap.step(s, speech(s));
  }
  return out;
}

describe('the command after a wake word', () => {
  it('skips the wake word’s tail and the pause, takes the command with 3 steps of padding, ends after 5 quiet steps', () => {
    // Wake fires at 20; "…vis" speaks on until 22; quiet 23-29; the command 30-50; then quiet.
    const speech = (s: number) => (s >= 12 && s <= 22) || (s >= 30 && s <= 50);
    const [c, more] = run(80, speech, 20);
    expect(more).toBeUndefined();
    expect(c!.ended).toBe('silence');
    expect([c!.from, c!.to]).toEqual([27, 53]);
    expect(blocksOf(c!)).toEqual(range(27, 53));
    expect(c!.samples.length).toBe(27 * 1280);
  });

  it('a command said straight on, without a pause, is taken from right after the wake word', () => {
    const speech = (s: number) => s >= 12 && s <= 45;
    const [c] = run(80, speech, 20);
    expect(c!.ended).toBe('silence');
    expect([c!.from, c!.to]).toEqual([21, 48]);
  });

  it('the longest command is cut at maxSteps', () => {
    const [c] = run(300, (s) => s >= 12, 20);
    expect(c!.ended).toBe('longest');
    expect(c!.to - c!.from + 1).toBeLessThanOrEqual(DEFAULT_CAPTURE.maxSteps + DEFAULT_CAPTURE.padSteps);
    expect(c!.from).toBe(21);
  });

  it('nothing said after the wake word: an empty capture after ~3 s', () => {
    const [c] = run(100, (s) => s >= 12 && s <= 20, 20);
    expect(c).toEqual({ samples: new Float32Array(0), from: -1, to: -1, ended: 'no-command' });
  });

  it('takes the same blocks when the steps lag the microphone by 25 blocks (a busy device, or a room device)', () => {
    const speech = (s: number) => (s >= 12 && s <= 22) || (s >= 30 && s <= 50);
    const [c] = run(80, speech, 20, 25);
    expect(blocksOf(c!)).toEqual(range(27, 53));
  });

  it('a wake word during a command is ignored; the next one after it starts a new capture', () => {
    const out: CapturedCommand[] = [];
    const cap = new CommandCapture((c) => out.push(c));
    const speech = (s: number) => (s >= 30 && s <= 50) || (s >= 90 && s <= 100);
    for (let s = 0; s < 130; s++) {
      cap.block(s, block(s));
      if (s === 20 || s === 40 || s === 80) cap.wake(s);
      cap.step(s, speech(s));
    }
    expect(out.map((c) => [c.from, c.to])).toEqual([[27, 53], [87, 103]]);
  });

  it('keeps a bounded ring of blocks while idle, and drops a capture on reset', () => {
    const out: CapturedCommand[] = [];
    const cap = new CommandCapture((c) => out.push(c));
    for (let s = 0; s < 1000; s++) cap.block(s, block(s));
    expect((cap as unknown as { blocks: Map<number, unknown> }).blocks.size).toBeLessThanOrEqual(64);
    cap.wake(999);
    expect(cap.capturing).toBe(true);
    cap.reset();
    expect(cap.capturing).toBe(false);
    for (let s = 1000; s < 1100; s++) cap.step(s, true);
    expect(out).toEqual([]);
  });
});
