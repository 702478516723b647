import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appIsBuilt } from './pages.ts';
import { log } from '../support/log.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCES = ['src', 'protocol', 'workers', 'public', 'models', 'scripts', 'index.html', 'display.html', 'onboarding.html', 'vite.config.ts'];

function newestMtime(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

/** True when the app sources in this checkout changed after the build in `appDir`. */
function buildIsStale(appDir: string): boolean {
  if (!fs.existsSync(path.join(repoRoot, 'src'))) return false; // a deployed build without sources
  const built = fs.statSync(path.join(appDir, 'index.html')).mtimeMs;
  return SOURCES.some((s) => newestMtime(path.join(repoRoot, s)) > built);
}

/**
 * Builds the PWA with vite on first start, or (unless `rebuildStale` is false) when its sources
 * are newer than the build.
 */
export function ensureAppBuilt(appDir: string, rebuildStale = true): void {
  if (appIsBuilt(appDir) && (!rebuildStale || !buildIsStale(appDir))) return;
  log.info('building the app…', { appDir });
  const vite = path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--outDir', appDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0 || !appIsBuilt(appDir)) throw new Error('build: the app did not build; run `npm run build` to see why');
}
