/**
 * Gateways between rooms (issue 5): invitations, the hub ↔ hub link protocol, and the app's
 * gateway API. A room talks to another room only through a link that one of its members asked
 * for, and only about the items the invitation names (its scope).
 * (~310 lines: the whole gateway wire in one file, as each protocol has its one file here.)
 *
 * Nothing of the room document crosses as a whole: each hub filters at its own boundary and
 * sends item-level frames (a note's text as Yjs updates of a small per-link document, thread
 * messages one by one, a snapshot of the board). See docs/PROTOCOL.md "Gateways".
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';
import { B64u, DisplayName, RoomInfo, WireErrorSchema } from './common.ts';
import { ItemId, TimelineEntry } from './room-doc.ts';
import { OsmoseError } from './errors.ts';

const V = z.literal(PROTOCOL_VERSION);

export const GATEWAY_LIMITS = {
  /** One frame between hubs (a long note's first sync is the largest). */
  frameBytes: 1024 * 1024,
  /** The app's JSON bodies on the gateway API. */
  apiJsonBytes: 8 * 1024,
  /** Longest invitation lifetime a member may choose. */
  maxExpiryMinutes: 30 * 24 * 60,
  /** Message ids in one thread listing. */
  threadIds: 5000,
  boardItems: 500,
  presencePeople: 200,
  labelChars: 120,
  /** First frame from a connecting hub. */
  helloTimeoutMs: 5_000,
  /**
   * What one linked room may make a hub do per link per 10 s, in cost units of about a byte: each
   * frame costs its bytes plus `frameCost`, plus the bytes it makes the hub send back and
   * `writeCost` per durable write it causes (a change stored, a reply recorded). A first sync of a
   * long note, or the catch-up of a long thread, fits easily.
   */
  floodCost: 32 * 1024 * 1024,
  frameCost: 2 * 1024,
  writeCost: 64 * 1024,
  /** Each connection on a link (a TLS handshake, the welcome, the catch-up each side starts). */
  connectCost: 512 * 1024,
  floodWindowMs: 10_000,
} as const;

/** The inter-hub WebSocket path on the inviting hub's HTTPS port. */
export const GATEWAY_PATH = '/gateway';
export const GATEWAY_API = {
  state: '/api/gateway',
  invitations: '/api/gateway/invitations',
  invitation: (id: string) => `/api/gateway/invitations/${encodeURIComponent(id)}`,
  accept: '/api/gateway/accept',
  end: (linkId: string) => `/api/gateway/links/${encodeURIComponent(linkId)}/end`,
  ledger: '/api/gateway/ledger',
  /** Landing page for an invitation URL; the code rides in the fragment. */
  invitePage: '/invite',
} as const;

export const LinkId = z.string().regex(/^l[0-9a-f]{24}$/, 'not a link id');
export const InvitationId = z.string().regex(/^i[0-9a-f]{24}$/, 'not an invitation id');
/** 32 random bytes, base64url: the invitation's one-time token (the hub keeps only its hash). */
export const Token = B64u(43, 43);

export const Scope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('note'), id: ItemId }),
  /** A root message and its direct replies. */
  z.object({ kind: z.literal('thread'), id: ItemId }),
  z.object({ kind: z.literal('board') }),
]);
export type Scope = z.infer<typeof Scope>;
export const Access = z.enum(['read', 'write']);
export type Access = z.infer<typeof Access>;

export function scopeKey(s: Scope): string {
  return s.kind === 'board' ? 'board' : `${s.kind}:${s.id}`;
}
export function sameScope(a: Scope, b: Scope): boolean {
  return scopeKey(a) === scopeKey(b);
}
/** "the note “Plan”, read and write" */
export function describeScope(s: Scope, label: string, access: Access): string {
  const what = s.kind === 'board' ? 'the board' : s.kind === 'note' ? `the note “${label}”` : `the thread “${label}”`;
  return `${what}, ${access === 'write' ? 'read and write' : 'read only'}`;
}

// ---- Invitation code -------------------------------------------------------------------------

/** What the code carries. Only host, port, fingerprint and token matter for security; the rest
 * is shown to the person before they accept and checked against what the inviting hub says. */
export const InvitationPayload = z.object({
  v: V,
  id: InvitationId,
  /** The inviting hub's LAN address (IPv4/IPv6 literal or a DNS name) and HTTPS port. */
  host: z.string().min(1).max(255).regex(/^[0-9A-Za-z.:-]+$/, 'not a host'),
  port: z.number().int().min(1).max(65535),
  /** SHA-256 of the inviting hub's room CA certificate (or of its own certificate), hex. */
  fp: z.string().regex(/^[0-9a-f]{64}$/, 'not a SHA-256 fingerprint'),
  token: Token,
  room: RoomInfo,
  scope: Scope,
  label: z.string().max(GATEWAY_LIMITS.labelChars),
  access: Access,
  expiresAt: z.number().int(),
  multiUse: z.boolean(),
});
export type InvitationPayload = z.infer<typeof InvitationPayload>;

