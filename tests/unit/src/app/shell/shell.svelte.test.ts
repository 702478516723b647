/** The shell's state: routes from the address bar, where each view goes on a phone and a laptop, tabs, what is new. */
import { describe, expect, it } from 'vitest';
import { flushSync } from 'svelte';
import { MORE, PHONE_TABS, Shell, type ShellFeature, type ShellPage } from '../../../../../src/app/shell/shell.svelte.ts';

/** An address bar: `go` adds an entry and fires the change, `back` walks it, as a browser does. */
class FakePage implements ShellPage {
  entries: string[];
  at: number;
  private listeners = new Set<() => void>();
  constructor(hash = '') {
    this.entries = [hash];
    this.at = 0;
  }
  hash = () => this.entries[this.at]!;
  go = (hash: string) => {
    if (hash === this.hash()) return;
    this.entries = [...this.entries.slice(0, this.at + 1), hash];
    this.at++;
    this.fire();
  };
  back(): void {
    this.at--;
    this.fire();
  }
  listen = (cb: () => void) => {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  };
  private fire(): void {
    for (const cb of this.listeners) cb();
  }
}

const FEATURES: ShellFeature[] = [
  { id: 'room', beside: 'start' },
  { id: 'timeline', beside: 'end' },
  { id: 'notes' },
  { id: 'files' },
  { id: 'board' },
  { id: 'voice' },
  { id: 'about' },
];

function make(hash = '', features = FEATURES) {
  const page = new FakePage(hash);
  const layout = $state({ wide: false });
  const shell = new Shell(features, page, () => layout.wide);
  const stop = shell.start();
  return { page, layout, shell, stop };
}

describe('Shell on a phone', () => {
  it('opens on the first view, and on the one the address bar names after a reload', () => {
    expect(make().shell.main).toBe('room');
    expect(make('#/files').shell.main).toBe('files');
  });

  it('shows one view at a time; the rest are hidden', () => {
    const { shell } = make('#/notes');
    expect(FEATURES.map((f) => shell.placement(f.id))).toEqual(['hidden', 'hidden', 'main', 'hidden', 'hidden', 'hidden', 'hidden']);
    expect(shell.beside).toEqual([]);
  });

  it('takes a join link, an unknown view or garbage for the first view', () => {
    for (const hash of ['#r=abc&s=secret', '#/nope', '#/', '#files', '#/FILES']) expect(make(hash).shell.main, hash).toBe('room');
  });

  it('follows links and the back button, counting each move', () => {
    const { page, shell } = make();
    shell.go('files');
    flushSync();
    expect(page.hash()).toBe('#/files');
    expect(shell.main).toBe('files');
    shell.go('board');
    page.back();
    expect(shell.main).toBe('files');
    expect(shell.moves).toBe(3);
  });

  it(`puts the first ${PHONE_TABS} views on the tab bar and the rest under More`, () => {
    const { shell } = make();
    expect(shell.tabs).toEqual(['room', 'timeline', 'notes', 'files', MORE]);
    expect(shell.overflow).toEqual(['board', 'voice', 'about']);
  });

  it('marks More as current for More itself and for any view behind it', () => {
    const { shell } = make('#/more');
    expect(shell.main).toBe(MORE);
    expect(shell.current(MORE)).toBe(true);
    shell.go('voice');
    expect(shell.current(MORE)).toBe(true);
    expect(shell.current('voice')).toBe(true);
    shell.go('notes');
    expect(shell.current(MORE)).toBe(false);
    expect(shell.current('notes')).toBe(true);
  });

  it('needs no More when every view fits the bar', () => {
    const few = FEATURES.slice(0, PHONE_TABS + 1);
    const { shell } = make('', few);
    expect(shell.tabs).toEqual(few.map((f) => f.id));
    expect(shell.overflow).toEqual([]);
  });

  it('refuses a registry with a duplicate id, or one called "more"', () => {
    const page = new FakePage();
    expect(() => new Shell([{ id: 'a' }, { id: 'a' }], page, () => false)).toThrow();
    expect(() => new Shell([{ id: MORE }], page, () => false)).toThrow();
  });
});

describe('Shell on a laptop', () => {
  it('keeps the beside views on screen next to the selected one, and lists every view on the rail', () => {
    const { shell, layout } = make('#/files');
    layout.wide = true;
    expect(shell.main).toBe('files');
    expect(shell.beside).toEqual(['room', 'timeline']);
    expect(shell.placement('notes')).toBe('hidden');
    expect(shell.tabs).toEqual(FEATURES.map((f) => f.id));
    expect(shell.overflow).toEqual([]);
  });

  it('opens on the first view that is not beside', () => {
    const { shell, layout } = make();
    layout.wide = true;
    expect(shell.main).toBe('notes');
  });

  it('keeps the selected view when a beside view is picked, and sends focus to the one picked', () => {
    const { shell, layout } = make();
    layout.wide = true;
    shell.go('board');
    shell.go('timeline');
    expect(shell.main).toBe('board');
    expect(shell.focusTarget).toBe('timeline');
    expect(shell.current('board')).toBe(true);
    expect(shell.current('timeline')).toBe(false);
  });

  it('turning a phone into a laptop view keeps what was selected; More becomes the last view', () => {
    const { shell, layout } = make();
    shell.go('voice');
    shell.go('more');
    expect(shell.main).toBe(MORE);
    layout.wide = true;
    expect(shell.main).toBe('voice');
  });
});

describe('what is new in a view off screen', () => {
  it('counts what arrives while a view is off screen, from the first count on, until it is on screen', () => {
    const { shell } = make('#/room');
    shell.observe('timeline', null); // memory still opening
    shell.observe('timeline', 40); // the history there already
    expect(shell.unseen('timeline')).toBe(0);
    shell.observe('timeline', 43);
    expect(shell.unseen('timeline')).toBe(3);
    shell.go('timeline');
    shell.observe('timeline', 43);
    expect(shell.unseen('timeline')).toBe(0);
    shell.go('room');
    shell.observe('timeline', 44);
    expect(shell.unseen('timeline')).toBe(1);
  });

  it('never counts below zero (retention deleted things meanwhile)', () => {
    const { shell } = make('#/room');
    shell.observe('files', 5);
    shell.observe('files', 2);
    expect(shell.unseen('files')).toBe(0);
  });

  it('counts nothing new in a beside view on a laptop: it is always on screen', () => {
    const { shell, layout } = make('#/files');
    layout.wide = true;
    shell.observe('timeline', 1);
    shell.observe('timeline', 9);
    expect(shell.unseen('timeline')).toBe(0);
  });

  it('updates what a reactive reader sees', () => {
    const { shell } = make('#/room');
    const seen: number[] = [];
    const stop = $effect.root(() => {
      $effect(() => void seen.push(shell.unseen('notes')));
    });
    flushSync();
    shell.observe('notes', 1);
    shell.observe('notes', 2);
    flushSync();
    shell.go('notes');
    shell.observe('notes', 2);
    flushSync();
    expect(seen).toEqual([0, 1, 0]);
    stop();
  });
});
