/// <reference lib="webworker" />
/**
 * Whole-file SHA-256 off the main thread. Only wiring: the shared message loop (support/serve.ts)
 * and the running hashes (file-hash/running-hashes.ts).
 */
import { FileHashRequest } from '../protocol/workers.ts';
import { RunningHashes } from './file-hash/running-hashes.ts';
import { diagnosticsHook, serve } from './support/serve.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const hashes = new RunningHashes();
serve(scope, FileHashRequest, async (req) => ({ message: await hashes.handle(req), transfer: [] }), diagnosticsHook());
