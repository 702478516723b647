/**
 * The hub's gateway API from the app (paths, bodies and answers in protocol/gateway.ts), through
 * the one hub client (platform/hub-http.ts): every request carries this device's credential,
 * every answer and error body is validated; failures are OsmoseErrors with the hub's code, or
 * `hub-unreachable` when there was no answer.
 */
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import {
  GATEWAY_API, GatewayState, InvitationAnswer, LedgerResponse, LinkAnswer, OkAnswer,
  type CreateInvitationRequest, type InvitationView, type LinkView,
} from '../../protocol/gateway.ts';
import type { HubHttp } from '../platform/hub-http.ts';

export class GatewayApi {
  constructor(private readonly http: HubHttp) {}

  state(): Promise<GatewayState> {
    return this.http.json(GatewayState, GATEWAY_API.state, { withCredential: true });
  }

  async createInvitation(req: Omit<CreateInvitationRequest, 'v'>): Promise<InvitationView> {
    return (await this.http.json(InvitationAnswer, GATEWAY_API.invitations, { method: 'POST', json: { v: PROTOCOL_VERSION, ...req }, withCredential: true })).invitation;
  }

  async revoke(id: string): Promise<void> {
    await this.http.json(OkAnswer, GATEWAY_API.invitation(id), { method: 'DELETE', withCredential: true });
  }

  async accept(code: string): Promise<LinkView> {
    return (await this.http.json(LinkAnswer, GATEWAY_API.accept, { method: 'POST', json: { v: PROTOCOL_VERSION, code }, withCredential: true })).link;
  }

  async end(linkId: string): Promise<void> {
    await this.http.json(OkAnswer, GATEWAY_API.end(linkId), { method: 'POST', json: { v: PROTOCOL_VERSION }, withCredential: true });
  }

  ledger(): Promise<LedgerResponse> {
    return this.http.json(LedgerResponse, GATEWAY_API.ledger, { withCredential: true });
  }
}
