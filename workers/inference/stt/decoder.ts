/**
 * Moonshine's encoder and merged decoder, our own loop over an injected TensorRunner: the audio
 * is encoded once; the decoder then produces one token per run. With the key/value cache (the
 * default) each run feeds only the newest token and the cache of the previous run (the merged
 * model's `use_cache_branch`): the encoder's half of the cache is made by the first run and reused,
 * the decoder's half grows by one position per token. Without it (`cache: false`, for the
 * benchmark's comparison) every run feeds the whole sequence again.
 *
 * The model is dynamically quantized (int8 weights, activations quantized per call), so a run over
 * the whole sequence and a cached run over one token give logits that differ by up to ~1: where
 * two tokens are that close, the two decodes may pick different ones (tests/unit/stt/kv-cache.test.ts).
 */
import {
  DECODER_MODEL, ENCODER_MODEL, END_TOKEN, HEAD_DIM, KV_HEADS, LAYERS, MIN_SAMPLES, PAST_NAMES, START_TOKEN, VOCAB, maxTokens,
  presentName,
} from './moonshine.ts';
import type { Tensor, TensorRunner } from './runner.ts';
import type { Tokenizer } from './tokenizer.ts';

export interface Encoded {
  hidden: Tensor;
  samples: number;
  ms: number;
}

/** The key/value cache after some tokens: past_key_values inputs by name. */
export type KvCache = Readonly<Record<string, Tensor>>;

export interface Decoded {
  /** Tokens produced, without the start and end tokens. */
  tokens: number[];
  text: string;
  /** Sum of the log-probabilities of the tokens chosen, the end token included. */
  logProb: number;
  /** Whether the model ended the sentence (false: stopped at the token cap). */
  ended: boolean;
  /** Decoder runs. */
  runs: number;
  ms: number;
}

const EMPTY_KV: KvCache = Object.fromEntries(PAST_NAMES.map((n) => [n, { dtype: 'float32', dims: [1, KV_HEADS, 0, HEAD_DIM], data: new Float32Array(0) } as Tensor]));
const DECODER_PRESENT = Array.from({ length: LAYERS }, (_, l) => [presentName(l, 'decoder', 'key'), presentName(l, 'decoder', 'value')]).flat();
const CACHED_FETCH = ['logits', ...DECODER_PRESENT];

const ids = (xs: readonly number[]): Tensor => ({ dtype: 'int64', dims: [1, xs.length], data: BigInt64Array.from(xs, (x) => BigInt(x)) });
const flag = (on: boolean): Tensor => ({ dtype: 'bool', dims: [1], data: Uint8Array.of(on ? 1 : 0) });

/** log-softmax of one row of logits, evaluated at the indices asked for. */
export class LogSoftmax {
  readonly max: number;
  readonly lse: number;
  constructor(readonly row: Float32Array) {
    let max = -Infinity;
    for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
    let sum = 0;
    for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
    this.max = max;
    this.lse = max + Math.log(sum);
  }
  at(i: number): number {
    return this.row[i]! - this.lse;
  }
  argmax(): number {
    const r = this.row;
    let best = 0;
    for (let i = 1; i < r.length; i++) if (r[i]! > r[best]!) best = i;
    return best;
  }
  /** Indices within `spread` of the best logit, best first (at most `cap`). */
  top(spread: number, cap: number): number[] {
    const floor = this.max - spread;
    const out: number[] = [];
    for (let i = 0; i < this.row.length; i++) if (this.row[i]! >= floor) out.push(i);
    out.sort((a, b) => this.row[b]! - this.row[a]!);
    return out.length > cap ? out.slice(0, cap) : out;
  }
}

