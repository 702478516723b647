/** The WebGPU adapter this worker would use, if any (WebGPU types are not in TypeScript's lib). */
import type { AdapterInfo } from '../../protocol/inference.ts';

interface GpuAdapterLike {
  info?: Partial<AdapterInfo>;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

let cached: Promise<AdapterInfo | null> | null = null;

export function adapterInfo(): Promise<AdapterInfo | null> {
  cached ??= query();
  return cached;
}

async function query(): Promise<AdapterInfo | null> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return {
      vendor: String(info.vendor ?? '').slice(0, 200),
      architecture: String(info.architecture ?? '').slice(0, 200),
      device: String(info.device ?? '').slice(0, 200),
      description: String(info.description ?? '').slice(0, 400),
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
    };
  } catch {
    return null; // WebGPU present but unusable: same as none
  }
}
