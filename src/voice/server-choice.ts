/**
 * Which room device runs this device's microphone when it does not run the models itself. The
 * room's rule, the same on every device: among peers that offer the voice service and are in the
 * foreground, the least loaded, then the smallest device id. The current server is kept while it
 * still offers (no moving for a small load difference: a move costs the pipeline's warm-up), and
 * servers that refused recently are skipped.
 */
import type { VoicePresence } from '../../protocol/common.ts';

export interface Candidate {
  peerId: string;
  voice: VoicePresence | undefined;
  visible: boolean;
}

export function pickServer(candidates: readonly Candidate[], current: string | null, avoid: ReadonlySet<string> = new Set()): string | null {
  const offering = candidates.filter((c) => c.voice?.serving && c.visible && !avoid.has(c.peerId));
  if (current && offering.some((c) => c.peerId === current)) return current;
  offering.sort((a, b) => a.voice!.load - b.voice!.load || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0));
  return offering[0]?.peerId ?? null;
}
