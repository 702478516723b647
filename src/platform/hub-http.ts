/**
 * The one HTTP client for the hub's APIs (join, files, gateway). Every answer is validated
 * against its schema (version, then shape) and every error body against `ErrorResponse`, so a
 * caller gets either the typed value or an OsmoseError with a code:
 *
 *   - no answer (network down, hub gone, timed out)   → `hub-unreachable`
 *   - the caller's own signal aborted                 → `cancelled`
 *   - an error answer with a valid body               → the hub's code and message
 *   - an error answer without one (a proxy's page)    → `internal`, "the hub answered <status>"
 *   - a success answer that fails its schema          → `bad-request` / `protocol-version`
 *
 * Requests made `withCredential` carry this device's room credential (`Authorization: Bearer`,
 * `X-Osmose-Device`), as the hub's member APIs require.
 */
import type { z } from 'zod';
import { validateMessage } from '../../protocol/codec.ts';
import { OsmoseError, isErrorCode } from '../../protocol/errors.ts';
import { ErrorResponse } from '../../protocol/hub-api.ts';
import { FILES_API } from '../../protocol/files.ts';

export interface Credential {
  peerId: string;
  token: string;
}

export interface HubHttpDeps {
  /** The hub's origin (the page's own). */
  origin: string;
  fetch: typeof fetch;
  /** This device's room credential, fresh enough to use (requests made `withCredential`). */
  credential?: () => Promise<Credential>;
}

export interface HubRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A JSON body. */
  json?: unknown;
  /** A binary body (a file chunk). */
  bytes?: Uint8Array;
  withCredential?: boolean;
  signal?: AbortSignal;
  /** No answer in this time: `hub-unreachable`. */
  timeoutMs?: number;
}

/** Error messages from the hub are shown to people: keep them short. */
const MAX_MESSAGE = 300;

export class HubHttp {
  constructor(private readonly d: HubHttpDeps) {}

  /** A JSON answer, validated against `schema`. */
  async json<S extends z.ZodType>(schema: S, path: string, req: HubRequest = {}): Promise<z.infer<S>> {
    const res = await this.send(path, req);
    const body = await readJson(res);
    if (!res.ok) throw errorOf(res.status, body);
    const checked = validateMessage(schema, body);
    if (!checked.ok) throw checked.error;
    return checked.value;
  }

  /** A binary answer; null when the hub says `404` (it does not hold the thing). */
  async bytes(path: string, req: HubRequest = {}): Promise<Uint8Array | null> {
    const res = await this.send(path, { ...req });
    if (res.status === 404) {
      await res.arrayBuffer().catch(() => undefined);
      return null;
    }
    if (!res.ok) throw errorOf(res.status, await readJson(res));
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw noAnswer(err, req.signal);
    }
  }

  private async send(path: string, req: HubRequest): Promise<Response> {
    const headers = new Headers();
    if (req.withCredential) {
      if (!this.d.credential) throw new OsmoseError('unauthorized', 'this device has no room credential yet');
      const { peerId, token } = await this.d.credential();
      headers.set('authorization', `Bearer ${token}`);
      headers.set(FILES_API.deviceHeader, peerId);
    }
    let body: BodyInit | undefined;
    if (req.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(req.json);
    } else if (req.bytes) {
      headers.set('content-type', 'application/octet-stream');
      body = req.bytes as Uint8Array<ArrayBuffer>;
    }
    const signals = [req.signal, req.timeoutMs ? AbortSignal.timeout(req.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
    try {
      return await this.d.fetch(new URL(path, this.d.origin), {
        method: req.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        body,
        // The app keeps what it needs (IndexedDB); nothing from the hub's API goes in the HTTP cache.
        cache: 'no-store',
        ...(signals.length ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
      });
    } catch (err) {
      throw noAnswer(err, req.signal);
    }
  }
}

function noAnswer(err: unknown, own: AbortSignal | undefined): OsmoseError {
  if (own?.aborted) return new OsmoseError('cancelled', 'cancelled', { cause: err });
  return new OsmoseError('hub-unreachable', 'the hub did not answer', { cause: err });
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** The hub's error, when its body says which; otherwise `internal` with the status. */
export function errorOf(status: number, body: unknown): OsmoseError {
  const parsed = ErrorResponse.safeParse(body);
  if (parsed.success && isErrorCode(parsed.data.error.code)) return new OsmoseError(parsed.data.error.code, parsed.data.error.message.slice(0, MAX_MESSAGE));
  return new OsmoseError('internal', `the hub answered ${status}`);
}
