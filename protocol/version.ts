/**
 * Versions that travel on the wire. Bump PROTOCOL_VERSION on any incompatible change to a
 * message in this folder; devices and the hub refuse other versions with `protocol-version`.
 */
export const PROTOCOL_VERSION = 1 as const;
export const SUPPORTED_PROTOCOLS: readonly number[] = [PROTOCOL_VERSION];
export const APP_VERSION = '0.1.0';
