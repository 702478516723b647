import type { z } from 'zod';
import { OsmoseError } from './errors.ts';
import { SUPPORTED_PROTOCOLS } from './version.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: OsmoseError };

const utf8 = new TextEncoder();

/** True when `raw` is over `max` UTF-8 bytes; encodes only when the cheap bounds can't tell. */
function overLimit(raw: string | ArrayBuffer | Uint8Array, max: number): boolean {
  if (typeof raw !== 'string') return raw.byteLength > max;
  if (raw.length > max) return true; // every UTF-16 unit is at least one byte
  if (raw.length * 3 <= max) return false; // and at most three
  return utf8.encode(raw).length > max;
}

function asText(raw: string | ArrayBuffer | Uint8Array): string {
  if (typeof raw === 'string') return raw;
  return new TextDecoder('utf-8', { fatal: true }).decode(raw);
}

/**
 * Parse, check the envelope's protocol version, then validate against `schema`. Size is checked
 * before any decoding. Never throws: a bad frame becomes a typed error.
 */
export function decodeFrame<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  maxBytes: number,
): Decoded<z.infer<S>> {
  if (typeof raw !== 'string' && !(raw instanceof ArrayBuffer) && !(raw instanceof Uint8Array)) {
    return fail('bad-request', 'frame is not text');
  }
  if (overLimit(raw, maxBytes)) return fail('too-large', `frame over ${maxBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(asText(raw));
  } catch {
    return fail('bad-request', 'frame is not JSON');
  }
  return validateMessage(schema, parsed);
}

/** Version check then schema check, for values already parsed (e.g. an HTTP JSON body). */
export function validateMessage<S extends z.ZodType>(schema: S, parsed: unknown): Decoded<z.infer<S>> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('bad-request', 'message is not an object');
  }
  const v = (parsed as { v?: unknown }).v;
  if (typeof v !== 'number' || !SUPPORTED_PROTOCOLS.includes(v)) {
    return fail('protocol-version', `protocol ${(typeof v === 'number' ? String(v) : typeof v).slice(0, 16)} is not supported (speaks ${SUPPORTED_PROTOCOLS.join(', ')})`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'message';
    // zod reports an unmatched discriminator as invalid_union at ['t']; a known type with bad
    // fields fails inside that branch instead.
    const t = (parsed as { t?: unknown }).t;
    const unknownType = issue?.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 't' && typeof t === 'string';
    return fail(unknownType ? 'unknown-type' : 'bad-request', `${where}: ${issue?.message ?? 'invalid'}`.slice(0, 200));
  }
  return { ok: true, value: result.data };
}

export function encodeFrame<M extends { v: number }>(message: M): string {
  return JSON.stringify(message);
}

function fail(code: OsmoseError['code'], message: string): { ok: false; error: OsmoseError } {
  return { ok: false, error: new OsmoseError(code, message) };
}
