/**
 * Diagnostics builds only: what a worker does besides its job, for tests. Loaded by each worker
 * entry under `__OSMOSE_DIAGNOSTICS__`, so a shipped worker never contains it.
 */
import { CrashRequest } from '../../protocol/diagnostics.ts';

/** A `crash` request makes the worker throw an uncaught error, outside any promise, as a real crash would. */
export function crashOnRequest(data: unknown): boolean {
  if (!CrashRequest.safeParse(data).success) return false;
  setTimeout(() => {
    throw new Error('crash requested (diagnostics)');
  }, 0);
  return true;
}
