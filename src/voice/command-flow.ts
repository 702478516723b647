/**
 * Use 1: a command after the wake word. When a wake word fires on this device's microphone, the
 * utterance that follows is cut out (command-capture.ts), transcribed in command mode where this
 * microphone's models run (a room device serving it, else here: stt-offload.ts `transcribeNear`), carried out
 * (command-runner.ts) and recorded as a room event with the text heard.
 *
 * The fixed timer phrase (timer_v0.1) is the fallback: it acts only while speech to text is off
 * (the person's setting) or failed recently; during a command it stands in for the command if the
 * transcription fails. Otherwise it is left to the command (no double timer).
 */
import type { PhraseId } from '../../protocol/voice.ts';
import type { CommandDid, CommandEvent } from '../../protocol/voice-commands.ts';
import { COMMAND_LIMITS } from '../../protocol/voice-commands.ts';
import { parseCommand } from '../../workers/inference/stt/commands.ts';
import { CommandCapture, DEFAULT_CAPTURE, type CapturedCommand, type CaptureOptions } from './command-capture.ts';
import { runCommand, type Outcome, type RoomActions } from './command-runner.ts';
import type { OffloadedText } from '../../protocol/voice.ts';

/** After a failed transcription, the timer phrase acts on its own for this long. */
const FAILED_FOR_MS = 60_000;

export interface CommandRoom extends RoomActions {
  /** Records the event in the room's memory (`processedBy` null: nothing ran, this device is named). */
  record(e: Omit<CommandEvent, 'id' | 'heardBy' | 'heardByName' | 'processedBy'> & { processedBy: string | null }): void;
  /** Starts the fixed phrase's timer (the fallback); returns its id. */
  fallbackTimer(minutes: number): string;
}

export interface CommandFlowDeps {
  /** Speech to text where this microphone's models run; rejects when it cannot run. */
  transcribe(samples: Float32Array): Promise<{ result: OffloadedText; by: string }>;
  room(): CommandRoom | null;
  /** The person lets this device understand commands (speech to text). */
  enabled(): boolean;
  /** Says the answer aloud where the device can (speechSynthesis); optional. */
  speak?(text: string): void;
  /** What was done, for this device's own view. */
  done?(o: Outcome & { text: string }): void;
  now?(): number;
  capture?: CaptureOptions;
}

export class CommandFlow {
  /** A command is being transcribed. */
  busy = false;
  private readonly capture: CommandCapture;
  private wakePhrase: PhraseId = 'hey_jarvis';
  private failedAt = -Infinity;
  /** The timer phrase heard during the command: the fallback if its transcription fails. */
  private heldTimer: number | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: CommandFlowDeps) {
    this.now = deps.now ?? Date.now;
    this.capture = new CommandCapture((c) => void this.captured(c), deps.capture ?? DEFAULT_CAPTURE);
  }

  get capturing(): boolean {
    return this.capture.capturing;
  }

  /** Speech to text stands behind commands now (on, and not failed within the last minute). */
  available(): boolean {
    return this.deps.enabled() && this.now() - this.failedAt > FAILED_FOR_MS;
  }

  block(seq: number, samples: Float32Array): void {
    this.capture.block(seq, samples);
  }

  step(seq: number, speech: boolean): void {
    this.capture.step(seq, speech);
  }

  /** A wake word fired on the step of block `seq`. */
  wake(seq: number, phrase: PhraseId): void {
    if (!this.deps.enabled() || this.capture.capturing || this.busy) return;
    this.wakePhrase = phrase;
    this.heldTimer = null;
    this.capture.wake(seq);
  }

  /**
   * The fixed timer phrase fired (`minutes` from its class). True: act on it now (the fallback).
   * False: a command is on its way (it is held in case the transcription fails) or speech to
   * text handles timers.
   */
  timerPhrase(minutes: number | undefined): boolean {
    if (!this.available()) return true;
    if (this.capture.capturing || this.busy) this.heldTimer = minutes ?? null;
    return false;
  }

  reset(): void {
    this.capture.reset();
  }

  private async captured(c: CapturedCommand): Promise<void> {
    const at = this.now();
    if (!c.samples.length) return this.finish(at, '', null, { did: 'nothing-heard', summary: 'Nothing heard after the wake word' });
    this.busy = true;
    let heard: { result: OffloadedText; by: string };
    try {
      heard = await this.deps.transcribe(c.samples);
    } catch (err) {
      this.busy = false;
      this.failedAt = this.now();
      console.warn('[osmose] speech to text failed for a command', err);
      const room = this.deps.room();
      const minutes = this.heldTimer;
      if (room && minutes) {
        const ref = room.fallbackTimer(minutes);
        return this.finish(at, '', null, { did: 'unavailable', ref, durationMs: minutes * 60_000, summary: `Speech to text is unavailable: the timer phrase started ${minutes} min` });
      }
      return this.finish(at, '', null, { did: 'unavailable', summary: 'Speech to text is unavailable' });
    }
    this.busy = false;
    const text = heard.result.text.trim();
    const command = heard.result.command ?? parseCommand(text);
    const room = this.deps.room();
    if (!room) return;
    const outcome = runCommand(command, room, new Date(this.now()));
    if (outcome.did === 'who-is-here') this.deps.speak?.(outcome.summary);
    this.finish(at, text, heard.by, outcome);
  }

  private finish(at: number, text: string, by: string | null, o: Outcome): void {
    const room = this.deps.room();
    this.deps.done?.({ ...o, text });
    if (!room) return;
    const did: CommandDid = o.did;
    room.record({
      wake: this.wakePhrase,
      processedBy: by,
      at: Math.round(at),
      text: text.slice(0, COMMAND_LIMITS.textChars),
      did,
      ...(o.ref ? { ref: o.ref } : {}),
      ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}),
      ...(o.names ? { names: o.names.slice(0, COMMAND_LIMITS.names) } : {}),
    });
  }
}
