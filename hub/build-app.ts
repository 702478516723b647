import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appIsBuilt } from './routes/pages.ts';
import { log } from './log.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the PWA with vite when the app folder has no build yet (first start). */
export function ensureAppBuilt(appDir: string): void {
  if (appIsBuilt(appDir)) return;
  log.info('building the app (first start)…', { appDir });
  const vite = path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--outDir', appDir, '--emptyOutDir'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0 || !appIsBuilt(appDir)) throw new Error('build: the app did not build; run `npm run build` to see why');
}
