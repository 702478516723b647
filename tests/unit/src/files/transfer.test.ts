/**
 * The device-to-device transfer over an in-memory pair of channels (rate-limited, with a simulated
 * bufferedAmount): full transfer, resume from a partial set, a cut link, cancel on either end, a
 * corrupt chunk caught and fetched again, a full store, and a peer that lacks chunks.
 */
import { describe, expect, it } from 'vitest';
import { FILE_LIMITS } from '../../../../protocol/files.ts';
import type { FileMeta } from '../../../../protocol/room-doc.ts';
import { HIGH_WATER } from '../../../../src/files/channel.ts';
import { ChunkServer, type ServeEnd } from '../../../../src/files/chunk-server.ts';
import { PeerSource } from '../../../../src/files/peer-fetch.ts';
import { Download, MAX_ATTEMPTS } from '../../../../src/files/download.ts';
import { mainThreadHasher } from '../../../../src/files/hash-worker.ts';
import { ChunkCorruptor } from '../../../../src/diagnostics/chunk-corruptor.ts';
import { storedSha256 } from '../../../../src/files/assemble.ts';
import type { ChunkSource } from '../../../../src/files/chunk-sink.ts';
import { MemoryChunkStore, channelPair, sharedFile, type FakeEnd } from './support.ts';
import { waitFor } from '../../support/wait.ts';

const MB = 1024 * 1024;
/** The device that shared the files sharedFile makes (meta.sharedBy). */
const SHARER = 'd' + '1'.repeat(32);

interface Peer {
  id: string;
  store: MemoryChunkStore;
  servers: ChunkServer[];
  ends: ServeEnd[];
  progress: number[];
  senderEnds: FakeEnd[];
  cuts: (() => void)[];
  corruptor: ChunkCorruptor;
}

function peer(id: string, store: MemoryChunkStore): Peer {
  return { id, store, servers: [], ends: [], progress: [], senderEnds: [], cuts: [], corruptor: new ChunkCorruptor() };
}

/** A peer source whose every fetch opens a fresh channel pair to `p`'s server. */
function sourceTo(p: Peer, meta: FileMeta, storedCount: () => number): PeerSource {
  return new PeerSource(
    p.id,
    async () => {
      const { a, b, cut } = channelPair();
      // Chunks damaged in flight, as diagnostics builds do on a real channel.
      const send = a.send.bind(a);
      a.send = (data) => send(p.corruptor.apply(data));
      p.cuts.push(cut);
      p.senderEnds.push(a);
      const server = new ChunkServer({
        channel: a,
        fileId: meta.id,
        meta: (id) => (id === meta.id ? meta : null),
        store: p.store,
        onProgress: (stored) => p.progress.push(stored),
        onEnd: (e) => p.ends.push(e),
      });
      p.servers.push(server);
      return b;
    },
    { storedCount, windowBytes: 4 * MB, stallMs: 2000 },
  );
}

function download(meta: FileMeta, store: MemoryChunkStore, sources: () => ChunkSource[]) {
  return new Download(meta, { store, sources, hasher: mainThreadHasher });
}

