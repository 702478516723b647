import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The app the browser tests drive: the diagnostics build (`vite build --mode diagnostics`). */
export const APP_DIR = path.join(REPO, 'dist-diagnostics');
/** Scratch space for one run (separate runs, e.g. tests and benchmarks, can set their own). */
export const E2E_TMP = process.env.OSMOSE_E2E_TMP ?? path.join(REPO, '.tmp', 'e2e');
/** HOME for Chromium: its NSS database trusts the shared test room CA. */
export const TEST_HOME = path.join(E2E_TMP, 'home');
/** A room CA made once per run and copied into every test hub's data folder. */
export const CA_TEMPLATE = path.join(E2E_TMP, 'ca-template');
/** The hub's LAN address inside the test namespace. */
export const HUB_IP = process.env.OSMOSE_TEST_IP ?? '10.99.0.1';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];
