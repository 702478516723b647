/**
 * The join link: `<hub>/join#r=<roomId>&s=<secret>`. The secret rides in the fragment, which a
 * browser never sends to a server; the app moves it to IndexedDB and clears the address bar.
 */
import { isRoomSecret } from './crypto.ts';
import { RoomId } from './common.ts';

export interface JoinTicket {
  roomId: string;
  secret: string;
}

export function joinFragment(t: JoinTicket): string {
  return `#r=${t.roomId}&s=${t.secret}`;
}

export function joinUrl(origin: string, t: JoinTicket): string {
  return `${origin}/join${joinFragment(t)}`;
}

/** Parses a fragment (`#r=..&s=..`) or a whole URL; null when it is not a join link. */
export function parseJoinLink(text: string): JoinTicket | null {
  if (text.length > 2048) return null;
  const hash = text.includes('#') ? text.slice(text.indexOf('#') + 1) : '';
  const params = new URLSearchParams(hash);
  const roomId = params.get('r');
  const secret = params.get('s');
  if (!roomId || !RoomId.safeParse(roomId).success || !isRoomSecret(secret)) return null;
  return { roomId, secret };
}
