import type { Response, Request, NextFunction } from 'express';
import { HTTP_STATUS, OsmoseError, toWireError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { log } from '../support/log.ts';

export function sendError(res: Response, err: unknown, retryAfterSeconds?: number): void {
  const wire = toWireError(err);
  if (wire.code === 'internal') log.error('request failed', { error: err instanceof Error ? err.message : String(err) });
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  res.status(HTTP_STATUS[wire.code] ?? 400).json({ v: PROTOCOL_VERSION, error: wire, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
}

/** Express's last error handler: body-parser failures become typed errors, the rest `internal`. */
export function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') return sendError(res, new OsmoseError('too-large', 'request body too large'));
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return sendError(res, new OsmoseError('bad-request', 'request body is not valid JSON'));
  }
  sendError(res, err);
}
