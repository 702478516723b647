/**
 * Loads onnxruntime-web from the hub's `/ort/` path, once per backend, and points it at its own
 * files there. Never from a CDN, and never from the app bundle: after a vite build, ORT's pthread
 * workers would otherwise load the app's chunk and hang (FIELD-NOTES).
 * The wasm build (`ort.wasm.min.mjs`) is what normally runs; the WebGPU build is imported only
 * when a model is checked or run on WebGPU.
 */
import type * as Ort from 'onnxruntime-web';
import { ORT_ENTRY, ORT_PATH, type Backend } from '../../models/registry.ts';
import { OsmoseError } from '../../protocol/errors.ts';

export type OrtModule = typeof Ort;

export interface OrtConfig {
  origin: string;
  threads: number;
}

/**
 * Threads only when cross-origin isolated (SharedArrayBuffer); at most 4, half the cores. `asked`
 * (diagnostics, benchmarks: the worker's name says `threads=N`) overrides that, up to the cores.
 */
export function threadCount(isolated: boolean, cores: number, asked?: number): number {
  if (!isolated) return 1;
  if (asked !== undefined && Number.isInteger(asked) && asked >= 1) return Math.min(asked, Math.max(1, cores));
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

/** The thread count a worker's name asks for (`… threads=N`), if any. */
export function threadsAsked(name: string): number | undefined {
  const m = /(?:^|\s)threads=(\d{1,2})(?:\s|$)/.exec(name);
  return m ? Number(m[1]) : undefined;
}

const loaded = new Map<Backend, Promise<OrtModule>>();

export function loadOrt(backend: Backend, config: OrtConfig): Promise<OrtModule> {
  let p = loaded.get(backend);
  if (!p) {
    p = importOrt(backend, config);
    loaded.set(backend, p);
    p.catch(() => loaded.delete(backend)); // a failed import may be retried (hub back online)
  }
  return p;
}

async function importOrt(backend: Backend, config: OrtConfig): Promise<OrtModule> {
  const base = new URL(ORT_PATH, config.origin).href;
  let ort: OrtModule;
  try {
    ort = (await import(/* @vite-ignore */ base + ORT_ENTRY[backend])) as OrtModule;
  } catch (err) {
    throw new OsmoseError('model-unavailable', `could not load the inference runtime (${backend}): ${String((err as Error)?.message ?? err).slice(0, 200)}`);
  }
  ort.env.wasm.wasmPaths = base;
  ort.env.wasm.numThreads = config.threads;
  ort.env.wasm.proxy = false; // we are the worker already
  ort.env.logLevel = 'error';
  return ort;
}
