/**
 * Draws the app's PNG icons (same design as public/icons/icon.svg) without any image library.
 * Run once: `node --import tsx scripts/make-icons.ts`; the PNGs are committed.
 */
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size: number, maskable: boolean): Buffer {
  const s = size / 64;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const inCircle = (x: number, y: number, cx: number, cy: number, r: number) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0;
    for (let px = 0; px < size; px++) {
      // Maskable icons keep the drawing inside the central safe zone (80%).
      const k = maskable ? 0.8 : 1;
      const x = ((px + 0.5) / s - 32) / k + 32;
      const y = ((py + 0.5) / s - 32) / k + 32;
      const r = 14;
      const inRect = maskable || (Math.max(Math.abs(x - 32) - (32 - r), 0) ** 2 + Math.max(Math.abs(y - 32) - (32 - r), 0) ** 2 <= r * r);
      let rgba = [0, 0, 0, 0];
      if (inRect) rgba = [0x2a, 0x6f, 0xdb, 255];
      const ring = inCircle(x, y, 32, 32, 22) && !inCircle(x, y, 32, 32, 18);
      if (inRect && (ring || inCircle(x, y, 24, 28, 5) || inCircle(x, y, 40, 28, 5) || inCircle(x, y, 32, 41, 5))) rgba = [255, 255, 255, 255];
      raw.set(rgba, py * (size * 4 + 1) + 1 + px * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

writeFileSync('public/icons/icon-192.png', png(192, false));
writeFileSync('public/icons/icon-512.png', png(512, false));
writeFileSync('public/icons/maskable-512.png', png(512, true));
