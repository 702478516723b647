/**
 * Every error that crosses a boundary (HTTP, WebSocket, data channel, worker) carries one of
 * these codes. At the boundary an OsmoseError becomes a plain `{code, message}`; the message is
 * for people and never contains a secret, a token or a proof.
 */
export const ERROR_CODES = [
  'bad-request', // malformed or invalid message
  'too-large', // over the size limit, refused before decoding
  'protocol-version', // the other side speaks another protocol version
  'unknown-type', // a well-formed message of a type this side does not know
  'wrong-secret', // the join proof does not match the room secret
  'secret-rotated', // the proof matches a previous room secret
  'challenge-expired', // the join challenge is too old
  'challenge-used', // the join challenge was already used (replay)
  'challenge-unknown', // the hub never issued this challenge (or forgot it on restart)
  'bad-signature', // the device's signature does not match its identity
  'unauthorized', // missing or invalid signaling credential
  'credential-expired', // the signaling credential is past its expiry
  'rate-limited', // too many attempts from this address
  'not-lan', // the request came from outside the LAN
  'wrong-host', // the request named another host than the hub's own names and addresses (DNS rebinding)
  'forbidden', // the resource is not for this client (e.g. /display off the hub)
  'not-found',
  'evicted', // the hub removed this device from the room
  'room-full', // the room lists as many devices as devices accept (LIMITS.rosterMembers); one must leave first
  'hub-unreachable',
  'storage-full', // a disk or the browser's quota is full; nothing already stored was lost
  'hash-mismatch', // bytes do not match their SHA-256 (a corrupt chunk or file)
  'cancelled', // a transfer was cancelled by one side
  'internal', // a bug on the reporting side; details are in its log
  'model-integrity', // a model's bytes do not match the SHA-256 in the model registry; never run
  'model-unavailable', // a model (or the inference runtime) could not be fetched or is not in the registry
  'backend-unavailable', // the asked-for inference backend (WebGPU) is not on this device
  'inference-failed', // the runtime refused the model or its inputs, or failed while running it
  'worker-crashed', // the worker died with the request in flight; the next request starts a new one
  'timeout', // no answer in time
  'mic-denied', // the person (or the browser) did not allow the microphone
  'mic-unavailable', // no microphone, or audio capture could not start
  'camera-denied', // the person (or the browser) did not allow the camera
  'camera-unavailable', // no camera, or video capture could not start
  'busy', // a device serving the room's voice service is full or not serving now
  'invitation-expired', // the invitation's time is over (or it was withdrawn)
  'invitation-forged', // not an invitation this hub made: unknown token, damaged or made-up code
  'invitation-used', // a single-use invitation that another room already accepted
  'invitation-replayed', // this room already accepted this invitation (or its link was ended)
  'invitation-scope', // the invitation's scope is wrong: not what the code says, or the item is gone
  'fingerprint-mismatch', // the remote hub's certificate is not the one the invitation pins
  'out-of-scope', // a remote hub sent data the link does not cover; the link is cut
  'link-ended', // the connection between the rooms was ended (by a member or by expiry)
  'sealed-unreadable', // sealed room data (a transcript, a face template) this device holds no key for, or damaged
  'missing-dependencies', // a document update refers to changes this side does not hold: refused whole, the sender is asked for a state-vector sync
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WireError {
  code: ErrorCode;
  message: string;
}

export class OsmoseError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OsmoseError';
    this.code = code;
  }
  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}

/** HTTP status for each code the hub can answer with. */
export const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  'bad-request': 400,
  'too-large': 413,
  'protocol-version': 409,
  'wrong-secret': 401,
  'secret-rotated': 401,
  'challenge-expired': 401,
  'challenge-used': 401,
  'challenge-unknown': 401,
  'bad-signature': 401,
  unauthorized: 401,
  'credential-expired': 401,
  'rate-limited': 429,
  'not-lan': 403,
  'wrong-host': 421,
  forbidden: 403,
  'not-found': 404,
  'room-full': 503,
  'storage-full': 507,
  'hash-mismatch': 422,
  'invitation-expired': 410,
  'invitation-forged': 403,
  'invitation-used': 409,
  'invitation-replayed': 409,
  'invitation-scope': 422,
  'fingerprint-mismatch': 502,
  'hub-unreachable': 502,
  'out-of-scope': 422,
  'link-ended': 410,
  internal: 500,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turns anything thrown into a wire error without leaking internals. */
export function toWireError(err: unknown): WireError {
  if (err instanceof OsmoseError) return err.toWire();
  return { code: 'internal', message: 'internal error' };
}
