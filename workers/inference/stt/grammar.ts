/**
 * A tiny grammar engine over words, for spoken commands: combinators that parse a complete
 * sentence into a value, and tell, for a sentence cut short, what the next word may be. The same
 * grammar thus parses a transcript (commands.ts) and constrains the decoder to sentences it can
 * parse (constrained.ts). Backtracking over generators: fine for a dozen words and a small grammar.
 */

/** What may come at a position: one of these words, a number in digits, or any word. */
export type Expect = { kind: 'word'; word: string } | { kind: 'digits' } | { kind: 'any' };

interface Ctx {
  words: readonly string[];
  /** The words as heard (case and inner punctuation kept), for free text. */
  raw: readonly string[];
  /** Set when asking what comes after all the words: terminals at the end record themselves. */
  expect: Expect[] | null;
}

interface Hit<T> {
  end: number;
  value: T;
}

export interface Node<T> {
  match(ctx: Ctx, at: number): Iterable<Hit<T>>;
}

const node = <T>(match: (ctx: Ctx, at: number) => Iterable<Hit<T>>): Node<T> => ({ match });

/** One word from a table (word -> value). */
export function words<T>(table: Readonly<Record<string, T>>): Node<T> {
  const keys = Object.keys(table);
  return node(function* (ctx, at) {
    if (at === ctx.words.length) {
      if (ctx.expect) for (const word of keys) ctx.expect.push({ kind: 'word', word });
      return;
    }
    const w = ctx.words[at]!;
    if (Object.hasOwn(table, w)) yield { end: at + 1, value: table[w]! };
  });
}

/** One of these words (its value is the word). */
export function lit(...ws: string[]): Node<string> {
  return words(Object.fromEntries(ws.map((w) => [w, w])));
}

/** A number in digits ("7", "90", "1.5"). */
export const digits: Node<number> = node(function* (ctx, at) {
  if (at === ctx.words.length) {
    ctx.expect?.push({ kind: 'digits' });
    return;
  }
  const w = ctx.words[at]!;
  if (/^\d{1,6}(\.\d{1,3})?$/.test(w)) yield { end: at + 1, value: Number(w) };
});

/** One or more words to the end, as heard (free text: a note's content). */
export const rest: Node<string> = node(function* (ctx, at) {
  // Free text can always go on: one more word is always possible.
  ctx.expect?.push({ kind: 'any' });
  if (at === ctx.words.length) return;
  yield { end: ctx.words.length, value: ctx.raw.slice(at).join(' ') };
});

export function seq<T extends unknown[]>(...parts: { [K in keyof T]: Node<T[K]> }): Node<T> {
  return node(function* (ctx, at) {
    function* from(i: number, pos: number, acc: unknown[]): Generator<Hit<T>> {
      if (i === parts.length) {
        yield { end: pos, value: acc as T };
        return;
      }
      for (const h of (parts[i] as Node<unknown>).match(ctx, pos)) yield* from(i + 1, h.end, [...acc, h.value]);
    }
    yield* from(0, at, []);
  });
}

type ValueOf<N> = N extends Node<infer T> ? T : never;

export function alt<N extends Node<unknown>[]>(...options: N): Node<ValueOf<N[number]>> {
  return node(function* (ctx, at) {
    for (const o of options) yield* (o as Node<ValueOf<N[number]>>).match(ctx, at);
  });
}

/** The node, or nothing (value undefined). Tries the node first. */
export function opt<T>(n: Node<T>): Node<T | undefined> {
  return node(function* (ctx, at) {
    yield* n.match(ctx, at);
    yield { end: at, value: undefined };
  });
}

export function map<A, B>(n: Node<A>, fn: (a: A) => B): Node<B> {
  return node(function* (ctx, at) {
    for (const h of n.match(ctx, at)) yield { end: h.end, value: fn(h.value) };
  });
}

/** Only the matches whose value passes `ok` (a timer of zero minutes is no timer). */
export function where<T>(n: Node<T>, ok: (v: T) => boolean): Node<T> {
  return node(function* (ctx, at) {
    for (const h of n.match(ctx, at)) if (ok(h.value)) yield h;
  });
}

/** One or more of `n`, each after the first preceded by an optional `sep`, at most `max`; longest first. */
export function some<T>(n: Node<T>, sep: Node<unknown> | null, max: number): Node<T[]> {
  const gap = sep ? opt(sep) : null;
  function* items(ctx: Ctx, pos: number, left: number): Generator<Hit<T[]>> {
    for (const h of n.match(ctx, pos)) {
      if (left > 1) {
        const after = gap ? [...gap.match(ctx, h.end)].map((g) => g.end) : [h.end];
        for (const e of after) for (const t of items(ctx, e, left - 1)) yield { end: t.end, value: [h.value, ...t.value] };
      }
      yield { end: h.end, value: [h.value] };
    }
  }
  return node((ctx, at) => items(ctx, at, max));
}

/**
 * Splits text into words the way the grammar sees them: lower case, split at spaces, hyphens and
 * colons ("twenty-five", "4:30"), punctuation at the ends of a word dropped; a decimal point
 * between digits and an apostrophe inside a word are kept ("1.5", "who's").
 */
export function toWords(text: string): { words: string[]; raw: string[] } {
  const raw = text
    .replace(/[\u2018\u2019]/g, "'")
    .split(/[\s\-\u2013\u2014:]+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter((w) => w.length > 0);
  return { words: raw.map((w) => w.toLowerCase()), raw };
}

/** The value of the first complete parse of `text`, or null. */
export function parse<T>(root: Node<T>, text: string): T | null {
  const { words: ws, raw } = toWords(text);
  const ctx: Ctx = { words: ws, raw, expect: null };
  for (const h of root.match(ctx, 0)) if (h.end === ws.length) return h.value;
  return null;
}

/**
 * After these (complete) words: what may the next word be, and is the sentence complete already?
 * `next` is empty when nothing can follow (and then the words are a dead end unless complete).
 */
export function expectAfter(root: Node<unknown>, ws: readonly string[]): { next: Expect[]; complete: boolean } {
  const ctx: Ctx = { words: ws, raw: ws, expect: [] };
  let complete = false;
  for (const h of root.match(ctx, 0)) if (h.end === ws.length) complete = true;
  return { next: ctx.expect!, complete };
}

/** Whether `partial` (the start of a word) can grow into a word that `e` accepts. */
export function startsAccepted(e: Expect, partial: string): boolean {
  if (e.kind === 'any') return true;
  if (e.kind === 'digits') return /^\d{0,6}(\.\d{0,3})?$/.test(partial);
  return e.word.startsWith(partial);
}

/** Whether `word` (complete) is accepted by `e`. */
export function accepted(e: Expect, word: string): boolean {
  if (e.kind === 'any') return word.length > 0;
  if (e.kind === 'digits') return /^\d{1,6}(\.\d{1,3})?$/.test(word);
  return e.word === word;
}
