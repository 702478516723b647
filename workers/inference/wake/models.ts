/**
 * The voice models' fixed facts: names (as in models/registry.ts), tensor names and shapes.
 * Checked against the real files by tests/unit/workers/inference/wake/models.test.ts; an upgraded model with other
 * names or shapes fails there, not in a user's room.
 */

export const SAMPLE_RATE = 16_000;

export const MEL_MODEL = 'melspectrogram';
/** openWakeWord's embedding model: a whole 76-frame window per run. */
export const EMBEDDING_MODEL = 'embedding_model';
/**
 * The same model as a chain of steps (scripts/wake-models/embedding-step.ts): `embedding_window`
 * runs a whole window and also gives the chain's states at its end; `embedding_step` takes the
 * step's 8 new frames and the states, and gives the embedding and the next states.
 */
export const EMBEDDING_WINDOW_MODEL = 'embedding_window';
export const EMBEDDING_STEP_MODEL = 'embedding_step';
/**
 * The chain's states, in the step model's input order (`state_i` in, `next_i` out): per time
 * convolution, the last 2 rows of its input, [1, channels, 2, width].
 */
export const EMBEDDING_STATES: readonly (readonly [1, number, 2, number])[] = [
  [1, 1, 2, 32], [1, 24, 2, 32], [1, 48, 2, 16], [1, 48, 2, 16], [1, 72, 2, 8], [1, 72, 2, 8],
  [1, 96, 2, 4], [1, 96, 2, 4], [1, 96, 2, 2], [1, 96, 2, 2], [1, 96, 2, 1],
];

/** Silero VAD v5 (shared with speech to text): 512 new samples per call, the previous 64 prepended. */
export { VAD_MODEL, VAD_CHUNK, VAD_CONTEXT, VAD_STATE } from '../vad.ts';
import { VAD_MODEL } from '../vad.ts';

/** openWakeWord: one step is 80 ms; the melspectrogram sees it with 3 hops (480 samples) of context. */
export const STEP = 1280;
export const MEL_CONTEXT = 3 * 160;
export const MEL_INPUT = STEP + MEL_CONTEXT; // 1760 samples -> 8 frames (512-sample window, 160 hop, no padding)
export const MEL_FRAMES_PER_STEP = 8;
export const MEL_BINS = 32;
/** The embedding model's input: the last 76 melspectrogram frames. */
export const MEL_WINDOW = 76;
export const EMBEDDING_SIZE = 96;

export interface ClassifierSpec {
  input: string;
  /** How many embeddings (80 ms each) the classifier reads. */
  frames: number;
  /**
   * A multi-class model's labels by output index (index 0 is "none of them"); the phrase's score
   * is then the largest of the others. Absent: one output, the score itself.
   */
  labels?: readonly string[];
}

export const CLASSIFIERS: Readonly<Record<string, ClassifierSpec>> = {
  'hey_jarvis_v0.1': { input: 'x.1', frames: 16 },
  'alexa_v0.1': { input: 'onnx::Flatten_0', frames: 16 },
  'hey_mycroft_v0.1': { input: 'onnx::Flatten_0', frames: 16 },
  'hey_rhasspy_v0.1': { input: 'onnx::Flatten_0', frames: 16 },
  'weather_v0.1': { input: 'onnx::Flatten_0', frames: 22 },
  // The output's name is the label map: {"1": "1_minute_timer", ..., "6": "1_hour_timer"}.
  'timer_v0.1': {
    input: 'onnx::Flatten_0',
    frames: 34,
    labels: ['none', '1_minute_timer', '5_minute_timer', '10_minute_timer', '20_minute_timer', '30_minute_timer', '1_hour_timer'],
  },
};

export const PHRASES = Object.keys(CLASSIFIERS);

/** The most embeddings any classifier reads: the pipeline keeps this many. */
export const FEATURE_FRAMES = Math.max(...Object.values(CLASSIFIERS).map((c) => c.frames));

/** Every model a wake stream with these phrases needs, feature models first. */
export function modelsFor(phrases: readonly string[], opts: { stepEmbeddings?: boolean } = {}): string[] {
  const embedding = opts.stepEmbeddings === false ? [EMBEDDING_MODEL] : [EMBEDDING_WINDOW_MODEL, EMBEDDING_STEP_MODEL];
  return [VAD_MODEL, MEL_MODEL, ...embedding, ...phrases];
}