describe('file transfer between two devices', () => {
  it('moves a file whole, in bounded buffer, and the sender sees the receiver finish', async () => {
    const sender = peer('dsender', new MemoryChunkStore());
    const { meta, bytes } = await sharedFile(sender.store, 5 * MB + 12_345);
    const rx = new MemoryChunkStore();
    rx.writeDelayMs = 25; // slower than the link: chunks must wait and go in batches
    const d = download(meta, rx, () => [sourceTo(sender, meta, () => d.stored)]);
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
    expect(Buffer.concat((await rx.read(meta.id, 0, d.total)).map((c) => c.data)).equals(Buffer.from(bytes))).toBe(true);
    expect(d.fetched).toBe(d.total);
    // Paced: never more than one frame above the high-water mark.
    expect(sender.senderEnds[0]!.maxBuffered).toBeLessThanOrEqual(HIGH_WATER + FILE_LIMITS.frameBytes);
    // Batched writes: fewer transactions than chunks.
    expect(rx.writes).toBeLessThan(d.total);
    // The sender hears the last ack after the receiver is done.
    await waitFor(() => expect(sender.ends).toEqual(['done']));
    expect(sender.progress.at(-1)).toBe(d.total);
  });

  it('resumes from the chunks already stored, fetching only the others', async () => {
    const sender = peer('dsender', new MemoryChunkStore());
    const { meta, chunks } = await sharedFile(sender.store, 3 * MB);
    const rx = new MemoryChunkStore();
    await rx.write(chunks.filter((c) => c.index % 3 === 0));
    const d = download(meta, rx, () => [sourceTo(sender, meta, () => d.stored)]);
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(d.startedWith).toBe(Math.ceil(d.total / 3));
    expect(d.fetched).toBe(d.total - d.startedWith);
    expect(sender.servers[0]!.sent).toBe(d.total - d.startedWith);
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
  });

  it('after the link is cut mid-transfer, a new download continues where the stored chunks end', async () => {
    const sender = peer('dsender', new MemoryChunkStore());
    const { meta } = await sharedFile(sender.store, 6 * MB);
    const rx = new MemoryChunkStore();
    // The peer leaves once a few chunks are stored (with more in flight, which are lost).
    let gone = false;
    const first: Download = new Download(meta, {
      hasher: mainThreadHasher,
      store: rx,
      sources: () => (gone ? [] : [sourceTo(sender, meta, () => first.stored)]),
      onProgress: (x) => {
        if (x.stored === 8) {
          gone = true;
          sender.cuts.at(-1)!();
        }
      },
    });
    expect(await first.run()).toEqual({ state: 'waiting' });
    const kept = await rx.count(meta.id);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(first.total);

    const second = download(meta, rx, () => [sourceTo(sender, meta, () => second.stored)]);
    expect(await second.run()).toEqual({ state: 'complete' });
    expect(second.startedWith).toBe(kept);
    expect(sender.servers.at(-1)!.sent).toBe(second.total - kept);
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
  });

  it('the receiver cancels: the sender stops and the channel closes', async () => {
    const sender = peer('dsender', new MemoryChunkStore());
    const { meta } = await sharedFile(sender.store, 8 * MB);
    const rx = new MemoryChunkStore();
    const d: Download = new Download(meta, {
      hasher: mainThreadHasher,
      store: rx,
      sources: () => [sourceTo(sender, meta, () => d.stored)],
      onProgress: (x) => x.stored === 3 && x.cancel(),
    });
    expect(await d.run()).toEqual({ state: 'cancelled', by: 'me' });
    await waitFor(() => expect(sender.ends).toEqual(['cancelled']));
    expect(sender.senderEnds[0]!.open).toBe(false);
    expect(sender.servers[0]!.sent).toBeLessThan(d.total);
  });

  it('the sender cancels: the receiver stops, keeping what it stored', async () => {
    const sender = peer(SHARER, new MemoryChunkStore());
    const { meta } = await sharedFile(sender.store, 8 * MB);
    const rx = new MemoryChunkStore();
    const d: Download = new Download(meta, {
      hasher: mainThreadHasher,
      store: rx,
      sources: () => [sourceTo(sender, meta, () => d.stored)],
      onProgress: (x) => x.stored === 3 && sender.servers[0]!.cancel(),
    });
    expect(await d.run()).toEqual({ state: 'cancelled', by: 'sender' });
    expect(await rx.count(meta.id)).toBeGreaterThanOrEqual(3);
    expect(sender.ends).toEqual(['cancelled']);
  });

  it('a chunk corrupted in flight is refused and fetched again', async () => {
    const sender = peer('dsender', new MemoryChunkStore());
    const { meta } = await sharedFile(sender.store, 2 * MB);
    sender.corruptor.remaining = 1;
    const rx = new MemoryChunkStore();
    const d = download(meta, rx, () => [sourceTo(sender, meta, () => d.stored)]);
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(d.bad).toBe(1);
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
  });

  it('a chunk bad from one peer is fetched from another in the same round', async () => {
    const bad = peer('dbad', new MemoryChunkStore());
    const good = peer('dgood', new MemoryChunkStore());
    const { meta } = await sharedFile(bad.store, 2 * MB);
    await sharedFile(good.store, 2 * MB);
    bad.corruptor.remaining = 1_000; // every chunk it sends is corrupt
    const rx = new MemoryChunkStore();
    const d = download(meta, rx, () => [sourceTo(bad, meta, () => d.stored), sourceTo(good, meta, () => d.stored)]);
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(d.bad).toBe(d.total);
    expect(good.servers.length).toBe(1);
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
  });

  it(`a chunk that is bad from every source gives hash-mismatch after ${MAX_ATTEMPTS} tries`, async () => {
    const sender = peer('dsender', new MemoryChunkStore());
    const { meta } = await sharedFile(sender.store, 1 * MB);
    sender.corruptor.remaining = 1_000;
    const rx = new MemoryChunkStore();
    const d = download(meta, rx, () => [sourceTo(sender, meta, () => d.stored)]);
    const end = await d.run();
    expect(end.state).toBe('error');
    expect(end.state === 'error' && end.error.code).toBe('hash-mismatch');
    expect(await rx.count(meta.id)).toBe(0);
    expect(sender.servers.length).toBe(MAX_ATTEMPTS);
  });

  it('a full store stops the download with storage-full and keeps every chunk it stored', async () => {
    const sender = peer('dsender', new MemoryChunkStore());
    const { meta } = await sharedFile(sender.store, 4 * MB);
    const rx = new MemoryChunkStore();
    rx.quota = 1.5 * MB;
    const d = download(meta, rx, () => [sourceTo(sender, meta, () => d.stored)]);
    const end = await d.run();
    expect(end.state === 'error' && end.error.code).toBe('storage-full');
    const kept = await rx.read(meta.id, 0, d.total);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBe(d.stored);
    const { chunks } = await sharedFile(null, 4 * MB);
    for (const c of kept) expect(Buffer.from(c.data).equals(Buffer.from(chunks[c.index]!.data))).toBe(true);
  });

  it('a peer that lacks chunks says so; the rest comes from another source', async () => {
    const half = peer('dhalf', new MemoryChunkStore());
    const full = peer('dfull', new MemoryChunkStore());
    const { meta, chunks } = await sharedFile(full.store, 3 * MB);
    await half.store.write(chunks.filter((c) => c.index < 5));
    const rx = new MemoryChunkStore();
    const d = download(meta, rx, () => [sourceTo(half, meta, () => d.stored), sourceTo(full, meta, () => d.stored)]);
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(half.servers[0]!.sent).toBe(5);
    expect(full.servers[0]!.sent).toBe(d.total - 5);
  });

  it('with only a partial source it waits, keeping what it got', async () => {
    const half = peer('dhalf', new MemoryChunkStore());
    const { meta, chunks } = await sharedFile(null, 3 * MB);
    await half.store.write(chunks.filter((c) => c.index < 5));
    const rx = new MemoryChunkStore();
    const d = download(meta, rx, () => [sourceTo(half, meta, () => d.stored)]);
    expect(await d.run()).toEqual({ state: 'waiting' });
    expect(await rx.count(meta.id)).toBe(5);
  });
});

