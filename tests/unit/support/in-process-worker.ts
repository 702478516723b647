/**
 * A worker in this process: the page's side is a WorkerLike, the worker's side a scope that
 * `serve` (workers/support/serve.ts) can run on. Messages are structured-cloned with their
 * transfer lists and delivered asynchronously, as postMessage does; `crash()` fires the page's
 * `error` event, `hang()` makes the worker stop answering.
 */
import type { WorkerLike } from '../../../src/platform/worker-client.ts';

export class InProcessWorker implements WorkerLike {
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: ErrorEvent | Event) => void) | null = null;
  onmessageerror: ((ev: MessageEvent) => void) | null = null;
  terminated = false;
  hung = false;
  /** What the worker received, for the test to look at. */
  readonly received: unknown[] = [];
  /** The worker's side: what `serve` takes as its scope. */
  readonly scope: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown, transfer?: Transferable[]): void };

  constructor() {
    this.scope = {
      onmessage: null,
      postMessage: (m, transfer = []) => {
        const copy = structuredClone(m, { transfer: transfer as Transferable[] });
        setImmediate(() => !this.terminated && this.onmessage?.({ data: copy } as MessageEvent));
      },
    };
  }

  postMessage(message: unknown, transfer: Transferable[]): void {
    if (this.terminated) return;
    const copy = structuredClone(message, { transfer });
    this.received.push(copy);
    setImmediate(() => !this.terminated && !this.hung && this.scope.onmessage?.({ data: copy } as MessageEvent));
  }

  terminate(): void {
    this.terminated = true;
  }

  crash(): void {
    this.onerror?.({ message: 'boom', preventDefault() {} } as unknown as ErrorEvent);
  }

  hang(): void {
    this.hung = true;
  }
}
