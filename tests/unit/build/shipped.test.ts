/**
 * The app as people run it carries no diagnostics: `vite build` (what `npm run build` and
 * `npm start` make) is grepped for every handle and hook in src/diagnostics/. The same names are
 * looked for in a diagnostics build (`--mode diagnostics`, what tests and benchmarks drive), so
 * that the grep is known to find them when they are there.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../../e2e/support/env.ts';

/** What only diagnostics builds may contain (window handles, their methods, worker hooks). */
const DIAGNOSTICS = [
  /\bosmoseInference\b/, // window.osmoseInference
  /\bosmoseFiles\b/, // window.osmoseFiles
  /\bosmoseVision\b/, // window.osmoseVision
  /\bmatchFaces\b/,
  /[{,]\s*"?osmose"?\s*:/, // window.osmose, as the key it is installed under
  /\bcorruptNextChunks\b/,
  /\bcrashWorker\b/,
  /\bworkersStarted\b/,
  /crash requested \(diagnostics\)/, // the workers' crash hook
  /allow-fallback-adapter/,
  /\bpingPeer\b/,
];

const dirs: Record<'shipped' | 'diagnostics', string> = { shipped: '', diagnostics: '' };

function build(mode: 'shipped' | 'diagnostics'): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `osmose-build-${mode}-`));
  const args = [path.join(REPO, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error', ...(mode === 'diagnostics' ? ['--mode', 'diagnostics'] : [])];
  const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vite build (${mode}) failed:\n${r.stderr}`);
  return out;
}

/** Every JavaScript file the build ships (the app, its workers, the service worker). */
function scripts(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'models' && e.name !== 'ort') walk(p);
      } else if (/\.(js|mjs|html)$/.test(e.name)) out.push({ file: path.relative(dir, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  dirs.shipped = build('shipped');
  dirs.diagnostics = build('diagnostics');
}, 300_000);

afterAll(() => {
  for (const d of Object.values(dirs)) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('the shipped build', () => {
  it('contains none of the diagnostics handles or hooks', () => {
    const found = scripts(dirs.shipped).flatMap(({ file, text }) => DIAGNOSTICS.filter((re) => re.test(text)).map((re) => `${re} in ${file}`));
    expect(found).toEqual([]);
  });

  it('while a diagnostics build contains every one of them (the grep finds what is there)', () => {
    const all = scripts(dirs.diagnostics).map((s) => s.text).join('\n');
    expect(DIAGNOSTICS.filter((re) => !re.test(all))).toEqual([]);
  });
});
