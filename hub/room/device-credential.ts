/**
 * The device credential check for the hub's member APIs (files, gateway): the device id header and
 * `Authorization: Bearer <token>` must be a live credential for that device. An unauthenticated
 * request gets a typed 401 and nothing else, not even a 404. Answers are never cached.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { FILES_API } from '../../protocol/files.ts';
import type { JoinAuth } from './join-auth.ts';
import { sendError } from '../net/http-errors.ts';

export function requireDeviceCredential(auth: JoinAuth): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const token = /^Bearer (\S{1,100})$/.exec(req.get('authorization') ?? '')?.[1];
    try {
      auth.verifyCredential(req.get(FILES_API.deviceHeader), token);
    } catch (err) {
      return sendError(res, err);
    }
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
}
