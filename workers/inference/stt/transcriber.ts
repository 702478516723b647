/**
 * Speech to text for one utterance: encode, then decode freely (greedy, with the key/value cache)
 * or, for a command said after a wake word, decode freely and, if that is not a command the
 * grammar knows, decode again constrained to the grammar (constrained.ts). The constrained text is
 * believed only if the model finds it nearly as likely as its own free text: at most
 * `maxRegretPerToken` nats per token below it (measured on espeak-ng clips: commands 0-2.6, other
 * speech 4.3 or no constrained result at all). Otherwise the command is unknown, shown as heard.
 */
import { commandExpect, parseCommand, type Command } from './commands.ts';
import { constrainedDecode, type ConstrainedOptions } from './constrained.ts';
import type { Decoded, MoonshineDecoder } from './decoder.ts';

export interface TranscribeOptions {
  /** 'free': any text; 'command': a command after a wake word (grammar-constrained when needed). */
  mode?: 'free' | 'command';
  /** Decode with the key/value cache (default) or without (benchmarks). */
  cache?: boolean;
  /** 'command' mode: always run the constrained decode, even when the free text parses (measurements). */
  alwaysConstrain?: boolean;
  constrained?: ConstrainedOptions;
  maxRegretPerToken?: number;
}

export interface Transcript {
  /** The text to show: the free decode's, or the constrained one's when that was believed. */
  text: string;
  ms: { encode: number; decode: number; constrained: number; total: number };
  /** Decoder runs, all decodes together. */
  runs: number;
  free: { text: string; logProb: number; tokens: number; ended: boolean };
  /** 'command' mode only. */
  command?: Command;
  /** 'command' mode, when the constrained decode ran: its text and whether it was believed. */
  constrained?: { text: string; logProb: number; tokens: number; believed: boolean } | null;
}

export const MAX_REGRET_PER_TOKEN = 3;

const summary = (d: Decoded) => ({ text: d.text, logProb: d.logProb, tokens: d.tokens.length, ended: d.ended });

export async function transcribe(decoder: MoonshineDecoder, audio: Float32Array, opts: TranscribeOptions = {}, now: () => number = () => performance.now()): Promise<Transcript> {
  const t0 = now();
  const enc = await decoder.encode(audio);
  const free = await decoder.greedy(enc, { cache: opts.cache ?? true });
  const out: Transcript = {
    text: free.text,
    ms: { encode: enc.ms, decode: free.ms, constrained: 0, total: 0 },
    runs: free.runs,
    free: summary(free),
  };
  if (opts.mode === 'command') {
    const heard = parseCommand(free.text);
    out.command = heard;
    if (heard.kind === 'unknown' || opts.alwaysConstrain) {
      const con = await constrainedDecode(decoder, enc, commandExpect, opts.constrained);
      out.ms.constrained = con?.ms ?? 0;
      out.runs += con?.runs ?? 0;
      out.constrained = null;
      if (con) {
        const regret = (free.logProb - con.logProb) / (con.tokens.length + 1);
        const believed = regret <= (opts.maxRegretPerToken ?? MAX_REGRET_PER_TOKEN);
        out.constrained = { text: con.text, logProb: con.logProb, tokens: con.tokens.length, believed };
        if (believed && heard.kind === 'unknown') {
          out.text = con.text;
          out.command = parseCommand(con.text);
        }
      }
    }
  }
  out.ms.total = now() - t0;
  return out;
}
