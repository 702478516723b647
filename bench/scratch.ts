/**
 * Imported first by bench/run.ts, before anything reads tests/e2e/support/env.ts: the benchmarks
 * keep their scratch space (room CA, NSS db, hub data) apart from a browser-test run's, so the
 * two can run at the same time without wiping each other's files.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.OSMOSE_E2E_TMP ??= path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '.tmp', 'bench');
