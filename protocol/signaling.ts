/**
 * PeerJS signaling frames as the hub accepts them from a client. The `peer` server parses and
 * relays without validating; the hub checks every frame against this first and drops the rest.
 */
import { z } from 'zod';
import { DeviceId } from './common.ts';

export const SignalingFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('HEARTBEAT') }),
  z.object({ type: z.literal('LEAVE'), dst: DeviceId.optional() }),
  z.object({
    type: z.enum(['OFFER', 'ANSWER', 'CANDIDATE', 'EXPIRE']),
    dst: DeviceId,
    payload: z.record(z.string(), z.unknown()).optional(),
  }),
]);
export type SignalingFrame = z.infer<typeof SignalingFrame>;
