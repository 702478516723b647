/** A Worker that records requests (each must pass the worker's own validation); the test answers them in any order, or crashes it. */
import type { WorkerLike } from '../../../../src/platform/worker-client.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';
import { InferenceRequest } from '../../../../protocol/inference.ts';
import { validateMessage } from '../../../../protocol/codec.ts';

export class FakeWorker implements WorkerLike {
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: ErrorEvent | Event) => void) | null = null;
  onmessageerror: ((ev: MessageEvent) => void) | null = null;
  sent: { msg: Record<string, unknown>; transfer: Transferable[] }[] = [];
  terminated = false;
  postMessage(msg: unknown, transfer: Transferable[]): void {
    const parsed = validateMessage(InferenceRequest, msg);
    if (!parsed.ok) throw new Error(`invalid request: ${parsed.error.message}`);
    this.sent.push({ msg: msg as Record<string, unknown>, transfer });
  }
  terminate(): void {
    this.terminated = true;
  }
  answer(msg: Record<string, unknown>): void {
    this.onmessage?.({ data: { v: PROTOCOL_VERSION, ...msg } } as MessageEvent);
  }
  crash(): void {
    this.onerror?.({ message: 'boom', preventDefault() {} } as unknown as ErrorEvent);
  }
  last(t: string): Record<string, unknown> {
    const m = [...this.sent].reverse().find((s) => s.msg.t === t);
    if (!m) throw new Error(`no ${t} sent`);
    return m.msg;
  }
}
