/**
 * The one worker client (src/platform/worker-client.ts) against the workers' own message loop
 * (workers/support/serve.ts) in this process: ids, versions, deadlines, crashes and stuck workers.
 * The file hash worker runs its real code (workers/file-hash/running-hashes.ts).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerClient } from '../../../../src/platform/worker-client.ts';
import { workerHashers } from '../../../../src/files/hash-worker.ts';
import { serve } from '../../../../workers/support/serve.ts';
import { RunningHashes } from '../../../../workers/file-hash/running-hashes.ts';
import { decodeQr } from '../../../../workers/qr/decode.ts';
import { FileHashRequest, QrDecodeRequest, QrDecodeResponse, type QrDecodeRequest as QrReq } from '../../../../protocol/workers.ts';
import { PROTOCOL_VERSION } from '../../../../protocol/version.ts';
import { InProcessWorker } from '../../support/in-process-worker.ts';
import { waitFor } from '../../support/wait.ts';

afterEach(() => vi.useRealTimers());

function qrWorkers() {
  const started: InProcessWorker[] = [];
  const create = () => {
    const w = new InProcessWorker();
    serve(w.scope as unknown as DedicatedWorkerGlobalScope, QrDecodeRequest, (req) => ({ message: decodeQr(req), transfer: [] }));
    started.push(w);
    return w;
  };
  const client = new WorkerClient<QrReq, QrDecodeResponse>({ name: 'the QR worker', create, answers: QrDecodeResponse, graceMs: 50 });
  return { client, started };
}

const blank = (w: number, h: number) => new Uint8ClampedArray(w * h * 4).fill(255).buffer as ArrayBuffer;

describe('WorkerClient with a worker served by workers/support/serve.ts', () => {
  it('starts the worker on first use, sends the version and an id, and transfers buffers', async () => {
    const { client, started } = qrWorkers();
    expect(started).toHaveLength(0);
    const data = blank(8, 8);
    const answer = await client.request({ t: 'decode', width: 8, height: 8, data }, 'decoded', 1_000, [data]);
    expect(answer).toMatchObject({ t: 'decoded', v: PROTOCOL_VERSION, text: null });
    expect(data.byteLength).toBe(0); // transferred, not copied
    expect(started[0]!.received[0]).toMatchObject({ v: PROTOCOL_VERSION, id: answer.id });
  });

  it('a request the worker refuses rejects with its code; the worker answers a bad message with the id it named', async () => {
    const { client, started } = qrWorkers();
    await expect(client.request({ t: 'decode', width: 8, height: 8, data: blank(4, 4) }, 'decoded', 1_000)).rejects.toMatchObject({ code: 'bad-request' });
    const w = started[0]!;
    const answers: unknown[] = [];
    const page = w.onmessage!;
    w.onmessage = (ev) => (answers.push(ev.data), page(ev));
    w.postMessage({ t: 'decode', v: 99, id: 41, width: 1, height: 1, data: blank(1, 1) }, []);
    w.postMessage({ t: 'nonsense', v: PROTOCOL_VERSION, id: 42 }, []);
    await waitFor(() => expect(answers).toHaveLength(2));
    expect(answers).toEqual([
      expect.objectContaining({ t: 'error', id: 41, error: expect.objectContaining({ code: 'protocol-version' }) }),
      expect.objectContaining({ t: 'error', id: 42, error: expect.objectContaining({ code: 'bad-request' }) }),
    ]);
  });

  it('a crash rejects what is in flight with worker-crashed and the next request starts a new worker', async () => {
    const { client, started } = qrWorkers();
    started.length = 0;
    const first = client.start() as InProcessWorker;
    first.hang();
    const inFlight = client.request({ t: 'decode', width: 2, height: 2, data: blank(2, 2) }, 'decoded', 1_000);
    first.crash();
    await expect(inFlight).rejects.toMatchObject({ code: 'worker-crashed' });
    expect(first.terminated).toBe(true);
    await expect(client.request({ t: 'decode', width: 2, height: 2, data: blank(2, 2) }, 'decoded', 1_000)).resolves.toMatchObject({ text: null });
    expect(started).toHaveLength(2);
  });

  it('a stuck worker times the request out, then is replaced once its grace is over', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, started } = qrWorkers();
    const w = client.start() as InProcessWorker;
    w.hang();
    const lost: string[] = [];
    const a = client.request({ t: 'decode', width: 2, height: 2, data: blank(2, 2) }, 'decoded', 100).catch((e: { code: string }) => e.code);
    const b = client.request({ t: 'decode', width: 2, height: 2, data: blank(2, 2) }, 'decoded', 10_000).catch((e: { code: string }) => (lost.push(e.code), e.code));
    await vi.advanceTimersByTimeAsync(149);
    expect(w.terminated).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(await a).toBe('timeout');
    // The other request was lost with the stuck worker, at once, not after its own deadline.
    expect(await b).toBe('worker-crashed');
    expect(w.terminated).toBe(true);
    expect(started).toHaveLength(1);
  });

  it("a request queued behind a longer one (a model compiling) times out without replacing the worker; the longer one's deadline still does", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, started } = qrWorkers();
    const w = client.start() as InProcessWorker;
    w.hang();
    const long = client.request({ t: 'decode', width: 2, height: 2, data: blank(2, 2) }, 'decoded', 10_000).catch((e: { code: string }) => e.code);
    const short = client.request({ t: 'decode', width: 2, height: 2, data: blank(2, 2) }, 'decoded', 100).catch((e: { code: string }) => e.code);
    await vi.advanceTimersByTimeAsync(151);
    expect(await short).toBe('timeout');
    expect(w.terminated).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await long).toBe('timeout');
    expect(w.terminated).toBe(true);
    expect(started).toHaveLength(1);
  });

  it('an answer that fails its schema fails the request it names instead of letting it hang', async () => {
    const { client } = qrWorkers();
    const w = client.start() as InProcessWorker;
    w.hang();
    const p = client.request({ t: 'decode', width: 2, height: 2, data: blank(2, 2) }, 'decoded', 5_000);
    const id = (w.received[0] as { id: number }).id;
    w.onmessage!({ data: { t: 'decoded', v: PROTOCOL_VERSION, id, text: 7 } } as MessageEvent);
    await expect(p).rejects.toMatchObject({ code: 'bad-request' });
  });
});

describe('the whole-file hash in a worker', () => {
  function hashWorkers() {
    const started: InProcessWorker[] = [];
    const hashers = workerHashers(() => {
      const w = new InProcessWorker();
      const hashes = new RunningHashes();
      serve(w.scope as unknown as DedicatedWorkerGlobalScope, FileHashRequest, async (req) => ({ message: await hashes.handle(req), transfer: [] }));
      started.push(w);
      return w;
    });
    return { hashers, started };
  }

  it('gives the SHA-256 of everything fed, in order, across updates larger than one message; two hashes do not mix', async () => {
    const { hashers, started } = hashWorkers();
    const a = hashers();
    const b = hashers();
    const bytes = Uint8Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 7) & 0xff);
    await a.update(bytes.subarray(0, 1_000_000));
    await b.update(Uint8Array.of(1, 2, 3));
    await a.update(bytes.subarray(1_000_000));
    expect(await a.digest()).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await b.digest()).toBe(createHash('sha256').update(Uint8Array.of(1, 2, 3)).digest('hex'));
    expect(started).toHaveLength(1);
  });

  it('a hash whose worker crashed fails with worker-crashed instead of going on in a fresh worker', async () => {
    const { hashers, started } = hashWorkers();
    const h = hashers();
    await h.update(Uint8Array.of(1, 2, 3));
    started[0]!.crash();
    await expect(h.update(Uint8Array.of(4))).rejects.toMatchObject({ code: 'worker-crashed' });
    await expect(h.digest()).rejects.toMatchObject({ code: 'worker-crashed' });
    // A new hash works, in a new worker.
    const again = hashers();
    await again.update(Uint8Array.of(9));
    expect(await again.digest()).toBe(createHash('sha256').update(Uint8Array.of(9)).digest('hex'));
    expect(started).toHaveLength(2);
  });
});
