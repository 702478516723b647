/**
 * The shell's state: which view is on screen, where each goes, what the tabs are, and what is new
 * in views not on screen. No feature is named here: the views come from the feature registry
 * (../feature-registry.ts), so a new feature never changes this file.
 *
 *   narrow (a phone)   one view at a time; a tab bar with the first PHONE_TABS views and "More"
 *   wide (a laptop)    a rail with every view; the selected one in the main column, and the
 *                      views marked `beside` (people, the timeline) always on screen next to it
 *
 * The route lives in the address bar's fragment (route.ts): links change it, the back button walks
 * it, a reload keeps it, and nothing of it reaches a server.
 */
import { parseRoute, routeHash } from './route.ts';

/** What the shell needs to know of a feature. */
export interface ShellFeature {
  id: string;
  /** On a wide screen, always on screen beside the selected view (before or after it). */
  beside?: 'start' | 'end';
}

/** The address bar, as the shell uses it. */
export interface ShellPage {
  hash(): string;
  /** Goes to a fragment the way a link does (a new history entry). */
  go(hash: string): void;
  /** Calls back when the fragment changes (a link, back, forward); returns the way to stop. */
  listen(changed: () => void): () => void;
}

/** The phone's "More" page: the views that do not fit the tab bar. */
export const MORE = 'more';
/** How many views a phone's tab bar shows before "More" (five buttons in all fit a 360 px screen). */
export const PHONE_TABS = 4;

export type Placement = 'main' | 'beside' | 'hidden';

export class Shell {
  /** The view the address bar names ('more' included); null when it names none. */
  route = $state<string | null>(null);
  /** Bumped on every change of route after start: the view moves focus then, not on first load. */
  moves = $state(0);
  /** The last view that can take the main column (a wide screen keeps it when a `beside` view is picked). */
  private lastMain = $state<string | null>(null);
  private counts = $state<Record<string, number>>({});
  /** The count each view had when it was last on screen (not reactive: read through `seenVersion`). */
  private readonly seen = new Map<string, number>();
  private seenVersion = $state(0);
  private readonly ids: string[];

  constructor(
    private readonly features: readonly ShellFeature[],
    private readonly page: ShellPage,
    private readonly isWide: () => boolean,
  ) {
    this.ids = features.map((f) => f.id);
    if (new Set(this.ids).size !== this.ids.length || this.ids.includes(MORE)) throw new Error('feature ids must be unique and not "more"');
    if (!this.ids.length) throw new Error('the shell needs at least one view');
    this.read();
  }

  get wide(): boolean {
    return this.isWide();
  }

  /** Follows the address bar; returns the way to stop. */
  start(): () => void {
    return this.page.listen(() => {
      this.read();
      this.moves++;
    });
  }

  go(id: string): void {
    this.page.go(routeHash(id));
  }

  /** The view in the main column (or "more" on a phone). */
  get main(): string {
    const r = this.route;
    if (!this.wide) return r !== null && (r === MORE || this.ids.includes(r)) ? r : this.ids[0]!;
    if (r !== null && this.mainable.includes(r)) return r;
    return this.lastMain ?? this.mainable[0] ?? this.ids[0]!;
  }

  /** The views beside the main one, in registry order (wide screens only). */
  get beside(): string[] {
    return this.wide ? this.features.filter((f) => f.beside && f.id !== this.main).map((f) => f.id) : [];
  }

  placement(id: string): Placement {
    if (id === this.main) return 'main';
    return this.beside.includes(id) ? 'beside' : 'hidden';
  }

  onScreen(id: string): boolean {
    return this.placement(id) !== 'hidden';
  }

  /** Where focus goes after a move: the view the person asked for, wherever it is on screen. */
  get focusTarget(): string {
    const r = this.route;
    return r !== null && this.onScreen(r) ? r : this.main;
  }

  /** The buttons on the tab bar or rail, in order ("more" last on a phone when views are left over). */
  get tabs(): string[] {
    if (this.wide || this.ids.length <= PHONE_TABS + 1) return [...this.ids];
    return [...this.ids.slice(0, PHONE_TABS), MORE];
  }

  /** The views on the phone's "More" page. */
  get overflow(): string[] {
    return this.tabs.includes(MORE) ? this.ids.slice(PHONE_TABS) : [];
  }

  /** Whether a tab stands for what is in the main column (aria-current). */
  current(tab: string): boolean {
    const main = this.main;
    if (tab === MORE) return main === MORE || this.overflow.includes(main);
    return tab === main;
  }

  /**
   * A view's count of things (messages, files…), or null while it has none to give. The first
   * count is what was there already; from then on, what arrives while the view is off screen is
   * new until it is on screen again. Call it from an effect, with the features' counts.
   */
  observe(id: string, count: number | null): void {
    if (count === null) return;
    if (!this.seen.has(id) || this.onScreen(id)) {
      if (this.seen.get(id) !== count) {
        this.seen.set(id, count);
        this.seenVersion++;
      }
    }
    if (this.counts[id] !== count) this.counts[id] = count;
  }

  /** How many things arrived in a view since it was last on screen. */
  unseen(id: string): number {
    void this.seenVersion;
    const count = this.counts[id];
    const seen = this.seen.get(id);
    return count === undefined || seen === undefined ? 0 : Math.max(0, count - seen);
  }

  private get mainable(): string[] {
    return this.features.filter((f) => !f.beside).map((f) => f.id);
  }

  private read(): void {
    const id = parseRoute(this.page.hash());
    this.route = id;
    if (id !== null && this.mainable.includes(id)) this.lastMain = id;
  }
}
