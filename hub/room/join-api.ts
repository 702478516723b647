/** The join API: public hub facts, single-use challenges, and proof → signaling credential. */
import express, { type Router } from 'express';
import { PROTOCOL_VERSION, APP_VERSION } from '../../protocol/version.ts';
import { API, ChallengeRequest, JoinRequest, type HubInfo, type JoinResponse } from '../../protocol/hub-api.ts';
import { validateMessage } from '../../protocol/codec.ts';
import { OsmoseError } from '../../protocol/errors.ts';
import { LIMITS } from '../../protocol/limits.ts';
import type { RoomInfo } from '../../protocol/common.ts';
import { normalizeAddress } from '../net/lan-guard.ts';
import { SourceLimiter } from '../net/source-key.ts';
import type { JoinAuth } from './join-auth.ts';
import type { HubConfig } from '../config.ts';
import { log } from '../support/log.ts';
import { sendError } from '../net/http-errors.ts';

/**
 * What a source may ask of the join API per minute, counted per address and per IPv6 /64
 * (source-key.ts): a flood from some addresses spends their own budgets, and a device on another
 * address still gets its challenge and its join. One for the hub, both ports together.
 */
export class JoinLimits {
  readonly challenges: SourceLimiter;
  readonly failures: SourceLimiter;

  constructor(config: Pick<HubConfig, 'challengesPerMinute' | 'joinFailuresPerMinute'>) {
    this.challenges = new SourceLimiter(config.challengesPerMinute, 60_000);
    this.failures = new SourceLimiter(config.joinFailuresPerMinute, 60_000);
  }

  /** Sources held (those seen in the last minute or two). */
  get size(): number {
    return this.challenges.size + this.failures.size;
  }
}

export interface ApiDeps {
  config: HubConfig;
  auth: JoinAuth;
  joinLimits: JoinLimits;
  room: () => RoomInfo;
  keyId: () => string;
  caFingerprint: () => string | null;
}

/** `origin` when it is this hub under the same name as `host` (already checked to be ours). */
export function onboardingOrigin(origin: string | undefined, host: string | undefined): string | null {
  if (!origin || !host) return null;
  let o: URL;
  let h: URL;
  try {
    o = new URL(origin);
    h = new URL(`http://${host}`);
  } catch {
    return null;
  }
  if ((o.protocol !== 'http:' && o.protocol !== 'https:') || o.origin !== origin) return null;
  return o.hostname === h.hostname ? origin : null;
}

function clientKey(addr: string | undefined): string {
  return normalizeAddress(addr ?? '')?.address ?? 'unknown';
}

export function apiRouter(deps: ApiDeps): Router {
  const { config, auth } = deps;
  const { challenges, failures } = deps.joinLimits;
  const r = express.Router();
  r.use('/api', express.json({ limit: LIMITS.httpJsonBytes, strict: true }));

  r.get(API.hub, (req, res) => {
    // Public facts only. The onboarding page (plain HTTP) reads them from the HTTPS port to test
    // whether the device trusts the room CA: that origin, the hub's own name on another port, may
    // read them; no other site may (it would learn the room's name and where it is).
    const origin = onboardingOrigin(req.get('origin'), req.get('host'));
    if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
    res.vary('Origin');
    res.setHeader('Cache-Control', 'no-store');
    const info: HubInfo = {
      v: PROTOCOL_VERSION,
      room: deps.room(),
      caFingerprint: deps.caFingerprint(),
      httpPort: config.httpPort,
      httpsPort: config.httpsPort,
      protocol: PROTOCOL_VERSION,
      app: APP_VERSION,
    };
    res.json(info);
  });

  r.post(API.challenge, (req, res) => {
    const from = req.socket.remoteAddress;
    const blocked = failures.blocked(from);
    if (blocked) return sendError(res, new OsmoseError('rate-limited', 'too many failed joins from this address; wait a minute'), blocked.retryAfterSeconds);
    const taken = challenges.take(from);
    if (!taken.ok) return sendError(res, new OsmoseError('rate-limited', 'too many join attempts from this address'), taken.retryAfterSeconds);
    const body = validateMessage(ChallengeRequest, req.body ?? {});
    if (!body.ok) return sendError(res, body.error);
    try {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ v: PROTOCOL_VERSION, ...auth.issueChallenge() });
    } catch (err) {
      sendError(res, err);
    }
  });

  r.post(API.join, (req, res) => {
    const from = req.socket.remoteAddress;
    const who = clientKey(from);
    const blocked = failures.blocked(from);
    if (blocked) return sendError(res, new OsmoseError('rate-limited', 'too many failed joins from this address; wait a minute'), blocked.retryAfterSeconds);
    const body = validateMessage(JoinRequest, req.body);
    if (!body.ok) {
      failures.take(from);
      return sendError(res, body.error);
    }
    try {
      const credential = auth.verifyJoin(body.value);
      const answer: JoinResponse = {
        v: PROTOCOL_VERSION,
        room: deps.room(),
        credential,
        keyId: deps.keyId(),
        iceServers: config.iceServers,
        httpPort: config.httpPort,
        httpsPort: config.httpsPort,
        graceSeconds: config.graceSeconds,
        awaySeconds: 30,
      };
      res.setHeader('Cache-Control', 'no-store');
      log.info('device joined', { device: body.value.deviceId.slice(0, 9), from: who });
      res.json(answer);
    } catch (err) {
      failures.take(from);
      if (err instanceof OsmoseError) log.info('join refused', { code: err.code, from: who });
      sendError(res, err);
    }
  });

  return r;
}
