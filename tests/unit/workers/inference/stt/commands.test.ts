/** The command grammar: a table of sentences and what each asks for; the constrained decoder's guide. */
import { describe, it, expect } from 'vitest';
import { parseCommand, commandExpect } from '../../../../../workers/inference/stt/commands.ts';
import { GrammarGuide } from '../../../../../workers/inference/stt/constrained.ts';
import { toWords } from '../../../../../workers/inference/stt/grammar.ts';

const TABLE: [string, object][] = [
  // timers, numbers in words and in digits
  ['set a timer for seven minutes', { kind: 'timer', seconds: 420 }],
  ['Set a timer for 7 minutes.', { kind: 'timer', seconds: 420 }],
  ['set a timer for twenty-five minutes', { kind: 'timer', seconds: 1500 }],
  ['set a timer for twenty five minutes', { kind: 'timer', seconds: 1500 }],
  ['Set a timer for 90 seconds.', { kind: 'timer', seconds: 90 }],
  ['set a timer for a hundred and twenty minutes', { kind: 'timer', seconds: 7200 }],
  ['set a timer for a minute', { kind: 'timer', seconds: 60 }],
  ['timer for ten minutes', { kind: 'timer', seconds: 600 }],
  ['start a timer for three minutes please', { kind: 'timer', seconds: 180 }],
  ['Please set a timer for 10 minutes.', { kind: 'timer', seconds: 600 }],
  ['set a ten minute timer', { kind: 'timer', seconds: 600 }],
  ['set a 5-minute timer', { kind: 'timer', seconds: 300 }],
  // an hour and a half, and other halves and quarters
  ['set a timer for an hour and a half', { kind: 'timer', seconds: 5400 }],
  ['Set a timer for one and a half hours.', { kind: 'timer', seconds: 5400 }],
  ['set a timer for 1.5 hours', { kind: 'timer', seconds: 5400 }],
  ['set a timer for half an hour', { kind: 'timer', seconds: 1800 }],
  ['set a timer for a quarter of an hour', { kind: 'timer', seconds: 900 }],
  ['set a timer for a minute and a half', { kind: 'timer', seconds: 90 }],
  ['set a timer for two hours and ten minutes', { kind: 'timer', seconds: 7800 }],
  ['set a timer for 1 hour 30 minutes', { kind: 'timer', seconds: 5400 }],
  // "ten past" and other times of day
  ['set a timer for ten past', { kind: 'timer-until', hour: null, minute: 10 }],
  ['set a timer for ten past four', { kind: 'timer-until', hour: 4, minute: 10 }],
  ['Set a timer for half past three.', { kind: 'timer-until', hour: 3, minute: 30 }],
  ['set a timer for quarter to five', { kind: 'timer-until', hour: 4, minute: 45 }],
  ['set a timer for twenty to', { kind: 'timer-until', hour: null, minute: 40 }],
  ['set a timer until 4:30', { kind: 'timer-until', hour: 4, minute: 30 }],
  ['set a timer for five o\'clock', { kind: 'timer-until', hour: 5, minute: 0 }],
  // notes keep the words as heard
  ['Note that the budget review moves to Thursday.', { kind: 'note', note: 'the budget review moves to Thursday' }],
  ['make a note that Anna brings the projector', { kind: 'note', note: 'Anna brings the projector' }],
  ['remember that lunch is at one', { kind: 'note', note: 'lunch is at one' }],
  // the others
  ['Pin that.', { kind: 'pin' }],
  ['pin this', { kind: 'pin' }],
  ['Who is here?', { kind: 'who-is-here' }],
  ["Who's here?", { kind: 'who-is-here' }],
  ['who is in the room', { kind: 'who-is-here' }],
  ['Start the scribe.', { kind: 'scribe', on: true }],
  ['stop the scribe', { kind: 'scribe', on: false }],
  ['turn off the scribe', { kind: 'scribe', on: false }],
  ['can you start the scribe', { kind: 'scribe', on: true }],
];

const UNKNOWN = [
  'Santa timer for an hour and a half.', // the plain greedy decode's mishearing: never guessed
  'set a timer for 30', // no unit: minutes or seconds?
  'set a timer for zero minutes',
  'set a timer for twenty five hours', // over a day
  'set a timer for ten past twenty-five',
  'what time is it',
  'pin',
  'note',
  'note that',
  'start the script',
  'who is there',
  '',
];

describe('command grammar', () => {
  it.each(TABLE)('%s', (text, expected) => {
    expect(parseCommand(text)).toEqual({ ...expected, text: text.trim() });
  });

  it.each(UNKNOWN)('unknown: "%s"', (text) => {
    expect(parseCommand(text)).toEqual({ kind: 'unknown', text });
  });

  it('splits words as the grammar sees them', () => {
    expect(toWords('Set a ten-minute timer, at 4:30. Who\u2019s "here"? 1.5').words).toEqual(['set', 'a', 'ten', 'minute', 'timer', 'at', '4', '30', "who's", 'here', '1.5']);
  });
});

describe('the constrained decoder\'s guide', () => {
  const g = new GrammarGuide(commandExpect);
  it('allows every prefix of a command, word piece by word piece', () => {
    for (const [text] of TABLE) {
      for (let i = 1; i <= text.length; i++) expect(g.viable(text.slice(0, i)), text.slice(0, i)).toBe(true);
      expect(g.complete(text), text).toBe(true);
    }
  });
  it('refuses what no command can start with, and an end before the command is whole', () => {
    for (const t of ['Santa', 'Set a time o', 'set a timer for seven minutes now', 'The is', 'pin that now', 'Not that']) expect(g.viable(t), t).toBe(false);
    for (const t of ['set a timer for', 'note that', 'pin']) expect(g.complete(t), t).toBe(false);
    expect(g.viable('set a timer for 1')).toBe(true); // digits come one token at a time
    expect(g.viable('set a timer for 1.')).toBe(true);
    expect(g.viable('Note that anything at all, really')).toBe(true);
  });
});
