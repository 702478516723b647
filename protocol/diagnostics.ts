/**
 * Messages that exist only in diagnostics builds (tests, benchmarks: `vite build --mode
 * diagnostics`, see src/diagnostics/). A shipped build neither sends nor understands them.
 */
import { z } from 'zod';
import { PROTOCOL_VERSION } from './version.ts';

/**
 * To any worker: throw an uncaught error now, as a crash would, so that tests can check that the
 * app reports it and recovers (src/platform/worker-client.ts). Never answered.
 */
export const CrashRequest = z.object({ t: z.literal('crash'), v: z.literal(PROTOCOL_VERSION), id: z.number().int().min(0) });
export type CrashRequest = z.infer<typeof CrashRequest>;
