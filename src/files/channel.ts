/**
 * A bulk channel as the transfer code sees it: send, how much is buffered, wait until the buffer
 * drains, close. `fromDataConnection` adapts a PeerJS raw DataConnection; unit tests use an
 * in-memory pair that simulates the buffer.
 */
import type { DataConnection } from 'peerjs';

export interface BulkChannel {
  send(data: string | Uint8Array): void;
  readonly bufferedAmount: number;
  /** Resolves once bufferedAmount is at or below the low-water mark, or the channel closed. */
  drained(): Promise<void>;
  readonly open: boolean;
  close(): void;
  onMessage: (data: string | ArrayBuffer) => void;
  onClose: () => void;
}

/**
 * Pace: stop sending above HIGH_WATER, resume at LOW_WATER (`bufferedAmountLowThreshold`).
 * Chromium's SCTP send buffer refuses more than 16 MiB; PeerJS starts its own 50 ms polling
 * queue above 8 MiB, so we stay well under both. Measured numbers are in the report/bench.
 */
export const HIGH_WATER = 4 * 1024 * 1024;
export const LOW_WATER = 1024 * 1024;

export function fromDataConnection(conn: DataConnection): Promise<BulkChannel> {
  return new Promise((resolve, reject) => {
    const ready = () => {
      const dc = conn.dataChannel;
      dc.bufferedAmountLowThreshold = LOW_WATER;
      let open = true;
      const waiters = new Set<() => void>();
      const wake = () => {
        for (const w of [...waiters]) w();
        waiters.clear();
      };
      dc.addEventListener('bufferedamountlow', wake);
      const ch: BulkChannel = {
        send: (data) => (typeof data === 'string' ? dc.send(data) : dc.send(data as Uint8Array<ArrayBuffer>)),
        get bufferedAmount() {
          return open ? dc.bufferedAmount : 0;
        },
        drained: () =>
          new Promise<void>((r) => {
            if (!open || dc.bufferedAmount <= LOW_WATER) return r();
            waiters.add(r);
          }),
        get open() {
          return open && dc.readyState === 'open';
        },
        close: () => conn.close(),
        onMessage: () => undefined,
        onClose: () => undefined,
      };
      conn.on('data', (d) => ch.onMessage(d as string | ArrayBuffer));
      const closed = () => {
        if (!open) return;
        open = false;
        wake();
        ch.onClose();
      };
      conn.on('close', closed);
      conn.on('error', closed);
      resolve(ch);
    };
    if (conn.open) return ready();
    const timer = setTimeout(() => {
      conn.close();
      reject(new Error('bulk channel did not open'));
    }, 15_000);
    conn.once('open', () => {
      clearTimeout(timer);
      ready();
    });
    conn.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
