/**
 * Onboarding (plain HTTP): where a scanned join link lands. If this device already trusts the
 * room CA, go straight to the HTTPS app; otherwise explain how to trust it, or continue as guest.
 * The join fragment (#r=..&s=..) is carried along client-side and never sent to the server.
 */
import { API, HubInfo } from '../../protocol/hub-api.ts';
import { parseJoinLink, joinFragment } from '../../protocol/join-link.ts';
import { HubHttp } from '../platform/hub-http.ts';
import '../app.css';
import './onboarding.css';

const $ = (id: string) => document.getElementById(id)!;

async function main(): Promise<void> {
  const ticket = parseJoinLink(location.hash);
  const fragment = ticket ? joinFragment(ticket) : '';
  if (location.hash) history.replaceState(null, '', location.pathname);
  const hub = await new HubHttp({ origin: location.origin, fetch: fetch.bind(window) }).json(HubInfo, API.hub);
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
  const secureApp = `https://${host}:${hub.httpsPort}/${ticket ? 'join' : ''}${fragment}`;
  $('room').textContent = hub.room.name + (hub.room.place ? ` — ${hub.room.place}` : '');
  $('fingerprint').textContent = hub.caFingerprint ?? '(this hub uses its own certificate)';
  ($('open-secure') as HTMLAnchorElement).href = secureApp;
  ($('guest') as HTMLAnchorElement).href = `/guest${fragment}`;

  // Does this browser already trust the room CA? A TLS failure is no answer.
  const trusted = await new HubHttp({ origin: `https://${host}:${hub.httpsPort}`, fetch: fetch.bind(window) })
    .json(HubInfo, API.hub, { timeoutMs: 3000 })
    .then(() => true, () => false);
  $('probe').textContent = trusted
    ? ticket
      ? 'This device trusts the room: opening the app…'
      : 'This device already trusts the room: open the app.'
    : 'This device does not trust the room yet: install its certificate below, or continue as a guest.';
  document.body.dataset.trusted = String(trusted);
  if (trusted && ticket) location.replace(secureApp);
}

main().catch((err: Error) => {
  $('probe').textContent = `Could not reach the hub: ${err.message}`;
});
