/**
 * Every binary frame kind, in one registry. On a session's data channel (the mesh) and on the
 * room channel the first byte of a binary frame says what it is, and the receiver routes it by
 * that byte alone (src/app/frame-router.ts): so no two features may share a value, and a new
 * feature takes its byte here.
 *
 *   1..4  the room's memory: `[kind][seq varuint][payload]` (protocol/sync-frames.ts)
 *   0x56  voice audio ('V'): `[kind][stream varuint][seq varuint][int16 PCM]` (protocol/voice.ts)
 *   0x43  a camera frame ('C'): `[kind][stream varuint][seq varuint][JPEG]` (protocol/camera.ts)
 *
 * A file's bulk channel (one file per PeerJS connection, never a session's channel) has its own
 * layout, `[version][kind]…` (protocol/files.ts); its kinds are here too.
 */
export const FRAME_KIND = {
  /** A y-protocols sync message (step 1, step 2, update). */
  sync: 1,
  /** A y-protocols awareness update (protocol/awareness.ts). */
  awareness: 2,
  /** Hub → device: every frame up to `seq` is durably stored. */
  ack: 3,
  /** A piece of a larger memory frame (data channels carry at most 64 KiB per message). */
  fragment: 4,
  /** 80 ms of a microphone, streamed to the room device that runs its models. */
  audio: 0x56,
  /** One camera frame (JPEG), sent only to the room device that runs that camera's models. */
  camera: 0x43,
} as const;
export type FrameKindName = keyof typeof FRAME_KIND;

/** The frames of the room's memory (DocSync's). */
export const MEMORY_FRAME_KINDS: readonly number[] = [FRAME_KIND.sync, FRAME_KIND.awareness, FRAME_KIND.ack, FRAME_KIND.fragment];

/** Which feature a binary frame on a session's channel belongs to; null for an unknown kind. */
export type FrameFeature = 'memory' | 'voice' | 'vision';

export function frameFeature(frame: Uint8Array): FrameFeature | null {
  if (frame.byteLength === 0) return null;
  const kind = frame[0]!;
  if (MEMORY_FRAME_KINDS.includes(kind)) return 'memory';
  if (kind === FRAME_KIND.audio) return 'voice';
  if (kind === FRAME_KIND.camera) return 'vision';
  return null;
}

/** Kinds on a file's bulk channel (the byte after the version byte). */
export const BULK_FRAME_KIND = {
  /** One part of one chunk of the file. */
  chunkPart: 1,
} as const;