export class MoonshineDecoder {
  constructor(
    private readonly runner: TensorRunner,
    readonly tokenizer: Tokenizer,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs the encoder on 16 kHz mono samples (padded with silence when shorter than MIN_SAMPLES). */
  async encode(audio: Float32Array): Promise<Encoded> {
    const t0 = this.now();
    let input = audio;
    if (audio.length < MIN_SAMPLES) {
      input = new Float32Array(MIN_SAMPLES);
      input.set(audio);
    }
    const out = await this.runner.run(ENCODER_MODEL, { input_values: { dtype: 'float32', dims: [1, input.length], data: input } });
    const hidden = out.last_hidden_state;
    if (!hidden || hidden.dtype !== 'float32' || hidden.dims.length !== 3) throw new Error('the encoder gave no last_hidden_state');
    return { hidden, samples: audio.length, ms: this.now() - t0 };
  }

  /**
   * One cached step: feeds `token` after `kv` (null: nothing yet, `token` is the start token).
   * Returns the next token's log-probabilities and the cache including `token`.
   */
  async step(enc: Encoded, kv: KvCache | null, token: number): Promise<{ scores: LogSoftmax; kv: KvCache }> {
    const first = kv === null;
    const out = await this.runner.run(
      DECODER_MODEL,
      { input_ids: ids([token]), encoder_hidden_states: enc.hidden, use_cache_branch: flag(!first), ...(kv ?? EMPTY_KV) },
      first ? undefined : CACHED_FETCH,
    );
    const next: Record<string, Tensor> = {};
    for (const name of PAST_NAMES) {
      // The encoder's half is made by the first run and the same afterwards.
      const fresh = first || name.includes('.decoder.');
      const t = fresh ? out[name.replace('past_key_values', 'present')] : kv![name];
      if (!t) throw new Error(`the decoder gave no ${name.replace('past_key_values', 'present')}`);
      next[name] = t;
    }
    return { scores: new LogSoftmax(lastRow(out.logits)), kv: next };
  }

  /**
   * Several cached steps in one run (a beam's hypotheses, all of the same length, all after the
   * first step): their tokens and caches stacked along the batch axis. The encoder's half of the
   * cache and the encoder's states are the same for all; their stacked copies are kept per batch
   * size. One run streams the decoder's weights once for all the hypotheses instead of once each.
   * Activations are quantized per call, so a hypothesis's scores differ from its single run's by
   * the same noise as a cached step from an uncached one.
   */
  async stepMany(enc: Encoded, items: readonly { kv: KvCache; token: number }[]): Promise<{ scores: LogSoftmax; kv: KvCache }[]> {
    const n = items.length;
    if (n === 1) return [await this.step(enc, items[0]!.kv, items[0]!.token)];
    const shared = this.stacked(enc, items[0]!.kv, n);
    const feeds: Record<string, Tensor> = {
      input_ids: { dtype: 'int64', dims: [n, 1], data: BigInt64Array.from(items, (x) => BigInt(x.token)) },
      encoder_hidden_states: shared.hidden,
      use_cache_branch: flag(true),
    };
    for (const name of PAST_NAMES) {
      if (!name.includes('.decoder.')) {
        feeds[name] = shared.kv[name]!;
        continue;
      }
      const first = items[0]!.kv[name]!;
      const size = first.data.length;
      const data = new Float32Array(size * n);
      items.forEach((x, i) => {
        const t = x.kv[name]!;
        if (t.data.length !== size) throw new Error('stepMany: hypotheses of different lengths');
        data.set(t.data as Float32Array, i * size);
      });
      feeds[name] = { dtype: 'float32', dims: [n, ...first.dims.slice(1)], data };
    }
    const out = await this.runner.run(DECODER_MODEL, feeds, CACHED_FETCH);
    const logits = out.logits;
    if (!logits || logits.dtype !== 'float32' || logits.data.length !== n * VOCAB) throw new Error('the decoder gave no logits');
    return items.map((x, i) => {
      const kv: Record<string, Tensor> = {};
      for (const name of PAST_NAMES) {
        if (!name.includes('.decoder.')) {
          kv[name] = x.kv[name]!;
          continue;
        }
        const t = out[name.replace('past_key_values', 'present')];
        if (!t || t.dtype !== 'float32') throw new Error(`the decoder gave no ${name.replace('past_key_values', 'present')}`);
        const size = t.data.length / n;
        kv[name] = { dtype: 'float32', dims: [1, ...t.dims.slice(1)], data: t.data.slice(i * size, (i + 1) * size) };
      }
      return { scores: new LogSoftmax(logits.data.subarray(i * VOCAB, (i + 1) * VOCAB)), kv };
    });
  }

  private tiles = new WeakMap<Tensor, Map<number, { hidden: Tensor; kv: Record<string, Tensor> }>>();

  /** The encoder's states and the encoder's half of the cache, stacked `n` times (kept per n). */
  private stacked(enc: Encoded, kv: KvCache, n: number): { hidden: Tensor; kv: Record<string, Tensor> } {
    let byN = this.tiles.get(enc.hidden);
    if (!byN) this.tiles.set(enc.hidden, (byN = new Map()));
    let s = byN.get(n);
    if (!s) {
      const tile = (t: Tensor): Tensor => {
        const data = new Float32Array(t.data.length * n);
        for (let i = 0; i < n; i++) data.set(t.data as Float32Array, i * t.data.length);
        return { dtype: 'float32', dims: [n, ...t.dims.slice(1)], data };
      };
      s = { hidden: tile(enc.hidden), kv: Object.fromEntries(PAST_NAMES.filter((x) => !x.includes('.decoder.')).map((x) => [x, tile(kv[x]!)])) };
      byN.set(n, s);
    }
    return s;
  }

  /** Scores of the next token after the whole sequence `tokens` (start token first), without a cache. */
  async stepWithoutCache(enc: Encoded, tokens: readonly number[]): Promise<LogSoftmax> {
    const out = await this.runner.run(DECODER_MODEL, { input_ids: ids(tokens), encoder_hidden_states: enc.hidden, use_cache_branch: flag(false), ...EMPTY_KV }, ['logits']);
    return new LogSoftmax(lastRow(out.logits));
  }

  /**
   * Logits at every position of `tokens` (start token first) in one run without the cache
   * (teacher forcing): row i scores the token after tokens[0..i]. For checks and rescoring.
   */
  async scoreAll(enc: Encoded, tokens: readonly number[]): Promise<Float32Array> {
    const out = await this.runner.run(DECODER_MODEL, { input_ids: ids(tokens), encoder_hidden_states: enc.hidden, use_cache_branch: flag(false), ...EMPTY_KV }, ['logits']);
    const logits = out.logits;
    if (!logits || logits.dtype !== 'float32' || logits.data.length !== tokens.length * VOCAB) throw new Error('the decoder gave no logits');
    return logits.data;
  }

  /** Greedy decode: the most likely token each step, up to Moonshine's cap of tokens per second. */
  async greedy(enc: Encoded, opts: { cache?: boolean; maxTokens?: number } = {}): Promise<Decoded> {
    const t0 = this.now();
    const cap = opts.maxTokens ?? maxTokens(enc.samples);
    const cache = opts.cache ?? true;
    const tokens: number[] = [];
    let kv: KvCache | null = null;
    let logProb = 0;
    let ended = false;
    let runs = 0;
    while (tokens.length < cap) {
      let scores: LogSoftmax;
      if (cache) ({ scores, kv } = await this.step(enc, kv, tokens.at(-1) ?? START_TOKEN));
      else scores = await this.stepWithoutCache(enc, [START_TOKEN, ...tokens]);
      runs++;
      const best = scores.argmax();
      logProb += scores.at(best);
      if (best === END_TOKEN) {
        ended = true;
        break;
      }
      tokens.push(best);
    }
    return { tokens, text: this.tokenizer.decode(tokens), logProb, ended, runs, ms: this.now() - t0 };
  }
}

function lastRow(logits: Tensor | undefined): Float32Array {
  if (!logits || logits.dtype !== 'float32' || logits.dims.at(-1) !== VOCAB) throw new Error('the decoder gave no logits');
  return logits.data.subarray(logits.data.length - VOCAB);
}
