/** Size and count limits, checked before any decoding. */
export const LIMITS = {
  /** One frame on the hub's room channel (WebSocket). */
  roomFrameBytes: 16 * 1024,
  /** One frame from the hub to a device (the roster can be long). */
  hubFrameBytes: 1024 * 1024,
  /** One PeerJS signaling frame (SDP offers are a few KiB). */
  signalingFrameBytes: 64 * 1024,
  /** One message on a mesh data channel. */
  meshFrameBytes: 64 * 1024,
  /** A JSON body on the hub's HTTP API. */
  httpJsonBytes: 8 * 1024,
  chatTextChars: 2000,
  displayNameChars: 40,
  roomNameChars: 60,
  roomPlaceChars: 120,
  rosterMembers: 500,
} as const;
