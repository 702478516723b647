/** Control messages on a bulk channel: size-checked, versioned, validated (protocol/files.ts). */
import { decodeFrame, type Decoded } from '../../protocol/codec.ts';
import { BulkMessage, FILE_LIMITS } from '../../protocol/files.ts';
import { toRanges } from '../../protocol/chunk-set.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { WireError } from '../../protocol/errors.ts';
import type { BulkChannel } from './channel.ts';

export function decodeBulk(raw: string): Decoded<BulkMessage> {
  return decodeFrame(BulkMessage, raw, FILE_LIMITS.controlBytes);
}

type Body<T extends BulkMessage['t']> = Omit<Extract<BulkMessage, { t: T }>, 'v' | 't'>;

export function sendBulk<T extends BulkMessage['t']>(ch: BulkChannel, t: T, body: Body<T>): void {
  if (!ch.open) return;
  try {
    ch.send(JSON.stringify({ v: PROTOCOL_VERSION, t, ...body }));
  } catch (err) {
    // The channel died under us; its close event ends the transfer.
    console.warn('[osmose] bulk send failed', err);
  }
}

/** `want`/`missing` for any set of indexes, split so no message exceeds the range limit. */
export function sendRanges(ch: BulkChannel, t: 'want' | 'missing', fileId: string, indexes: number[]): void {
  const ranges = toRanges(indexes);
  for (let i = 0; i < ranges.length; i += FILE_LIMITS.maxRanges) {
    sendBulk(ch, t, { fileId, ranges: ranges.slice(i, i + FILE_LIMITS.maxRanges) as [number, number][] });
  }
}

/**
 * Closes after a last message had time to leave: PeerJS's close() tears the connection down at
 * once and drops what is still buffered. The other side usually closes first (it closes on
 * `cancel`, and a sender closes on the final `ack`); this is the fallback.
 */
export function closeSoon(ch: BulkChannel, graceMs = 1000): void {
  if (!ch.open) return;
  void ch.drained().then(() => setTimeout(() => ch.close(), graceMs));
}

export function sendError(ch: BulkChannel, error: WireError): void {
  sendBulk(ch, 'error', { error });
  closeSoon(ch);
}
