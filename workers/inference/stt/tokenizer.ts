/**
 * Moonshine's tokenizer is LLaMA's SentencePiece vocabulary (32,000 pieces; the model's 32,768
 * outputs add special tokens we never print). `llama-tokenizer-js` (MIT) ships it as data; we use
 * its vocabulary and its decoder only. Loaded on first use (its module is ~680 KB).
 */
import { END_TOKEN, START_TOKEN } from './moonshine.ts';

export interface Tokenizer {
  /** Text of a token sequence; special, unknown and out-of-vocabulary ids are left out. */
  decode(ids: readonly number[]): string;
  /** Each id's piece as text ('▁' shown as a space), or null for ids that are not plain text. */
  readonly pieces: readonly (string | null)[];
}

interface LlamaTokenizer {
  vocabById: string[];
  decode(ids: number[], addBos?: boolean, addPrecedingSpace?: boolean): string;
}

/** Builds our Tokenizer over llama-tokenizer-js's instance (or another with its interface, in tests). */
export function tokenizerFrom(llama: LlamaTokenizer): Tokenizer {
  const vocab = llama.vocabById;
  const inVocab = (id: number) => Number.isInteger(id) && id > END_TOKEN && id < vocab.length;
  // Byte pieces (<0x41>) spell characters outside the vocabulary: decoded, never offered as words.
  const pieces = vocab.map((p, id) => (inVocab(id) && !/^<.*>$/.test(p) ? p.replaceAll('▁', ' ') : null));
  return {
    pieces,
    decode(ids) {
      const keep = ids.filter(inVocab);
      return keep.length ? llama.decode([START_TOKEN, ...keep], true, true).trim() : '';
    },
  };
}

let loaded: Promise<Tokenizer> | null = null;

export function loadTokenizer(): Promise<Tokenizer> {
  loaded ??= import('llama-tokenizer-js').then((m) => tokenizerFrom(m.default as unknown as LlamaTokenizer));
  return loaded;
}
