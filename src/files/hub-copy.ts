/**
 * Keeps the hub's copy of files this device holds: uploads what the hub lacks, one file at a
 * time, pausing while this device sends to peers (both compete for the same radio, CPU and
 * storage, and the people in the room come first), retrying while the hub is away. A full hub
 * disk is reported and not retried.
 */
import { OsmoseError, toWireError, type WireError } from '../../protocol/errors.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import type { ChunkStore } from './chunk-store.ts';
import type { HubFiles } from './hub-files.ts';
import { uploadToHub } from './hub-source.ts';

export interface HubCopyProgress {
  stored: number;
  total: number;
  state: 'uploading' | 'done' | 'error';
  error: WireError | null;
}

const RETRY_MS = 15_000;
const IDLE_POLL_MS = 250;

export class HubCopy {
  private readonly queue: FileMeta[] = [];
  private current: { id: string; abort: AbortController } | null = null;
  private readonly retries = new Map<string, ReturnType<typeof setTimeout>>();
  private stopped = false;

  constructor(
    private readonly hub: HubFiles,
    private readonly store: ChunkStore,
    private readonly report: (fileId: string, p: HubCopyProgress) => void,
    /** True while this device sends to peers: people in the room come before the hub copy. */
    private readonly busy: () => boolean,
  ) {}

  ensure(meta: FileMeta): void {
    if (this.stopped || this.current?.id === meta.id || this.queue.some((m) => m.id === meta.id)) return;
    this.queue.push(meta);
    void this.next();
  }

  stop(fileId: string): void {
    const i = this.queue.findIndex((m) => m.id === fileId);
    if (i >= 0) this.queue.splice(i, 1);
    clearTimeout(this.retries.get(fileId));
    if (this.current?.id === fileId) this.current.abort.abort();
  }

  stopAll(): void {
    this.stopped = true;
    this.queue.length = 0;
    for (const t of this.retries.values()) clearTimeout(t);
    this.current?.abort.abort();
  }

  private async whenIdle(signal: AbortSignal): Promise<void> {
    while (this.busy() && !signal.aborted) await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
  }

  private async next(): Promise<void> {
    if (this.current || this.stopped) return;
    const meta = this.queue.shift();
    if (!meta) return;
    const abort = new AbortController();
    this.current = { id: meta.id, abort };
    let last = { stored: 0, total: 0 };
    try {
      await uploadToHub(this.hub, this.store, meta, (p) => {
        last = p;
        this.report(meta.id, { ...p, state: 'uploading', error: null });
      }, abort.signal, () => this.whenIdle(abort.signal));
      this.report(meta.id, { ...last, state: last.stored >= last.total ? 'done' : 'uploading', error: null });
    } catch (err) {
      const code = err instanceof OsmoseError ? err.code : 'internal';
      if (code !== 'cancelled') this.report(meta.id, { ...last, state: 'error', error: toWireError(err) });
      // The hub is away or our credential is being renewed: try again later. A full disk or a
      // refused file is not going to get better by itself.
      if (code === 'hub-unreachable' || code === 'unauthorized' || code === 'credential-expired' || code === 'internal') {
        this.retries.set(meta.id, setTimeout(() => this.ensure(meta), RETRY_MS));
      }
    } finally {
      this.current = null;
      void this.next();
    }
  }
}
