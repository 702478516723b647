/**
 * The hub's copy of the room's files over HTTP (paths in protocol/files.ts `FILES_API`). Every
 * request needs a valid signaling credential for the device that sends it: nothing the hub stores
 * is served or accepted otherwise. Size limits are checked before any body is read.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import path from 'node:path';
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { validateMessage } from '../../protocol/codec.ts';
import { FILE_LIMITS, FILES_API, ManifestBody, type FileStatus } from '../../protocol/files.ts';
import type { JoinAuth } from '../room/join-auth.ts';
import { FileStore, type HubFileStatus } from './file-store.ts';
import { errorHandler, sendError } from '../net/http-errors.ts';
import { requireDeviceCredential } from '../room/device-credential.ts';
import { writeFileAtomic } from '../support/private-files.ts';

export interface FilesRouterDeps {
  auth: JoinAuth;
  /** One store shared by both ports (and by retention). */
  store: FileStore;
}

/** The room's file store in the data folder. */
export function fileStoreFor(dataDir: string): FileStore {
  return new FileStore(path.join(dataDir, 'files'), writeFileAtomic);
}

/** Chunk bytes never change (they are checked against their hash): let the device cache them. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

function wire(s: HubFileStatus): FileStatus {
  return { v: PROTOCOL_VERSION, ...s };
}

function chunkIndex(raw: unknown): number {
  if (typeof raw !== 'string' || !/^\d{1,5}$/.test(raw)) throw new OsmoseError('bad-request', 'not a chunk index');
  return Number(raw);
}

export function filesRouter(deps: FilesRouterDeps): Router {
  const { store } = deps;
  const r = express.Router();
  const manifestJson = express.json({ limit: FILE_LIMITS.manifestBytes, strict: true, type: () => true });

  // Credential first: an unauthenticated request gets nothing, not even a 404 for a file id.
  r.use(FILES_API.prefix, requireDeviceCredential(deps.auth));

  const wrap = (fn: (req: Request, res: Response, next: NextFunction) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res, next).catch((err: unknown) => sendError(res, err));
  };

  r.put(
    '/files/:fileId/manifest',
    (req, res, next) => {
      const len = Number(req.get('content-length') ?? 0);
      if (len > FILE_LIMITS.manifestBytes) return sendError(res, new OsmoseError('too-large', 'manifest too large'));
      manifestJson(req, res, next);
    },
    wrap(async (req, res) => {
      const body = validateMessage(ManifestBody, req.body);
      if (!body.ok) return sendError(res, body.error);
      if (body.value.meta.id !== req.params.fileId) return sendError(res, new OsmoseError('bad-request', 'manifest id does not match the path'));
      res.json(wire(await store.putManifest(body.value.meta)));
    }),
  );

  r.get(
    '/files/:fileId/manifest',
    wrap(async (req, res) => {
      res.json({ v: PROTOCOL_VERSION, meta: await store.requireManifest(String(req.params.fileId)) });
    }),
  );

  r.get(
    '/files/:fileId/status',
    wrap(async (req, res) => {
      res.json(wire(await store.status(String(req.params.fileId))));
    }),
  );

  r.put(
    '/files/:fileId/chunks/:index',
    wrap(async (req, res, next) => {
      const fileId = String(req.params.fileId);
      const index = chunkIndex(req.params.index);
      const expected = store.expectedLength(await store.requireManifest(fileId), index);
      // Refuse an oversized body from its header, before reading a byte of it.
      const declared = req.get('content-length');
      if (declared !== undefined && Number(declared) > expected) throw new OsmoseError('too-large', `chunk ${index} is ${expected} bytes`);
      express.raw({ type: () => true, limit: expected })(req, res, (err?: unknown) => {
        if (err) return next(err);
        const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        store.putChunk(fileId, index, data).then(
          () => res.json({ v: PROTOCOL_VERSION, fileId, index }),
          (e: unknown) => sendError(res, e),
        );
      });
    }),
  );

  r.get(
    '/files/:fileId/chunks/:index',
    wrap(async (req, res) => {
      const data = await store.readChunk(String(req.params.fileId), chunkIndex(req.params.index));
      if (!data) return sendError(res, new OsmoseError('not-found', 'the hub does not have this chunk yet'));
      res.setHeader('Cache-Control', IMMUTABLE);
      res.type('application/octet-stream').send(data);
    }),
  );

  // Body-parser failures (too large, bad JSON) become typed errors here, whatever is mounted after.
  r.use(FILES_API.prefix, errorHandler);
  return r;
}
