/**
 * Fetches a model and checks it against the registry before anything parses it. Models are kept
 * in the `osmose-models` cache by this code, not by the service worker, so that only bytes that
 * passed the check are ever stored: a cached copy is verified again on every load (a damaged one
 * is dropped and fetched afresh); a hub serving bad bytes gets `model-integrity` every time.
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { MODEL_CACHE, modelUrl, type DataFile, type ModelEntry } from '../../models/registry.ts';
import { sha256Hex } from './sha256.ts';

export interface VerifiedModel {
  bytes: Uint8Array;
  sha256: string;
  /** Where the bytes came from. */
  from: 'cache' | 'network';
  ms: { fetch: number; verify: number };
}

export interface FetchDeps {
  fetch: typeof fetch;
  /** Absent where there is no Cache Storage (not a secure context): every load fetches. */
  caches?: CacheStorage;
  origin: string;
  now: () => number;
}

/** A model, or a data file a model needs (OCR's dictionary): checked the same way. */
export async function fetchVerifiedModel(entry: ModelEntry | DataFile, deps: FetchDeps, signal?: AbortSignal): Promise<VerifiedModel> {
  const url = new URL(modelUrl(entry), deps.origin).href;
  const cache = await openCache(deps);
  const t0 = deps.now();
  const hit = await cache?.match(url).catch(() => undefined);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    const t1 = deps.now();
    const sha256 = await digestIfSized(bytes, entry);
    if (sha256 === entry.sha256) return { bytes, sha256, from: 'cache', ms: { fetch: t1 - t0, verify: deps.now() - t1 } };
    await cache!.delete(url).catch(() => false);
  }

  const t1 = deps.now();
  let res: Response;
  try {
    res = await deps.fetch(url, { signal, credentials: 'same-origin', cache: 'no-cache' });
  } catch (err) {
    if (signal?.aborted) throw new OsmoseError('timeout', `fetching ${entry.name} took too long`);
    throw new OsmoseError('model-unavailable', `could not fetch ${entry.name}: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
  }
  if (!res.ok) throw new OsmoseError('model-unavailable', `could not fetch ${entry.name}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const t2 = deps.now();
  const sha256 = await digestIfSized(bytes, entry);
  const t3 = deps.now();
  if (sha256 !== entry.sha256) {
    throw new OsmoseError(
      'model-integrity',
      `${entry.name}: ${bytes.byteLength} bytes with SHA-256 ${sha256.slice(0, 16)}… do not match the registry (${entry.bytes} bytes, ${entry.sha256.slice(0, 16)}…); not loaded`,
    );
  }
  if (cache) {
    const copy = new Response(bytes.slice(), { headers: { 'Content-Type': 'application/octet-stream', 'X-Osmose-SHA256': sha256 } });
    await cache.put(url, copy).catch((err: unknown) => console.warn(`[osmose] could not keep ${entry.name} for offline use`, err));
  }
  return { bytes, sha256, from: 'network', ms: { fetch: t2 - t1 + (hit ? t1 - t0 : 0), verify: t3 - t2 } };
}

async function digestIfSized(bytes: Uint8Array, entry: ModelEntry | DataFile): Promise<string> {
  return bytes.byteLength === entry.bytes ? sha256Hex(bytes) : `size-${bytes.byteLength}`;
}

async function openCache(deps: FetchDeps): Promise<Cache | undefined> {
  try {
    return await deps.caches?.open(MODEL_CACHE);
  } catch {
    return undefined;
  }
}
