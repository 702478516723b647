/**
 * Links to other rooms, as this device sees them: the banners, remote people, open invitations,
 * the ledger's summary (refreshed when the hub says they changed, after every action, and every
 * 10 s while the page is visible in case a push was missed),
 * and the members' actions. All the work is at the hub; this only asks and shows.
 */
import type { GatewayState as State, InvitationView, LedgerEntry, LedgerSummary, LinkView, EndedLinkView, Scope, Access } from '../../protocol/gateway.ts';
import type { GatewayApi } from './gateway-api.ts';

const REFRESH_MS = 10_000;

export class GatewayState {
  links = $state.raw<LinkView[]>([]);
  invitations = $state.raw<InvitationView[]>([]);
  recentlyEnded = $state.raw<EndedLinkView[]>([]);
  ledger = $state.raw<LedgerSummary>({ items: 0, bytes: 0, entries: 0 });
  ledgerEntries = $state.raw<LedgerEntry[] | null>(null);
  /** The invitation just made on this device: the only time its code exists here. */
  made = $state.raw<InvitationView | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);
  loaded = $state(false);

  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly api: GatewayApi) {}

  /** Refreshes now and every 10 s while the page is visible (again: restarts the timer). */
  start(): void {
    this.stop();
    void this.refresh();
    this.timer = setInterval(() => {
      if (typeof document === 'undefined' || document.visibilityState === 'visible') void this.refresh();
    }, REFRESH_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async refresh(): Promise<void> {
    try {
      this.apply(await this.api.state());
      if (this.ledgerEntries) this.ledgerEntries = (await this.api.ledger()).entries;
    } catch {
      // The hub is away: keep what we showed; the status bar says so.
    }
  }

  invite(scope: Scope, access: Access, expiresInMinutes: number, multiUse: boolean): Promise<boolean> {
    return this.act(async () => {
      this.made = await this.api.createInvitation({ scope, access, expiresInMinutes, multiUse });
    });
  }

  accept(code: string): Promise<boolean> {
    return this.act(async () => void (await this.api.accept(code.trim())));
  }

  end(linkId: string): Promise<boolean> {
    return this.act(() => this.api.end(linkId));
  }

  revoke(id: string): Promise<boolean> {
    return this.act(async () => {
      await this.api.revoke(id);
      if (this.made?.id === id) this.made = null;
    });
  }

  async showLedger(open: boolean): Promise<void> {
    if (!open) return void (this.ledgerEntries = null);
    try {
      const r = await this.api.ledger();
      this.ledgerEntries = r.entries;
      this.ledger = r.summary;
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  private async act(fn: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await fn();
      await this.refresh();
      return true;
    } catch (err) {
      const e = err as { code?: string; message: string };
      this.error = e.message.charAt(0).toUpperCase() + e.message.slice(1) + (e.code ? ` (${e.code})` : '');
      return false;
    } finally {
      this.busy = false;
    }
  }

  private apply(s: State): void {
    this.links = s.links;
    this.invitations = s.invitations;
    this.recentlyEnded = s.recentlyEnded;
    this.ledger = s.ledger;
    this.loaded = true;
  }
}

const dateTime = new Intl.DateTimeFormat([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
/** "until Mon 14:05" */
export function until(t: number): string {
  return `until ${dateTime.format(t)}`;
}

export function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
