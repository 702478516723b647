/**
 * Which backend each model runs on. WebGPU only when this device has an adapter AND the model's
 * output on it matched wasm on a fixed input (checked once per model hash and adapter; the verdict
 * is kept in localStorage). Everything else, and every doubt, is wasm. A software adapter
 * (SwiftShader, `isFallbackAdapter`) is checked but not used unless allowed: it is 10-100x slower.
 */
import { findModel, type Backend } from '../../models/registry.ts';
import type { AdapterInfo } from '../../protocol/inference.ts';

export interface Verdict {
  agrees: boolean;
  maxAbsDiff: number;
  tolerance: number;
  adapter: AdapterInfo;
  at: number;
}

/** The part of `Storage` the chooser uses (localStorage, or a Map in tests). */
export interface VerdictStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

interface ChooserDeps {
  probe(): Promise<AdapterInfo | null>;
  compare(model: string): Promise<{ agrees: boolean; maxAbsDiff: number; tolerance: number; adapter: AdapterInfo }>;
  store: VerdictStore | null;
  allowFallbackAdapter: boolean;
}

export function verdictKey(sha256: string, adapter: AdapterInfo): string {
  const a = [adapter.vendor, adapter.architecture, adapter.device, adapter.description, adapter.isFallbackAdapter ? 'fallback' : 'hw'].join('|');
  return `osmose.webgpu-verdict.v1.${sha256}.${a}`;
}

export class BackendChooser {
  private chosen = new Map<string, Promise<Backend>>();
  private verdictsSeen = new Map<string, Verdict & { backend: Backend }>();
  private adapter: Promise<AdapterInfo | null> | null = null;

  constructor(private readonly deps: ChooserDeps) {}

  choose(model: string): Promise<Backend> {
    let p = this.chosen.get(model);
    if (!p) {
      p = this.decide(model);
      this.chosen.set(model, p);
      p.catch(() => this.chosen.delete(model));
    }
    return p;
  }

  known(): Record<string, Verdict & { backend: Backend }> {
    return Object.fromEntries(this.verdictsSeen);
  }

  private async decide(model: string): Promise<Backend> {
    const entry = findModel(model);
    if (!entry || !entry.backends.includes('webgpu')) return 'wasm';
    let adapter: AdapterInfo | null;
    try {
      this.adapter ??= this.deps.probe();
      adapter = await this.adapter;
    } catch {
      this.adapter = null;
      return 'wasm';
    }
    if (!adapter) return 'wasm';
    const key = verdictKey(entry.sha256, adapter);
    let verdict = read(this.deps.store, key);
    if (!verdict) {
      try {
        const c = await this.deps.compare(model);
        verdict = { agrees: c.agrees, maxAbsDiff: c.maxAbsDiff, tolerance: c.tolerance, adapter: c.adapter, at: Date.now() };
      } catch (err) {
        // The check itself failed (timeout, crash): wasm now, and check again next time.
        console.warn(`[osmose] WebGPU check for ${model} failed; using wasm`, err);
        return 'wasm';
      }
      try {
        this.deps.store?.setItem(key, JSON.stringify(verdict));
      } catch {
        // storage full or blocked: the check runs again on the next start
      }
    }
    const backend: Backend = verdict.agrees && (!adapter.isFallbackAdapter || this.deps.allowFallbackAdapter) ? 'webgpu' : 'wasm';
    this.verdictsSeen.set(model, { ...verdict, backend });
    return backend;
  }
}

function read(store: VerdictStore | null, key: string): Verdict | null {
  try {
    const raw = store?.getItem(key);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<Verdict>;
    return typeof v.agrees === 'boolean' && typeof v.maxAbsDiff === 'number' && v.adapter ? (v as Verdict) : null;
  } catch {
    return null;
  }
}
