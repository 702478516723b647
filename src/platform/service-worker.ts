import { registerSW } from 'virtual:pwa-register';

/** The service worker makes the app open with the hub unreachable. It needs a secure context. */
export function registerServiceWorker(): void {
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return;
  registerSW({
    immediate: true,
    onRegisterError(err: unknown) {
      console.warn('[osmose] service worker registration failed', err);
    },
  });
}
