/**
 * The hub's gateway API from the app (paths and bodies in protocol/gateway.ts). Every request
 * carries this device's room credential. Answers are validated; failures become OsmoseErrors
 * with the hub's code, or `hub-unreachable` when there was no answer.
 */
import { z } from 'zod';
import { OsmoseError, isErrorCode } from '../../protocol/errors.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { validateMessage } from '../../protocol/codec.ts';
import { FILES_API } from '../../protocol/files.ts';
import { GATEWAY_API, GatewayState, InvitationView, LedgerResponse, LinkView, type CreateInvitationRequest } from '../../protocol/gateway.ts';

export interface GatewayApiDeps {
  origin: string;
  credential: () => Promise<{ peerId: string; token: string }>;
  fetch?: typeof fetch;
}

const V = z.literal(PROTOCOL_VERSION);
const InvitationAnswer = z.object({ v: V, invitation: InvitationView });
const LinkAnswer = z.object({ v: V, link: LinkView });
const Ok = z.object({ v: V });

export class GatewayApi {
  constructor(private readonly d: GatewayApiDeps) {}

  state(): Promise<GatewayState> {
    return this.call(GatewayState, GATEWAY_API.state, 'GET');
  }

  async createInvitation(req: Omit<CreateInvitationRequest, 'v'>): Promise<InvitationView> {
    return (await this.call(InvitationAnswer, GATEWAY_API.invitations, 'POST', { v: PROTOCOL_VERSION, ...req })).invitation;
  }

  async revoke(id: string): Promise<void> {
    await this.call(Ok, GATEWAY_API.invitation(id), 'DELETE');
  }

  async accept(code: string): Promise<LinkView> {
    return (await this.call(LinkAnswer, GATEWAY_API.accept, 'POST', { v: PROTOCOL_VERSION, code })).link;
  }

  async end(linkId: string): Promise<void> {
    await this.call(Ok, GATEWAY_API.end(linkId), 'POST', { v: PROTOCOL_VERSION });
  }

  ledger(): Promise<z.infer<typeof LedgerResponse>> {
    return this.call(LedgerResponse, GATEWAY_API.ledger, 'GET');
  }

  private async call<S extends z.ZodType>(schema: S, path: string, method: string, body?: unknown): Promise<z.infer<S>> {
    const { peerId, token } = await this.d.credential();
    let res: Response;
    try {
      res = await (this.d.fetch ?? fetch)(this.d.origin + path, {
        method,
        cache: 'no-store',
        headers: { authorization: `Bearer ${token}`, [FILES_API.deviceHeader]: peerId, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new OsmoseError('hub-unreachable', 'the hub is not answering');
    }
    let json: unknown = null;
    try {
      json = await res.json();
    } catch {
      // not JSON: handled below
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      throw new OsmoseError(isErrorCode(e?.code) ? e.code : 'internal', typeof e?.message === 'string' ? e.message.slice(0, 300) : `the hub answered ${res.status}`);
    }
    const checked = validateMessage(schema, json);
    if (!checked.ok) throw checked.error;
    return checked.value;
  }
}
