/** One Express app per port (HTTPS app, HTTP onboarding/guest), sharing the same services. */
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { OsmoseError } from '../../protocol/errors.ts';
import { isLanAddress } from './lan-guard.ts';
import { requestHostAllowed, WRONG_HOST_MESSAGE, type KnownHosts } from './host-guard.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { securityHeaders } from './security-headers.ts';
import { apiRouter, type ApiDeps } from '../room/join-api.ts';
import { displayRouter, type DisplayDeps } from '../display/routes.ts';
import { pagesRouter, type PageDeps } from '../pages/pages.ts';
import { errorHandler, sendError } from './http-errors.ts';
import type { Router } from 'express';

export const NOT_LAN_MESSAGE = 'Osmose hub: only devices on this room\'s local network may connect.\n';

/** Refuses any request whose socket address is outside loopback, private and link-local ranges. */
export function lanOnly(req: Request, res: Response, next: NextFunction): void {
  if (isLanAddress(req.socket.remoteAddress)) return next();
  res.status(403).type('text/plain').send(NOT_LAN_MESSAGE);
}

/** Refuses (421) a request whose Host is not one of the hub's names or addresses: DNS rebinding. */
export function ownHostOnly(hosts: KnownHosts) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (requestHostAllowed(hosts, req)) return next();
    res.status(421).json({ v: PROTOCOL_VERSION, error: { code: 'wrong-host', message: WRONG_HOST_MESSAGE } });
  };
}

export interface AppDeps extends ApiDeps, Omit<DisplayDeps, 'appDir'>, Omit<PageDeps, 'appDir' | 'secure'> {
  /** The room's files at the hub (one router, shared by both ports). */
  files: Router;
  /** Links to other rooms: the app's gateway API and the invitation page. */
  gateway: Router;
  /** The names and addresses the hub answers to (checked before anything else). */
  hosts: KnownHosts;
}

export function createHttpApp(deps: AppDeps, secure: boolean): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('etag', 'strong');
  app.use(lanOnly);
  app.use(ownHostOnly(deps.hosts));
  app.use(
    securityHeaders((req) => {
      // The onboarding page (plain HTTP) probes the HTTPS app to see whether the CA is trusted.
      if (secure || !/^[A-Za-z0-9.:[\]-]{1,255}$/.test(req.hostname)) return [];
      return [`https://${req.hostname.includes(':') ? `[${req.hostname}]` : req.hostname}:${deps.config.httpsPort}`];
    }, (req) => !(req.path === '/' || req.path === '/join' || req.path === '/onboarding') || secure),
  );
  const appDir = deps.config.appDir;
  app.use(deps.files);
  app.use(deps.gateway);
  app.use(apiRouter(deps));
  app.use(displayRouter({ ...deps, appDir }));
  app.use(pagesRouter({ ...deps, appDir, secure }));
  app.all('/api/{*rest}', (_req, res) => sendError(res, new OsmoseError('not-found', 'no such API')));
  app.use((_req, res) => res.status(404).type('text/plain').send('Not found\n'));
  app.use(errorHandler);
  return app;
}
