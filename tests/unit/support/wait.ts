/**
 * `vi.waitFor` with a deadline fit for a shared 2-core machine: the default (1 s) fails tests
 * under load that are about what happens, not how fast. Speed is measured in bench/, never here.
 */
import { vi } from 'vitest';

export function waitFor<T>(callback: () => T | Promise<T>, options: { timeout?: number; interval?: number } = {}): Promise<T> {
  return vi.waitFor(callback, { timeout: 20_000, interval: 20, ...options });
}
