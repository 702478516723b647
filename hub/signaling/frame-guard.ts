import { SignalingFrame } from '../../protocol/signaling.ts';
import { LIMITS } from '../../protocol/limits.ts';

/**
 * Validates one PeerJS frame; returns the re-serialised frame (only known fields) or null.
 * PeerJS frames carry no protocol version, so this is a schema check without the envelope.
 */
export function decodeFrameRaw(data: Buffer | string): string | null {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (size > LIMITS.signalingFrameBytes) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    return null;
  }
  const r = SignalingFrame.safeParse(parsed);
  if (!r.success) return null;
  try {
    return JSON.stringify(r.data);
  } catch {
    // Pathologically deep payloads overflow the stack when re-serialised: a bad frame.
    return null;
  }
}
