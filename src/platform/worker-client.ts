/**
 * The one client for the app's workers (inference, QR decoding, file hashing). It starts the
 * worker on first use; gives each request an id and matches answers by id, never by order; gives
 * each request a deadline; validates every answer (version, then schema) before it reaches a
 * caller; and recovers: a worker `error` rejects everything in flight with `worker-crashed` and
 * the next request starts a new worker, and a request that outlives its deadline by a grace
 * period means the worker is stuck (its own deadline did not fire), so it is replaced, unless a
 * request sent before it is still within its own deadline: the worker may be busy with that one
 * (a model compiling holds the worker's thread for seconds on a busy device) and what was queued
 * behind it times out without taking the worker down. If the worker really is stuck, the oldest
 * request's deadline replaces it.
 *
 * State that lives in a worker (a wake stream, a running hash) dies with it: owners compare
 * `running` with the worker they started on, or listen to `onLost`.
 */
import type { z } from 'zod';
import { validateMessage } from '../../protocol/codec.ts';
import { OsmoseError, isErrorCode } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';

/** What the client needs of a Worker (the browser's, or a fake in unit tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: ((ev: MessageEvent) => void) | null;
  onerror: ((ev: ErrorEvent | Event) => void) | null;
  onmessageerror: ((ev: MessageEvent) => void) | null;
}

/** Every answer names its request and says what it is. */
type Answer = { t: string; id: number };
type ErrorAnswer = { t: 'error'; id: number; error: { code: string; message: string } };
/** A request body without the envelope the client adds. */
export type RequestBody<R> = R extends unknown ? Omit<R, 'v' | 'id'> : never;

export interface WorkerClientOptions<A extends Answer> {
  /** For messages: "the inference worker". */
  name: string;
  create: () => WorkerLike;
  /** Every answer the worker may send (an `error` answer included). */
  answers: z.ZodType<A>;
  /** Extra time past a deadline before the worker counts as stuck (default 2 s). */
  graceMs?: number;
  /** The worker went (crash, stuck, disposed): what lived in it is lost. */
  onLost?: (err: OsmoseError) => void;
}

interface Pending<A> {
  resolve(answer: A): void;
  reject(err: OsmoseError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class WorkerClient<Req extends { t: string }, A extends Answer> {
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending<A>>();

  constructor(private readonly o: WorkerClientOptions<A>) {}

  /** The worker requests go to now; null before the first request or after a crash. */
  get running(): WorkerLike | null {
    return this.worker;
  }

  /** Starts the worker now if it is not running (e.g. to let it warm up), and returns it. */
  start(): WorkerLike {
    if (this.worker) return this.worker;
    const w = this.o.create();
    w.onmessage = (ev) => this.onAnswer(ev.data);
    w.onerror = (ev) => {
      (ev as Event).preventDefault?.();
      this.replace(w, `${this.o.name} crashed: ${(ev as ErrorEvent).message ?? 'error'}`);
    };
    w.onmessageerror = () => console.warn(`[osmose] ${this.o.name}: a message could not be deserialized`);
    this.worker = w;
    return w;
  }

  /**
   * Sends `body` (with `v` and a fresh `id`) and resolves with the answer of type `expect`; an
   * `error` answer rejects with its code, no answer in `timeoutMs` with `timeout`.
   */
  request<T extends A['t']>(body: RequestBody<Req>, expect: T, timeoutMs: number, transfer: Transferable[] = []): Promise<Extract<A, { t: T }>> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Extract<A, { t: T }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OsmoseError('timeout', `${this.o.name} did not answer ${body.t} in ${timeoutMs} ms`));
        // Its own deadline should have answered first: the worker is stuck, unless an older
        // request still has time (the worker may be busy with it). Replace it.
        if (this.worker === worker && !this.olderInTime(id)) this.replace(worker, `${this.o.name} stopped answering`);
      }, timeoutMs + (this.o.graceMs ?? 2_000));
      this.pending.set(id, {
        timer,
        reject,
        resolve: (answer) => {
          if (answer.t === 'error') {
            const e = (answer as unknown as ErrorAnswer).error;
            reject(new OsmoseError(isErrorCode(e.code) ? e.code : 'internal', e.message));
          } else if (answer.t !== expect) reject(new OsmoseError('bad-request', `expected ${expect}, got ${answer.t}`));
          else resolve(answer as Extract<A, { t: T }>);
        },
      });
      try {
        worker.postMessage({ ...body, v: PROTOCOL_VERSION, id }, transfer);
      } catch (err) {
        this.settle(id)?.reject(new OsmoseError('bad-request', `could not send to ${this.o.name}: ${(err as Error)?.message ?? err}`));
      }
    });
  }

  /** Rejects everything in flight with `err` and stops the worker; the next request starts another. */
  dispose(err = new OsmoseError('cancelled', `${this.o.name} was closed`)): void {
    const w = this.worker;
    this.worker = null;
    if (w) {
      w.onmessage = w.onerror = w.onmessageerror = null;
      w.terminate();
    }
    this.failAll(err);
  }

  private onAnswer(data: unknown): void {
    const parsed = validateMessage(this.o.answers, data);
    if (!parsed.ok) {
      // Unreadable: if it names a request, fail that one rather than let it time out.
      const raw = data as { id?: unknown } | null;
      console.warn(`[osmose] ${this.o.name} sent an invalid message:`, parsed.error.message);
      if (typeof raw?.id === 'number') this.settle(raw.id)?.reject(parsed.error);
      return;
    }
    const p = this.settle(parsed.value.id);
    if (!p) {
      if (parsed.value.t === 'error') console.warn(`[osmose] ${this.o.name}:`, (parsed.value as unknown as ErrorAnswer).error.message);
      return; // a late answer to a request that timed out
    }
    p.resolve(parsed.value);
  }

  /** A request sent before `id` is still pending, so still within its deadline and grace. */
  private olderInTime(id: number): boolean {
    for (const other of this.pending.keys()) if (other < id) return true;
    return false;
  }

  private settle(id: number): Pending<A> | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }

  private replace(w: WorkerLike, why: string): void {
    if (this.worker !== w) return;
    console.warn('[osmose]', why);
    this.dispose(new OsmoseError('worker-crashed', why));
  }

  private failAll(err: OsmoseError): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
    this.o.onLost?.(err);
  }
}