describe('a file from several sources at once (a swarm)', () => {
  it('two peers with the whole file send different chunks at once, and both see the receiver finish', async () => {
    const a = peer('dpeera', new MemoryChunkStore());
    const b = peer('dpeerb', new MemoryChunkStore());
    const { meta } = await sharedFile(a.store, 12 * MB);
    await sharedFile(b.store, 12 * MB);
    const rx = new MemoryChunkStore();
    const d = download(meta, rx, () => [sourceTo(a, meta, () => d.stored), sourceTo(b, meta, () => d.stored)]);
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
    // Both sent, nothing twice.
    expect(a.servers[0]!.sent).toBeGreaterThan(0);
    expect(b.servers[0]!.sent).toBeGreaterThan(0);
    expect(a.servers[0]!.sent + b.servers[0]!.sent).toBe(d.total);
    expect(d.fetched).toBe(d.total);
    expect(d.bySource.get('dpeera')! + d.bySource.get('dpeerb')!).toBe(d.total);
    // Each sender's last ack tells it the whole download finished, whoever sent the rest.
    await waitFor(() => expect([a.ends, b.ends]).toEqual([['done'], ['done']]));
    expect(a.progress.at(-1)).toBe(d.total);
    expect(b.progress.at(-1)).toBe(d.total);
  });

  it('when one source goes away mid-transfer, the other takes over its chunks in the same round', async () => {
    const a = peer('dpeera', new MemoryChunkStore());
    const b = peer('dpeerb', new MemoryChunkStore());
    const { meta } = await sharedFile(a.store, 12 * MB);
    await sharedFile(b.store, 12 * MB);
    const rx = new MemoryChunkStore();
    let cut = false;
    const d: Download = new Download(meta, {
      hasher: mainThreadHasher,
      store: rx,
      sources: () => [sourceTo(a, meta, () => d.stored), sourceTo(b, meta, () => d.stored)],
      onProgress: (x) => {
        if (!cut && x.stored >= 6) {
          cut = true;
          a.cuts[0]!();
        }
      },
    });
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
    // One channel each: no second round was needed.
    expect([a.servers.length, b.servers.length]).toEqual([1, 1]);
    expect(d.fetched).toBe(d.total);
    expect(b.servers[0]!.sent).toBe(d.total - (d.bySource.get('dpeera') ?? 0));
  });

  it('the sharer cancelling stops the whole download, the other sources too', async () => {
    const a = peer(SHARER, new MemoryChunkStore());
    const b = peer('dpeerb', new MemoryChunkStore());
    const { meta } = await sharedFile(a.store, 16 * MB);
    await sharedFile(b.store, 16 * MB);
    const rx = new MemoryChunkStore();
    let stopped = false;
    const d: Download = new Download(meta, {
      hasher: mainThreadHasher,
      store: rx,
      sources: () => [sourceTo(a, meta, () => d.stored), sourceTo(b, meta, () => d.stored)],
      onProgress: (x) => {
        if (!stopped && x.stored >= 4) {
          stopped = true;
          a.servers[0]!.cancel();
        }
      },
    });
    expect(await d.run()).toEqual({ state: 'cancelled', by: 'sender' });
    await waitFor(() => expect(b.ends).toEqual(['cancelled']));
    expect(d.stored).toBeLessThan(d.total);
    expect(await rx.count(meta.id)).toBe(d.stored);
  });

  it('another peer that stops sending (it cancelled its own copy) only leaves: the sharer sends the rest', async () => {
    const a = peer(SHARER, new MemoryChunkStore());
    const b = peer('dpeerb', new MemoryChunkStore());
    const { meta } = await sharedFile(a.store, 16 * MB);
    await sharedFile(b.store, 16 * MB);
    const rx = new MemoryChunkStore();
    let stopped = false;
    const d: Download = new Download(meta, {
      hasher: mainThreadHasher,
      store: rx,
      sources: () => [sourceTo(a, meta, () => d.stored), sourceTo(b, meta, () => d.stored)],
      onProgress: (x) => {
        if (!stopped && x.stored >= 4 && b.servers[0]) {
          stopped = true;
          b.servers[0].cancel();
        }
      },
    });
    expect(await d.run()).toEqual({ state: 'complete' });
    expect(stopped).toBe(true);
    expect(b.ends).toEqual(['cancelled']);
    expect(await storedSha256(rx, meta)).toBe(meta.sha256);
    expect(d.fetched).toBe(d.total);
    // No second round: the sharer's one channel took over what b had not sent.
    expect(a.servers.length).toBe(1);
  });
});
