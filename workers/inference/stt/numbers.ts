/** Numbers as spoken ("seven", "twenty five", "a hundred and twenty") or written ("7", "1.5"). */
import { alt, digits, lit, map, opt, seq, words, type Node } from './grammar.ts';

const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
};
const ONE_TO_NINE: Record<string, number> = Object.fromEntries(Object.entries(UNITS).filter(([, v]) => v >= 1 && v <= 9));
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };

/** 0-99 in words. */
const below100: Node<number> = alt(
  map(seq(words(TENS), opt(words(ONE_TO_NINE))), ([t, u]) => t + (u ?? 0)),
  words(UNITS),
);

/** 100-999 in words: "a hundred", "one hundred and five", "two hundred twenty". */
const hundreds: Node<number> = map(
  seq(alt(map(lit('a'), () => 1), words(ONE_TO_NINE)), lit('hundred'), opt(seq(opt(lit('and')), below100))),
  ([h, , r]) => h * 100 + (r ? r[1] : 0),
);

/** A whole or decimal number, in digits or in words (up to 999). */
export const number: Node<number> = alt(digits, hundreds, below100);

/** The words for 0-99, for tests and for whoever prints numbers back. */
export const NUMBER_WORDS: Readonly<Record<string, number>> = { ...UNITS, ...TENS };
