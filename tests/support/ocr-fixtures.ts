/**
 * Photos of text for the OCR tests and benchmark (Node only), rendered by headless Chromium
 * (Debian's, as for the browser tests) from a recipe: the text, its font and size, colours, a
 * background, a tilt or perspective, blur, seeded sensor noise, PNG or JPEG. Fonts are Debian's
 * (fonts-dejavu-core, fonts-liberation, fonts-comic-neue; scripts/install-system-deps.sh installs
 * them). Each file's name carries a hash of its recipe, of Chromium's version and of the font
 * packages' versions, so a folder can be reused across runs: a file is rendered only when missing.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { CHROMIUM_ARGS } from '../e2e/support/env.ts';

export interface TextPhoto {
  name: string;
  /** The text, line by line, in reading order. */
  lines: readonly string[];
  /** CSS font-family (a Debian font) and weight. */
  font: string;
  weight?: number;
  /** Font size in CSS pixels (the file has `scale` device pixels per CSS pixel). */
  sizePx: number;
  lineHeight?: number;
  /** Text colour per line (cycled), CSS. */
  colors: readonly string[];
  /** Behind the text: CSS background of the sheet or board. */
  background: string;
  /** Around the sheet or board (a wall), or null when the sheet fills the frame. */
  surround: string | null;
  /** Frame in CSS pixels, and device pixels per CSS pixel. */
  width: number;
  height: number;
  scale: number;
  /** CSS transform of the sheet: a tilt, a perspective. */
  transform?: string;
  blurPx?: number;
  /** Seeded per-pixel noise: how far (0-255) a pixel may move towards a random grey. */
  noise?: number;
  format: 'png' | 'jpeg';
  quality?: number;
}

/** Font packages whose versions are part of every file's hash. */
const FONT_PACKAGES = ['fonts-dejavu-core', 'fonts-liberation', 'fonts-comic-neue'];
export const CHROMIUM = process.env.OSMOSE_CHROMIUM ?? '/usr/bin/chromium';

/** What is missing to render the photos (Chromium, a font package), for a clear message. */
export function ocrToolsMissing(): string[] {
  const missing = fs.existsSync(CHROMIUM) ? [] : ['chromium'];
  for (const p of FONT_PACKAGES) if (!packageVersion(p)) missing.push(p);
  return missing;
}

function packageVersion(pkg: string): string | null {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

function pageHtml(r: TextPhoto): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  // An empty line is a blank line on the sheet.
  const lines = r.lines.map((l, i) => `<div style="color:${r.colors[i % r.colors.length]}">${l ? esc(l) : '&nbsp;'}</div>`).join('');
  const inset = r.surround ? '5%' : '0';
  return `<!doctype html><html><head><style>
    html, body { margin: 0; width: ${r.width}px; height: ${r.height}px; overflow: hidden; background: ${r.surround ?? r.background}; }
    #sheet { position: absolute; inset: ${inset}; background: ${r.background}; transform: ${r.transform ?? 'none'};
      box-shadow: ${r.surround ? '0 0 0 14px #8d8d8d' : 'none'}; padding: 4% 5%; box-sizing: border-box;
      font-family: '${r.font}'; font-weight: ${r.weight ?? 400}; font-size: ${r.sizePx}px; line-height: ${r.lineHeight ?? 1.45};
      filter: ${r.blurPx ? `blur(${r.blurPx}px)` : 'none'}; white-space: pre; }
    #noise { position: absolute; inset: 0; width: 100%; height: 100%; }
  </style></head><body><div id="sheet">${lines}</div><canvas id="noise"></canvas></body></html>`;
}

/** Seeded noise drawn over the page, one value per device pixel. */
function drawNoise({ w, h, amount, seed }: { w: number; h: number; amount: number; seed: number }): void {
  const canvas = document.getElementById('noise') as HTMLCanvasElement;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  let a = seed >>> 0;
  for (let i = 0; i < img.data.length; i += 4) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    const grey = a >>> 24;
    img.data[i] = img.data[i + 1] = img.data[i + 2] = grey;
    img.data[i + 3] = ((a >>> 8) & 0xff) % (amount + 1);
  }
  ctx.putImageData(img, 0, 0);
}

let versions: string | null = null;

function fileFor(dir: string, r: TextPhoto, chromiumVersion: string): string {
  versions ??= FONT_PACKAGES.map((p) => `${p}=${packageVersion(p)}`).join('|');
  const hash = crypto.createHash('sha256').update(JSON.stringify(r) + versions + chromiumVersion).digest('hex').slice(0, 12);
  return path.join(dir, `${r.name}-${hash}.${r.format === 'png' ? 'png' : 'jpg'}`);
}

function chromiumVersion(): string {
  // Debian's launcher script complains on stderr about its own environment checks: ignored.
  return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** Renders (or finds) each photo in `dir`; returns their files in the same order. */
export async function renderPhotos(dir: string, recipes: readonly TextPhoto[]): Promise<string[]> {
  const missing = ocrToolsMissing();
  if (missing.length) throw new Error(`OCR fixtures need ${missing.join(', ')} (apt-get install chromium ${FONT_PACKAGES.join(' ')}; see scripts/install-system-deps.sh)`);
  const version = chromiumVersion();
  const files = recipes.map((r) => fileFor(dir, r, version));
  const todo = recipes.filter((_, i) => !fs.existsSync(files[i]!));
  if (!todo.length) return files;
  fs.mkdirSync(dir, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    for (const r of todo) {
      const context = await browser.newContext({ viewport: { width: r.width, height: r.height }, deviceScaleFactor: r.scale });
      // Functions compiled by tsx/vite may call esbuild's `__name` helper, absent in the page.
      await context.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
      const page = await context.newPage();
      await page.setContent(pageHtml(r));
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      if (r.noise) await page.evaluate(drawNoise, { w: r.width * r.scale, h: r.height * r.scale, amount: r.noise, seed: 7 });
      const file = files[recipes.indexOf(r)]!;
      const tmp = `${file}.${process.pid}.tmp`;
      await page.screenshot({ path: tmp, type: r.format, quality: r.format === 'jpeg' ? (r.quality ?? 85) : undefined, animations: 'disabled', caret: 'hide' });
      fs.renameSync(tmp, file);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return files;
}

/** A PNG or JPEG file as RGBA pixels (pure JS decoders; the browser decodes for itself). */
export function readPhoto(file: string): { width: number; height: number; data: Uint8Array } {
  const bytes = fs.readFileSync(file);
  if (file.endsWith('.png')) {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  }
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
  return { width: img.width, height: img.height, data: img.data };
}
