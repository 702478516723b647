/**
 * What this microphone's steps mean for the room: each step goes to the command capture (its
 * VAD), the detector decides which phrases fired, a wake word starts a command (command-flow.ts),
 * the fixed timer phrase acts only as the fallback, and each detection is recorded in the room's
 * memory; its score is raised to the utterance's peak once known.
 */
import { phrase, type VoiceStep } from '../../protocol/voice.ts';
import type { CommandFlow } from './command-flow.ts';
import type { Detection, WakeDetector } from './detector.ts';
import type { RoomVoiceState } from './room-voice.svelte.ts';

export interface OwnDetection extends Detection {
  processedBy: string;
}

export class Detections {
  /** Events this device recorded, by phrase and the time they fired, until their peak is known. */
  private recorded = new Map<string, string>();

  constructor(
    private readonly detector: WakeDetector,
    private readonly commands: CommandFlow,
    private readonly room: () => RoomVoiceState | null,
    /** A detection, for this device's own list. */
    private readonly shown: (d: OwnDetection) => void,
  ) {}

  /** Steps completed by the blocks up to number `seq` (the last step is that block's). */
  steps(steps: readonly VoiceStep[], processedBy: string, seq: number, now: number): void {
    for (const [i, step] of steps.entries()) {
      const stepSeq = seq - (steps.length - 1 - i);
      this.commands.step(stepSeq, step.speech);
      for (const d of this.detector.step(step, now)) {
        const kind = phrase(d.phrase).kind;
        // The fixed timer phrase stands back while speech to text handles timers (command-flow.ts).
        if (kind === 'timer' && !this.commands.timerPhrase(step.timerMinutes)) continue;
        if (kind === 'wake') this.commands.wake(stepSeq, d.phrase);
        this.shown({ ...d, processedBy });
        const event = this.room()?.detected({ phrase: d.phrase, score: d.score, processedBy, at: d.at, ...(step.timerMinutes ? { timerMinutes: step.timerMinutes } : {}) });
        if (event) {
          this.recorded.set(`${d.phrase}@${d.at}`, event.id);
          if (this.recorded.size > 20) this.recorded.delete(this.recorded.keys().next().value!);
        }
      }
    }
  }

  /** The detector reports an utterance's peak score. */
  peak(d: Detection): void {
    const key = `${d.phrase}@${d.at}`;
    const id = this.recorded.get(key);
    this.recorded.delete(key);
    if (id) this.room()?.raiseScore(id, d.score);
  }
}
