/**
 * Fake cameras: Y4M files, what Chromium's --use-file-for-fake-video-capture plays in a loop.
 * One shows a QR code (written straight from the QR module matrix); one shows a photo (made with
 * Debian's ffmpeg, which scripts/install-system-deps.sh installs).
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import QRCode from 'qrcode';

export function writeQrY4m(file: string, text: string, width = 640, height = 480): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  const scale = Math.floor(Math.min(width, height) * 0.85 / (n + 2 * quiet));
  const side = (n + 2 * quiet) * scale;
  const x0 = Math.floor((width - side) / 2);
  const y0 = Math.floor((height - side) / 2);
  const y = Buffer.alloc(width * height, 90); // grey background around a white card
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      const mx = Math.floor(px / scale) - quiet;
      const my = Math.floor(py / scale) - quiet;
      const dark = mx >= 0 && my >= 0 && mx < n && my < n && qr.modules.get(my, mx) === 1;
      y[(y0 + py) * width + x0 + px] = dark ? 16 : 235;
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  fs.writeFileSync(file, Buffer.concat([header, frame, frame, frame]));
}

/** Why photo cameras cannot be made here ('' when ffmpeg is installed). */
export function ffmpegMissing(): string {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return '';
  } catch {
    return 'ffmpeg is not installed (scripts/install-system-deps.sh installs it)';
  }
}

/**
 * A fake camera showing `photo` (any image ffmpeg reads), or a part of it (`crop`, photo pixels)
 * made brighter (`light`): scaled to fit width x height, black
 * bars around it, `seconds` of 4:2:0 video at `fps`. The file lands in `dir`, named after its
 * recipe, and is made only when missing. Returns its path.
 */
export function writePhotoY4m(
  dir: string,
  photo: string,
  opts: { width?: number; height?: number; seconds?: number; fps?: number; crop?: { x: number; y: number; w: number; h: number }; light?: number } = {},
): string {
  const { width = 320, height = 240, seconds = 1, fps = 10, crop, light = 1 } = opts;
  const recipe = JSON.stringify({ photo: path.resolve(photo), size: fs.statSync(photo).size, width, height, seconds, fps, crop, light });
  const file = path.join(dir, `camera-${path.basename(photo).replace(/\W+/g, '-')}-${crypto.createHash('sha256').update(recipe).digest('hex').slice(0, 12)}.y4m`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp.y4m`;
  // A part of the photo (crop), brighter or darker (each colour times `light`, clipped), fitted.
  const filters = [
    ...(crop ? [`crop=${Math.round(crop.w)}:${Math.round(crop.h)}:${Math.round(crop.x)}:${Math.round(crop.y)}`] : []),
    ...(light !== 1 ? [`colorchannelmixer=rr=${light}:gg=${light}:bb=${light}`] : []),
    `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1`,
  ];
  const fit = filters.join(',');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', photo, '-vf', fit, '-t', String(seconds), '-r', String(fps), '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.renameSync(tmp, file);
  return file;
}
