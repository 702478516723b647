/**
 * The app's gateway API (paths in protocol/gateway.ts `GATEWAY_API`). Every call needs the
 * device's room credential, like the file API: only members make invitations, accept them, end
 * links or read the ledger. Nothing here can write the ledger. Also the invitation landing page.
 */
import express, { type Request, type Response, type Router } from 'express';
import { OsmoseError } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { validateMessage } from '../../protocol/codec.ts';
import { FILES_API } from '../../protocol/files.ts';
import { AcceptRequest, CreateInvitationRequest, EndRequest, GATEWAY_API, GATEWAY_LIMITS, InvitationId, LinkId } from '../../protocol/gateway.ts';
import type { JoinAuth } from '../room/join-auth.ts';
import { normalizeAddress, isLoopbackAddress } from '../net/lan-guard.ts';
import { errorHandler, sendError } from '../net/http-errors.ts';
import { requireDeviceCredential } from '../room/device-credential.ts';
import type { Gateway } from './gateway.ts';

export interface GatewayRouterDeps {
  auth: JoinAuth;
  gateway: Gateway;
  /** The member's display name, from the roster. */
  nameOf: (deviceId: string) => string;
}

const PREFIX = '/api/gateway';

export function gatewayRouter(deps: GatewayRouterDeps): Router {
  const r = express.Router();
  r.use(PREFIX, requireDeviceCredential(deps.auth));
  r.use(PREFIX, express.json({ limit: GATEWAY_LIMITS.apiJsonBytes, strict: true }));
  const device = (req: Request) => req.get(FILES_API.deviceHeader)!;
  const wrap = (fn: (req: Request, res: Response) => Promise<void> | void) => (req: Request, res: Response) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch((err: unknown) => sendError(res, err));
  };

  r.get(GATEWAY_API.state, wrap((_req, res) => void res.json(deps.gateway.state())));

  r.post(
    GATEWAY_API.invitations,
    wrap((req, res) => {
      const body = validateMessage(CreateInvitationRequest, req.body);
      if (!body.ok) throw body.error;
      // The address this device reached the hub on is where the other room will most likely reach it too.
      const local = normalizeAddress(req.socket.localAddress ?? '')?.address ?? null;
      const hint = local && !isLoopbackAddress(local) ? local : null;
      const id = device(req);
      res.json({ v: PROTOCOL_VERSION, invitation: deps.gateway.createInvitation(body.value, { deviceId: id, name: deps.nameOf(id) }, hint) });
    }),
  );

  r.delete(
    '/api/gateway/invitations/:id',
    wrap((req, res) => {
      const id = InvitationId.safeParse(req.params.id);
      if (!id.success) throw new OsmoseError('bad-request', 'not an invitation id');
      deps.gateway.revokeInvitation(id.data);
      res.json({ v: PROTOCOL_VERSION });
    }),
  );

  r.post(
    GATEWAY_API.accept,
    wrap(async (req, res) => {
      const body = validateMessage(AcceptRequest, req.body);
      if (!body.ok) throw body.error;
      res.json({ v: PROTOCOL_VERSION, link: await deps.gateway.accept(body.value.code) });
    }),
  );

  r.post(
    '/api/gateway/links/:id/end',
    wrap((req, res) => {
      const id = LinkId.safeParse(req.params.id);
      const body = validateMessage(EndRequest, req.body ?? {});
      if (!id.success) throw new OsmoseError('bad-request', 'not a link id');
      if (!body.ok) throw body.error;
      deps.gateway.end(id.data, 'ended', `${deps.nameOf(device(req))} ended the connection`);
      res.json({ v: PROTOCOL_VERSION });
    }),
  );

  r.get(
    GATEWAY_API.ledger,
    wrap((req, res) => {
      const limit = Math.min(2000, Math.max(1, Number(req.query.limit ?? 500) || 500));
      res.json({ v: PROTOCOL_VERSION, entries: deps.gateway.ledger.entries(limit), summary: deps.gateway.ledger.summary() });
    }),
  );
  r.use(PREFIX, errorHandler);

  // The invitation URL's landing page. The code is in the fragment: this hub never sees it.
  r.get(GATEWAY_API.invitePage, (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(INVITE_PAGE);
  });
  return r;
}

const INVITE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Invitation to connect rooms · Osmose</title><style>body{font:1.1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}</style></head>
<body><h1>An invitation to connect two rooms</h1>
<p>Someone in an Osmose room invited your room to share something with theirs.</p>
<ol><li>Copy this page's <strong>whole address</strong> (it holds the invitation after the <code>#</code>).</li>
<li>Open <strong>your own room's</strong> Osmose app, choose <em>Connect a room → Accept an invitation</em>, and paste it.</li></ol>
<p>Your room's hub then connects to theirs, shows every device what is shared and until when, and records everything that leaves your room.</p></body></html>`;
