/**
 * The hub's file API from the app (paths and bodies in protocol/files.ts). Every request carries
 * this device's signaling credential. Failures become OsmoseErrors with the hub's code, or
 * `hub-unreachable` when there was no answer.
 */
import { OsmoseError, isErrorCode } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { validateMessage } from '../../protocol/codec.ts';
import { FILES_API, FileStatus } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';

export interface HubFilesDeps {
  origin: string;
  credential: () => Promise<{ peerId: string; token: string }>;
  fetch?: typeof fetch;
}

export class HubFiles {
  constructor(private readonly d: HubFilesDeps) {}

  /** What the hub holds of the file; null when it has never heard of it. */
  async status(fileId: string, signal?: AbortSignal): Promise<FileStatus | null> {
    try {
      return await this.json(FILES_API.status(fileId), { signal });
    } catch (err) {
      if (err instanceof OsmoseError && err.code === 'not-found') return null;
      throw err;
    }
  }

  putManifest(meta: FileMeta, signal?: AbortSignal): Promise<FileStatus> {
    return this.json(FILES_API.manifest(meta.id), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ v: PROTOCOL_VERSION, meta }),
      signal,
    });
  }

  async putChunk(fileId: string, index: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const res = await this.request(FILES_API.chunk(fileId, index), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: data as Uint8Array<ArrayBuffer>,
      signal,
    });
    if (!res.ok) throw await errorOf(res);
    await res.arrayBuffer();
  }

  /** The chunk's bytes, or null when the hub does not have it. Not kept in the HTTP cache: the bytes go to IndexedDB. */
  async getChunk(fileId: string, index: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    const res = await this.request(FILES_API.chunk(fileId, index), { signal, cache: 'no-store' });
    if (res.status === 404) {
      await res.arrayBuffer().catch(() => undefined);
      return null;
    }
    if (!res.ok) throw await errorOf(res);
    return new Uint8Array(await res.arrayBuffer());
  }

  private async json(path: string, init: RequestInit): Promise<FileStatus> {
    const res = await this.request(path, init);
    if (!res.ok) throw await errorOf(res);
    const body = validateMessage(FileStatus, await res.json().catch(() => null));
    if (!body.ok) throw body.error;
    return body.value;
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    const { peerId, token } = await this.d.credential();
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    headers.set(FILES_API.deviceHeader, peerId);
    try {
      return await (this.d.fetch ?? fetch)(new URL(path, this.d.origin), { ...init, headers });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw new OsmoseError('cancelled', 'cancelled', { cause: err });
      throw new OsmoseError('hub-unreachable', 'the hub did not answer', { cause: err });
    }
  }
}

async function errorOf(res: Response): Promise<OsmoseError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
  const code = body?.error?.code;
  const message = typeof body?.error?.message === 'string' ? body.error.message.slice(0, 200) : `hub answered ${res.status}`;
  return new OsmoseError(isErrorCode(code) ? code : 'internal', message);
}
