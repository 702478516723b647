/**
 * The hub's file API from the app (paths and bodies in protocol/files.ts), through the one hub
 * client (platform/hub-http.ts): every request carries this device's credential, every answer is
 * validated, failures are OsmoseErrors with the hub's code (`hub-unreachable` without an answer).
 */
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { ChunkStored, FILES_API, FileStatus } from '../../protocol/files.ts';
import type { FileMeta } from '../../protocol/room-doc.ts';
import type { HubHttp } from '../platform/hub-http.ts';

export class HubFiles {
  constructor(private readonly http: HubHttp) {}

  /** What the hub holds of the file; null when it has never heard of it. */
  async status(fileId: string, signal?: AbortSignal): Promise<FileStatus | null> {
    try {
      return await this.http.json(FileStatus, FILES_API.status(fileId), { withCredential: true, signal });
    } catch (err) {
      if (err instanceof OsmoseError && err.code === 'not-found') return null;
      throw err;
    }
  }

  putManifest(meta: FileMeta, signal?: AbortSignal): Promise<FileStatus> {
    return this.http.json(FileStatus, FILES_API.manifest(meta.id), { method: 'PUT', json: { v: PROTOCOL_VERSION, meta }, withCredential: true, signal });
  }

  async putChunk(fileId: string, index: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const stored = await this.http.json(ChunkStored, FILES_API.chunk(fileId, index), { method: 'PUT', bytes: data, withCredential: true, signal });
    if (stored.fileId !== fileId || stored.index !== index) throw new OsmoseError('bad-request', 'the hub stored another chunk than the one sent');
  }

  /** The chunk's bytes, or null when the hub does not have it. */
  getChunk(fileId: string, index: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    return this.http.bytes(FILES_API.chunk(fileId, index), { withCredential: true, signal });
  }
}
