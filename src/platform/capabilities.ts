/** What this device can do, as far as the browser will say without asking the user. */
import type { Capabilities } from '../../protocol/common.ts';
import { APP_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';

interface NavigatorExtras {
  gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string }; isFallbackAdapter?: boolean } | null> };
  deviceMemory?: number;
  getBattery?: () => Promise<{ charging: boolean; level: number }>;
}

async function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms))]).catch(() => fallback);
}

export async function detectCapabilities(): Promise<Capabilities> {
  const nav = navigator as Navigator & NavigatorExtras;
  const [webgpu, media, battery] = await Promise.all([
    withTimeout(detectWebGpu(nav), 2000, { available: false }),
    withTimeout(detectMedia(), 2000, { camera: null, microphone: null }),
    withTimeout(nav.getBattery?.().then((b) => ({ charging: b.charging, level: b.level })) ?? Promise.resolve(null), 1000, null),
  ]);
  const memoryGb = typeof nav.deviceMemory === 'number' ? nav.deviceMemory : null;
  return {
    webgpu,
    ...media,
    cores: navigator.hardwareConcurrency || null,
    memoryGb,
    memoryClass: memoryGb === null ? null : memoryGb < 2 ? 'low' : memoryGb < 8 ? 'mid' : 'high',
    battery,
    secureContext: window.isSecureContext,
    app: APP_VERSION,
    protocol: PROTOCOL_VERSION,
  };
}

async function detectWebGpu(nav: NavigatorExtras): Promise<Capabilities['webgpu']> {
  if (!nav.gpu) return { available: false };
  const adapter = await nav.gpu.requestAdapter();
  if (!adapter) return { available: false };
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture || info.description].filter(Boolean).join(' ').slice(0, 120);
  return { available: true, adapter: name || 'unknown', fallback: Boolean(adapter.isFallbackAdapter) };
}

/** Counts devices by kind; labels need permission but kinds do not. */
async function detectMedia(): Promise<{ camera: boolean | null; microphone: boolean | null }> {
  if (!navigator.mediaDevices?.enumerateDevices) return { camera: null, microphone: null };
  const devices = await navigator.mediaDevices.enumerateDevices();
  return { camera: devices.some((d) => d.kind === 'videoinput'), microphone: devices.some((d) => d.kind === 'audioinput') };
}

type BatteryLike = { charging: boolean; level: number; addEventListener(type: string, cb: () => void): void };

/** Calls `cb` when the device is plugged in or unplugged (where the browser tells). */
export function watchBattery(cb: (battery: { charging: boolean; level: number }) => void): void {
  const nav = navigator as Navigator & { getBattery?: () => Promise<BatteryLike> };
  void nav.getBattery?.().then(
    (b) => b.addEventListener('chargingchange', () => cb({ charging: b.charging, level: b.level })),
    () => undefined,
  );
}

/** What a device says before its probes finish: nothing known yet. */
export function unknownCapabilities(): Capabilities {
  return {
    webgpu: { available: false },
    camera: null,
    microphone: null,
    cores: null,
    memoryGb: null,
    memoryClass: null,
    battery: null,
    secureContext: window.isSecureContext,
    app: APP_VERSION,
    protocol: PROTOCOL_VERSION,
  };
}
