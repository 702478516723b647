/**
 * The room's spoken commands (said after a wake word), as a small grammar: no language model,
 * nothing guessed. A sentence the grammar does not parse is `{kind: 'unknown', text}`, shown as
 * heard. Pure TypeScript with no imports outside this folder, so that the app and the inference
 * worker use the same parser (the worker also uses the grammar to constrain the decoder:
 * constrained.ts).
 *
 *   set a timer for seven minutes | … for 7 minutes | … for an hour and a half
 *   … for one and a half hours | … for two hours and ten minutes | set a ten minute timer
 *   set a timer for ten past (four) | … half past three | … quarter to five | … four thirty
 *   note that <anything> | make a note that <anything> | remember that <anything>
 *   pin that | pin this | pin it
 *   who is here | who's here | who is in the room
 *   start the scribe | stop the scribe (also begin/end, turn on/off)
 * Each may start with "please", "okay", "can you" … and end with "please".
 */
import { alt, expectAfter, lit, map, opt, parse, rest, seq, some, where, words, type Expect, type Node } from './grammar.ts';
import { number } from './numbers.ts';

export type Command =
  /** A timer running for `seconds`. */
  | { kind: 'timer'; seconds: number; text: string }
  /** A timer until a time of day: `hour` as said (0-23, or null: the next time `minute` comes round). */
  | { kind: 'timer-until'; hour: number | null; minute: number; text: string }
  | { kind: 'note'; note: string; text: string }
  | { kind: 'pin'; text: string }
  | { kind: 'who-is-here'; text: string }
  | { kind: 'scribe'; on: boolean; text: string }
  | { kind: 'unknown'; text: string };

type Parsed = Command extends infer C ? (C extends unknown ? Omit<C, 'text'> : never) : never;

const MAX_TIMER_SECONDS = 24 * 3600;
const UNIT_SECONDS: Record<string, number> = {
  second: 1, seconds: 1, sec: 1, secs: 1,
  minute: 60, minutes: 60, min: 60, mins: 60,
  hour: 3600, hours: 3600,
};
const unit = words(UNIT_SECONDS);
const aHalf = seq(lit('and'), lit('a'), lit('half'));
/** "7", "seven", "a", "an", "one and a half". */
const amount: Node<number> = alt(
  map(seq(number, aHalf), ([n]) => n + 0.5),
  number,
  map(lit('a', 'an'), () => 1),
);
/** One part of a duration, in seconds: "seven minutes", "an hour and a half", "half an hour", "a quarter of an hour". */
const part: Node<number> = alt(
  map(seq(amount, unit, opt(aHalf)), ([n, u, half]) => (n + (half ? 0.5 : 0)) * u),
  map(seq(lit('half'), opt(lit('an', 'a')), unit), ([, , u]) => u / 2),
  map(seq(opt(lit('a')), lit('quarter'), opt(lit('of')), lit('an', 'a'), lit('hour')), () => 900),
);
const duration: Node<number> = where(
  map(some(part, lit('and'), 3), (ps) => Math.round(ps.reduce((a, b) => a + b, 0))),
  (s) => s > 0 && s <= MAX_TIMER_SECONDS,
);

