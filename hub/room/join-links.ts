/**
 * The room's join links, one per LAN address of the hub (loopback when it has none): what the QR
 * code holds (banner, /display). The room's secret is in the fragment, which browsers never send.
 */
import { joinUrl } from '../../protocol/join-link.ts';
import { hostForUrl, lanAddresses } from '../net/lan-addresses.ts';

export interface JoinLink {
  address: string;
  url: string;
}

export function joinLinks(httpPort: number, roomId: string, secret: string): JoinLink[] {
  const addrs = lanAddresses();
  return (addrs.length ? addrs : ['127.0.0.1']).map((a) => ({ address: a, url: joinUrl(`http://${hostForUrl(a)}:${httpPort}`, { roomId, secret }) }));
}

/** Where trusted devices (the room CA installed) open the app. */
export function appUrls(httpsPort: number): string[] {
  const addrs = lanAddresses();
  return (addrs.length ? addrs : ['127.0.0.1']).map((a) => `https://${hostForUrl(a)}:${httpsPort}/`);
}
