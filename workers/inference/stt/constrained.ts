/**
 * Grammar-constrained decoding of a command: a beam search over the decoder in which a token is
 * allowed only if the text so far can still grow into a sentence the grammar parses, and the end
 * token only once it does. The tiny model mishears synthetic voices ("set a timer" → "Santa
 * timer"); among the sentences the grammar allows, the acoustically likeliest usually is the one
 * said. Whether to believe the result is the caller's choice (transcriber.ts compares its
 * likelihood with the free decode's: a sentence that is no command must stay unknown).
 */
import { END_TOKEN, START_TOKEN, maxTokens } from './moonshine.ts';
import { accepted, startsAccepted, toWords, type Expect } from './grammar.ts';
import type { Decoded, Encoded, KvCache, MoonshineDecoder } from './decoder.ts';

export type ExpectFn = (words: readonly string[]) => { next: Expect[]; complete: boolean };

export interface ConstrainedOptions {
  /** Hypotheses kept per step (default 3). */
  width?: number;
  /**
   * Hypotheses kept after the first token (default 8): the first word decides which command it
   * is, and the right one is often not among the model's first three ("The" before "Who").
   */
  firstWidth?: number;
  /** Tokens further than this below the step's best logit are not considered (default 12). */
  spread?: number;
  maxTokens?: number;
  /** Run the hypotheses of a step in one batched run (default true); false: one run each (comparisons). */
  batch?: boolean;
}

const WORD_PIECE = /^ ?[A-Za-z0-9']+$/;
const PUNCT_PIECE = /^(?:[,.?!]| )$/;

interface Beam {
  tokens: number[];
  text: string;
  logProb: number;
  /** The cache up to the token before the last (the last one is fed by the next step). */
  kv: KvCache | null;
}

/** Splits text into its complete words and the word being spelled (raw, possibly empty). */
function split(text: string): { complete: string[]; partial: string } {
  const m = /[^\s\-\u2013\u2014:]*$/.exec(text)!;
  return { complete: toWords(text.slice(0, m.index)).words, partial: m[0].toLowerCase() };
}

/** Viability of texts under a grammar, with the grammar's answers cached per word sequence. */
export class GrammarGuide {
  private cache = new Map<string, { next: Expect[]; complete: boolean }>();
  constructor(private readonly expect: ExpectFn) {}

  private after(ws: readonly string[]) {
    const key = ws.join(' ');
    let e = this.cache.get(key);
    if (!e) {
      e = this.expect(ws);
      this.cache.set(key, e);
    }
    return e;
  }

  /** Whether `text` can still grow into a sentence the grammar parses. */
  viable(text: string): boolean {
    const { complete, partial } = split(text);
    const e = this.after(complete);
    // Punctuation ends a word: "minutes." is "minutes", complete.
    const bare = partial.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    if (bare === '') return e.complete || e.next.length > 0;
    if (bare !== partial) return e.next.some((x) => accepted(x, bare) || startsAccepted(x, partial));
    return e.next.some((x) => startsAccepted(x, partial));
  }

  /** Whether `text` is a whole sentence of the grammar. */
  complete(text: string): boolean {
    const ws = toWords(text).words;
    return this.after(ws).complete;
  }
}

/** The likeliest token sequence the grammar allows, or null if no hypothesis reached an end. */
export async function constrainedDecode(decoder: MoonshineDecoder, enc: Encoded, expect: ExpectFn, opts: ConstrainedOptions = {}): Promise<Decoded | null> {
  const t0 = performance.now();
  const width = opts.width ?? 3;
  const firstWidth = Math.max(width, opts.firstWidth ?? 8);
  const spread = opts.spread ?? 12;
  const cap = opts.maxTokens ?? maxTokens(enc.samples);
  const pieces = decoder.tokenizer.pieces;
  const guide = new GrammarGuide(expect);
  let beams: Beam[] = [{ tokens: [], text: '', logProb: 0, kv: null }];
  const finished: (Beam & { runs: number })[] = [];
  let runs = 0;
  for (let step = 0; step <= cap && beams.length; step++) {
    const keep = step === 0 ? firstWidth : width;
    const candidates: { parent: Beam; token: number; text: string; logProb: number; kv: KvCache }[] = [];
    // After the first step every hypothesis has a cache of the same length: one batched run.
    const items = beams.map((b) => ({ kv: b.kv!, token: b.tokens.at(-1)! }));
    let stepped;
    if (!beams[0]!.kv) stepped = [await decoder.step(enc, null, START_TOKEN)];
    else if (opts.batch ?? true) stepped = await decoder.stepMany(enc, items);
    else {
      stepped = [];
      for (const x of items) stepped.push(await decoder.step(enc, x.kv, x.token));
    }
    runs += opts.batch ?? true ? 1 : stepped.length;
    for (const [i, b] of beams.entries()) {
      const { scores, kv } = stepped[i]!;
      if (b.tokens.length && guide.complete(b.text)) candidates.push({ parent: b, token: END_TOKEN, text: b.text, logProb: b.logProb + scores.at(END_TOKEN), kv });
      if (step === cap) continue;
      let found = 0;
      for (const token of scores.top(spread, 2000)) {
        const piece = pieces[token];
        // Words, digits and sentence punctuation right after a word: quotes, symbols and runs of
        // punctuation would let a hypothesis wander without saying anything.
        if (!piece || !(WORD_PIECE.test(piece) || (PUNCT_PIECE.test(piece) && /[\p{L}\p{N}]$/u.test(b.text)))) continue;
        const text = b.tokens.length ? b.text + piece : piece.trimStart();
        if (!text || !guide.viable(text)) continue;
        candidates.push({ parent: b, token, text, logProb: b.logProb + scores.at(token), kv });
        if (++found >= keep) break;
      }
    }
    candidates.sort((x, y) => y.logProb - x.logProb);
    const next: Beam[] = [];
    for (const c of candidates.slice(0, keep)) {
      if (c.token === END_TOKEN) finished.push({ ...c.parent, logProb: c.logProb, runs });
      else next.push({ tokens: [...c.parent.tokens, c.token], text: c.text, logProb: c.logProb, kv: c.kv });
    }
    beams = next;
    // Log-probabilities only fall: once the best finished beats every open one, it has won.
    const best = Math.max(...finished.map((f) => f.logProb));
    if (finished.length && beams.every((b) => b.logProb <= best)) break;
  }
  if (!finished.length) return null;
  const win = finished.reduce((a, b) => (b.logProb > a.logProb ? b : a));
  return { tokens: win.tokens, text: decoder.tokenizer.decode(win.tokens), logProb: win.logProb, ended: true, runs, ms: performance.now() - t0 };
}
