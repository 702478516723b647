/**
 * Diagnostics: wraps a worker factory to count the workers started and to make the current one
 * crash (a `crash` request, protocol/diagnostics.ts), so that tests can watch the app recover.
 */
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { CrashRequest } from '../../protocol/diagnostics.ts';
import type { WorkerLike } from '../platform/worker-client.ts';

export class WorkerTracker {
  started = 0;
  private current: WorkerLike | null = null;

  wrap(create: () => WorkerLike): () => WorkerLike {
    return () => {
      const w = create();
      this.started++;
      this.current = w;
      return w;
    };
  }

  /** The worker throws an uncaught error (what was in flight fails with `worker-crashed`). */
  crash(): void {
    if (!this.current) throw new Error('no worker has started');
    this.current.postMessage({ t: 'crash', v: PROTOCOL_VERSION, id: 0 } satisfies CrashRequest, []);
  }
}