const hour = where(number, (h) => Number.isInteger(h) && h >= 0 && h <= 23);
const minutes = where(number, (m) => Number.isInteger(m) && m >= 1 && m <= 59);
const minuteWord = opt(lit('minutes', 'minute'));
/** A time of day: "ten past (four)", "half past three", "quarter to five", "four thirty", "five o'clock". */
const clock: Node<{ hour: number | null; minute: number }> = alt(
  map(seq(minutes, minuteWord, lit('past', 'after'), opt(hour)), ([m, , , h]) => ({ hour: h ?? null, minute: m })),
  map(seq(opt(lit('a')), lit('quarter', 'half'), lit('past', 'after'), opt(hour)), ([, q, , h]) => ({ hour: h ?? null, minute: q === 'half' ? 30 : 15 })),
  map(seq(opt(lit('a')), lit('quarter'), lit('to', 'till'), opt(hour)), ([, , , h]) => ({ hour: h === undefined ? null : (h + 23) % 24, minute: 45 })),
  map(seq(minutes, minuteWord, lit('to', 'till'), opt(hour)), ([m, , , h]) => ({ hour: h === undefined ? null : (h + 23) % 24, minute: 60 - m })),
  map(seq(hour, lit("o'clock", 'oclock')), ([h]) => ({ hour: h, minute: 0 })),
  map(seq(hour, where(number, (m) => Number.isInteger(m) && m >= 10 && m <= 59)), ([h, m]) => ({ hour: h, minute: m })),
);

const setVerb = opt(lit('set', 'start', 'make', 'put'));
const article = opt(lit('a', 'the'));
const timerWord = lit('timer');
const timer: Node<Parsed> = alt(
  map(seq(setVerb, article, timerWord, opt(lit('for', 'of')), duration), ([, , , , s]) => ({ kind: 'timer' as const, seconds: s })),
  map(seq(setVerb, lit('a'), duration, timerWord), ([, , s]) => ({ kind: 'timer' as const, seconds: s })),
  map(seq(setVerb, article, timerWord, opt(lit('for', 'at', 'until', 'till')), clock), ([, , , , c]) => ({ kind: 'timer-until' as const, ...c })),
);

const noteStart = alt(
  seq(lit('note'), opt(lit('that'))),
  seq(lit('make', 'take'), lit('a'), lit('note'), opt(lit('that'))),
  seq(lit('remember'), lit('that')),
);
// "note that" alone is no note (its "that" is not the content).
const note: Node<Parsed> = map(where(seq(noteStart, rest), ([, text]) => text.toLowerCase() !== 'that'), ([, text]) => ({ kind: 'note' as const, note: text }));
const pin: Node<Parsed> = map(seq(lit('pin'), lit('that', 'this', 'it')), () => ({ kind: 'pin' as const }));
const who: Node<Parsed> = map(
  seq(alt(seq(lit('who'), lit('is', 'are')), seq(lit("who's"))), alt(lit('here', 'present'), seq(lit('in'), lit('the'), lit('room')))),
  () => ({ kind: 'who-is-here' as const }),
);
const scribeOn = alt(lit('start', 'begin'), map(seq(lit('turn', 'switch'), lit('on')), () => 'on'));
const scribeOff = alt(lit('stop', 'end'), map(seq(lit('turn', 'switch'), lit('off')), () => 'off'));
const theScribe = seq(opt(lit('the')), lit('scribe'));
const scribe: Node<Parsed> = alt(
  map(seq(scribeOn, theScribe), () => ({ kind: 'scribe' as const, on: true })),
  map(seq(scribeOff, theScribe), () => ({ kind: 'scribe' as const, on: false })),
);

const politeStart = opt(alt(lit('please', 'okay', 'ok'), seq(lit('can', 'could', 'would', 'will'), lit('you'))));
/** The whole command grammar (the constrained decoder walks this too). */
export const COMMAND_GRAMMAR: Node<Parsed> = map(
  seq(politeStart, alt(timer, note, pin, who, scribe), opt(lit('please'))),
  ([, c]) => c,
);

/** What `text` asks for; `{kind: 'unknown', text}` when the grammar does not parse it. */
export function parseCommand(text: string): Command {
  const heard = text.trim();
  const c = parse(COMMAND_GRAMMAR, heard);
  return c ? ({ ...c, text: heard } as Command) : { kind: 'unknown', text: heard };
}

/** For the constrained decoder: what may follow these words in a command. */
export function commandExpect(ws: readonly string[]): { next: Expect[]; complete: boolean } {
  return expectAfter(COMMAND_GRAMMAR, ws);
}
