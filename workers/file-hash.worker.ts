/// <reference lib="webworker" />
/**
 * Whole-file SHA-256 off the main thread. Only wiring: the shared message loop (support/serve.ts)
 * and the running hashes (file-hash/running-hashes.ts).
 */
import { FileHashRequest } from '../protocol/workers.ts';
import { RunningHashes } from './file-hash/running-hashes.ts';
import { serve } from './support/serve.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const hashes = new RunningHashes();
const hooks = __OSMOSE_DIAGNOSTICS__ ? await import('../src/diagnostics/worker-hooks.ts') : null;
serve(scope, FileHashRequest, (req) => ({ message: hashes.handle(req), transfer: [] }), hooks?.crashOnRequest);
