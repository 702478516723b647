/**
 * A phone's page lifecycle, as the room cares about it: backgrounded and back, network back,
 * restored from the back/forward cache, and leaving. Reconnecting on these (rather than on timers
 * alone) is what makes a phone that was in a pocket rejoin at once.
 */
export interface LifecycleHandlers {
  visibility(state: 'visible' | 'hidden'): void;
  /** Network is back or the page is visible again: retry now, not at the next backoff. */
  nudge(): void;
  /** Restored from the back/forward cache: connections were cut while frozen. */
  restored(): void;
  /** Closing or navigating away. */
  leaving(): void;
}

/** What the app does on each (room-app.svelte.ts). */
export interface LifecycleTarget {
  readonly phase: string;
  visibilityChanged(state: 'visible' | 'hidden'): void;
  nudge(): void;
  /** Prove the secret again and restart the links. */
  reconnect(): void;
  /** Save what is queued. */
  flush(): void;
  /** Say bye on the room channel and the mesh. */
  stopLinks(sayBye: boolean): void;
}

export function lifecycleEvents(app: LifecycleTarget): LifecycleHandlers {
  return {
    visibility: (state) => app.visibilityChanged(state),
    nudge: () => app.nudge(),
    restored: () => {
      if (app.phase === 'room') app.reconnect();
    },
    leaving: () => {
      // Tell the room now rather than letting it time out, and save what is queued.
      app.flush();
      if (app.phase === 'room') app.stopLinks(true);
    },
  };
}

/** Listens to the page's lifecycle events; returns the way to stop listening. */
export function listenToLifecycle(h: LifecycleHandlers): () => void {
  const visibility = () => {
    const state = document.visibilityState === 'hidden' ? 'hidden' : 'visible';
    h.visibility(state);
    if (state === 'visible') h.nudge();
  };
  const online = () => h.nudge();
  const pageshow = (e: PageTransitionEvent) => {
    if (e.persisted) h.restored();
  };
  const pagehide = () => h.leaving();
  document.addEventListener('visibilitychange', visibility);
  window.addEventListener('online', online);
  window.addEventListener('pageshow', pageshow);
  window.addEventListener('pagehide', pagehide);
  return () => {
    document.removeEventListener('visibilitychange', visibility);
    window.removeEventListener('online', online);
    window.removeEventListener('pageshow', pageshow);
    window.removeEventListener('pagehide', pagehide);
  };
}

/** Ed25519's first use builds its tables (~40 ms on a phone-class core): do it off the handshake. */
export function warmUpSignatures(sign: () => string, verify: (sig: string) => void): void {
  verify(sign());
}
