/// <reference lib="webworker" />
/**
 * A worker's message loop, the same for every worker: each message is validated (version, then
 * schema: `validateMessage`) before the handler sees it, a bad one is answered with a typed error
 * naming its request id, and the handler's answer goes back with its buffers transferred. The app's
 * side of the same contract is src/platform/worker-client.ts.
 */
import type { z } from 'zod';
import { validateMessage } from '../../protocol/codec.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { toWireError } from '../../protocol/errors.ts';

export interface Reply<A> {
  message: A;
  transfer: Transferable[];
}

/** Diagnostics builds may look at a message first (src/diagnostics/worker-hooks.ts); true: taken. */
export type Intercept = (data: unknown) => boolean;

/**
 * The diagnostics hook in diagnostics builds, nothing in shipped ones (the branch and the module
 * it loads are dropped at build time). Loaded without blocking: the message handler must be in
 * place before the worker's first message, or that message is lost.
 */
export function diagnosticsHook(): Intercept | null {
  if (!__OSMOSE_DIAGNOSTICS__) return null;
  let hook: Intercept | null = null;
  void import('../../src/diagnostics/worker-hooks.ts').then((m) => (hook = m.crashOnRequest));
  return (data) => hook?.(data) ?? false;
}

export function serve<S extends z.ZodType<{ id: number }>, A>(
  scope: DedicatedWorkerGlobalScope,
  requests: S,
  handle: (req: z.infer<S>) => Promise<Reply<A>> | Reply<A>,
  intercept?: Intercept | null,
): void {
  scope.onmessage = (ev: MessageEvent<unknown>) => {
    if (intercept?.(ev.data)) return;
    const parsed = validateMessage(requests, ev.data);
    if (!parsed.ok) {
      const raw = (ev.data as { id?: unknown } | null)?.id;
      const id = typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 ? raw : 0;
      scope.postMessage({ t: 'error', v: PROTOCOL_VERSION, id, error: parsed.error.toWire() });
      return;
    }
    const id = parsed.value.id;
    Promise.resolve()
      .then(() => handle(parsed.value))
      .then(
        ({ message, transfer }) => scope.postMessage(message, transfer),
        // Handlers answer their own failures; this is a bug, reported as one.
        (err: unknown) => {
          console.error('[osmose] worker handler failed', err);
          scope.postMessage({ t: 'error', v: PROTOCOL_VERSION, id, error: toWireError(err) });
        },
      );
  };
}