export const CODE_PREFIX = 'osmose-invite1.';
const MAX_CODE_CHARS = 2000;

function b64uFromText(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function textFromB64u(b64u: string): string {
  const bin = atob(b64u.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function invitationCode(p: InvitationPayload): string {
  return CODE_PREFIX + b64uFromText(JSON.stringify(p));
}

/** The URL form: a landing page on the inviting hub; the code is in the fragment, never sent. */
export function invitationUrl(p: InvitationPayload): string {
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  return `https://${host}:${p.port}${GATEWAY_API.invitePage}#${invitationCode(p)}`;
}

/** Accepts the code or the URL (anything around it, e.g. a pasted message, is ignored). Never throws. */
export function parseInvitation(text: unknown): { ok: true; value: InvitationPayload } | { ok: false; error: OsmoseError } {
  const bad = (message: string) => ({ ok: false as const, error: new OsmoseError('invitation-forged', message) });
  if (typeof text !== 'string' || text.length > MAX_CODE_CHARS * 2) return bad('this is not an Osmose invitation');
  const at = text.indexOf(CODE_PREFIX);
  if (at === -1) return bad('this is not an Osmose invitation (it should start with “osmose-invite1.” or be an invitation link)');
  const body = /^[A-Za-z0-9_-]*/.exec(text.slice(at + CODE_PREFIX.length))![0];
  if (!body || body.length > MAX_CODE_CHARS) return bad('this invitation is cut short or damaged; copy it again');
  let json: unknown;
  try {
    json = JSON.parse(textFromB64u(body));
  } catch {
    return bad('this invitation is cut short or damaged; copy it again');
  }
  if (typeof json !== 'object' || json === null || (json as { v?: unknown }).v !== PROTOCOL_VERSION) {
    return { ok: false, error: new OsmoseError('protocol-version', 'this invitation is from another version of Osmose') };
  }
  const parsed = InvitationPayload.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return bad(`this invitation is damaged (${issue?.path.join('.') || 'content'}: ${issue?.message ?? 'invalid'})`);
  }
  return { ok: true, value: parsed.data };
}

/** Colon-separated upper-case fingerprint (as shown on /display) → the code's plain hex. */
export function fingerprintHex(fp: string): string {
  return fp.replace(/:/g, '').toLowerCase();
}

// ---- Hub ↔ hub frames (JSON text over WSS) -----------------------------------------------------

/** Names only (no device ids, no capabilities), held to the same rules as names in the room. */
export const RemotePerson = z.object({ name: DisplayName });
export type RemotePerson = z.infer<typeof RemotePerson>;

export const BoardEntry = z.object({
  id: ItemId,
  kind: z.enum(['message', 'note', 'file']),
  label: z.string().max(GATEWAY_LIMITS.labelChars),
  pinnedAt: z.number().int(),
});
export type BoardEntry = z.infer<typeof BoardEntry>;

export const LinkAuth = z.discriminatedUnion('kind', [
  /** First connection: the invitation's token. */
  z.object({ kind: z.literal('invitation'), token: Token }),
  /** Reconnection: the link's own secret, given in the first welcome. */
  z.object({ kind: z.literal('link'), linkId: LinkId, secret: Token }),
]);

export const GwHello = z.object({ v: V, t: z.literal('hello'), room: RoomInfo, auth: LinkAuth });
export const GwWelcome = z.object({
  v: V,
  t: z.literal('welcome'),
  linkId: LinkId,
  invitationId: InvitationId,
  /** Only on the first connection: what the accepting hub keeps to reconnect. */
  secret: Token.optional(),
  room: RoomInfo,
  scope: Scope,
  label: z.string().max(GATEWAY_LIMITS.labelChars),
  access: Access,
  expiresAt: z.number().int(),
});
/** A y-protocols sync message (step 1, step 2 or update) for the per-link copy of the note. */
export const GwNoteSync = z.object({ v: V, t: z.literal('note-sync'), noteId: ItemId, data: z.string().max(1_400_000).regex(/^[A-Za-z0-9_-]*$/) });
/** The thread messages this side holds (so the other sends only what is missing). */
export const GwThreadHave = z.object({ v: V, t: z.literal('thread-have'), rootId: ItemId, ids: z.array(ItemId).max(GATEWAY_LIMITS.threadIds) });
export const GwMessage = z.object({ v: V, t: z.literal('message'), entry: TimelineEntry });
export const GwBoard = z.object({ v: V, t: z.literal('board'), items: z.array(BoardEntry).max(GATEWAY_LIMITS.boardItems) });
export const GwPresence = z.object({ v: V, t: z.literal('presence'), people: z.array(RemotePerson).max(GATEWAY_LIMITS.presencePeople) });
export const GwPing = z.object({ v: V, t: z.literal('ping'), n: z.number().int() });
export const GwPong = z.object({ v: V, t: z.literal('pong'), n: z.number().int() });
export const EndReason = z.enum(['ended', 'expired', 'violation', 'scope-gone']);
export type EndReason = z.infer<typeof EndReason>;
export const GwEnd = z.object({ v: V, t: z.literal('end'), reason: EndReason, message: z.string().max(300) });
export const GwError = z.object({ v: V, t: z.literal('error'), error: WireErrorSchema });

export const GatewayFrame = z.discriminatedUnion('t', [GwHello, GwWelcome, GwNoteSync, GwThreadHave, GwMessage, GwBoard, GwPresence, GwPing, GwPong, GwEnd, GwError]);
export type GatewayFrame = z.infer<typeof GatewayFrame>;

/** WebSocket close codes on the gateway link. */
export const GW_CLOSE = { refused: 4401, ended: 4410, violation: 4422, replaced: 4409 } as const;

// ---- The app's gateway API ---------------------------------------------------------------------

export const CreateInvitationRequest = z.object({
  v: V,
  scope: Scope,
  access: Access,
  expiresInMinutes: z.number().int().min(1).max(GATEWAY_LIMITS.maxExpiryMinutes),
  multiUse: z.boolean(),
});
export type CreateInvitationRequest = z.infer<typeof CreateInvitationRequest>;
export const AcceptRequest = z.object({ v: V, code: z.string().min(1).max(4000) });
export const EndRequest = z.object({ v: V });

export const InvitationView = z.object({
  id: InvitationId,
  scope: Scope,
  label: z.string(),
  access: Access,
  expiresAt: z.number().int(),
  multiUse: z.boolean(),
  uses: z.number().int(),
  createdByName: z.string(),
  createdAt: z.number().int(),
  /** Only in the answer to the member who created it: the code holds the token. */
  code: z.string().optional(),
  url: z.string().optional(),
});
export type InvitationView = z.infer<typeof InvitationView>;

export const LinkView = z.object({
  id: LinkId,
  role: z.enum(['inviter', 'guest']),
  room: RoomInfo,
  scope: Scope,
  label: z.string(),
  access: Access,
  expiresAt: z.number().int(),
  status: z.enum(['connecting', 'connected', 'reconnecting']),
  /** "This room is connected to FW16: the note “Plan”, read and write, until …" minus the date. */
  banner: z.string(),
  remotePeople: z.array(RemotePerson),
  board: z.array(BoardEntry).optional(),
  lastError: z.string().optional(),
});
export type LinkView = z.infer<typeof LinkView>;

export const EndedLinkView = z.object({ id: LinkId, room: RoomInfo, reason: EndReason, message: z.string(), at: z.number().int() });
export type EndedLinkView = z.infer<typeof EndedLinkView>;

export const LedgerSummary = z.object({ items: z.number().int(), bytes: z.number().int(), entries: z.number().int() });
export type LedgerSummary = z.infer<typeof LedgerSummary>;

export const GatewayState = z.object({
  v: V,
  links: z.array(LinkView),
  invitations: z.array(InvitationView),
  recentlyEnded: z.array(EndedLinkView),
  ledger: LedgerSummary,
});
export type GatewayState = z.infer<typeof GatewayState>;

export const LedgerEntry = z.object({
  id: z.number().int(),
  /** `note:<id>`, `message:<id>`, `board`, `presence`, `link` (handshake, keep-alives, id lists). */
  item: z.string(),
  what: z.string(),
  /** Null: a hello the other hub answered before naming a link (refused), or a refusal this hub sent. */
  linkId: LinkId.nullable(),
  invitationId: z.string().nullable(),
  scope: z.string(),
  /** Null: a refusal of a connection that presented no valid invitation or link. */
  toRoom: RoomInfo.nullable(),
  frames: z.number().int(),
  bytes: z.number().int(),
  firstAt: z.number().int(),
  lastAt: z.number().int(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;
export const LedgerResponse = z.object({ v: V, entries: z.array(LedgerEntry), summary: LedgerSummary });
export type LedgerResponse = z.infer<typeof LedgerResponse>;

/** The answers the app reads from the gateway API besides the state and the ledger. */
export const InvitationAnswer = z.object({ v: V, invitation: InvitationView });
export type InvitationAnswer = z.infer<typeof InvitationAnswer>;
export const LinkAnswer = z.object({ v: V, link: LinkView });
export type LinkAnswer = z.infer<typeof LinkAnswer>;
/** Withdraw an invitation, end a link: done. */
export const OkAnswer = z.object({ v: V });
export type OkAnswer = z.infer<typeof OkAnswer>;


/** "This room is connected to FW16: the note “Plan”, read only, until 14:05" (the date is local). */
export function bannerText(room: string, scope: Scope, label: string, access: Access): string {
  return `This room is connected to ${room}: ${describeScope(scope, label, access)}`;
}

/** What /display shows: the banners, remote people, and the ledger's count. */
export const GatewayDisplay = z.object({
  links: z.array(z.object({ banner: z.string(), expiresAt: z.number().int(), status: LinkView.shape.status, room: z.string(), remotePeople: z.array(RemotePerson) })),
  ledger: LedgerSummary,
});
export type GatewayDisplay = z.infer<typeof GatewayDisplay>;
