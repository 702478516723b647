/** What the hub prints on start: the room, how to join, the CA fingerprint, the QR code. */
import QRCode from 'qrcode';
import type { RoomInfo } from '../../protocol/common.ts';

export interface BannerInput {
  room: RoomInfo;
  joinLinks: { address: string; url: string }[];
  appUrls: string[];
  caFingerprint: string | null;
  httpPort: number;
  /** The join links hold the room secret: print them only to a person at a terminal. */
  showSecret: boolean;
  printQr: boolean;
  /** Problems the operator must act on, shown first. */
  warnings?: string[];
}

function mask(url: string): string {
  return url.replace(/([#&]s=)[^&]+/, '$1<hidden>');
}

export async function renderBanner(b: BannerInput): Promise<string> {
  const lines: string[] = [];
  for (const w of b.warnings ?? []) lines.push('', `  WARNING: ${w}`);
  lines.push('', `  Osmose room "${b.room.name}"${b.room.place ? ` in ${b.room.place}` : ''}  (${b.room.id})`, '');
  if (b.joinLinks.length === 0) lines.push('  No LAN address found: devices cannot reach this hub until it has one.');
  for (const l of b.joinLinks) lines.push(`  Join (scan or open):  ${b.showSecret ? l.url : mask(l.url)}`);
  for (const u of b.appUrls) lines.push(`  App (trusted devices): ${u}`);
  if (!b.showSecret) {
    lines.push('  (The join secret is hidden because output is not a terminal: open /display on this machine.)');
  }
  lines.push(`  Wall display (on this machine): http://localhost:${b.httpPort}/display`);
  if (b.caFingerprint) lines.push(`  Room CA SHA-256: ${b.caFingerprint}`);
  lines.push('');
  if (b.printQr && b.showSecret && b.joinLinks[0]) {
    lines.push(await QRCode.toString(b.joinLinks[0].url, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
  }
  return lines.join('\n');
}
