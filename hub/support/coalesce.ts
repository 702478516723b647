/**
 * Runs `fn` at once, then at most once per `ms` while calls keep coming; the last call always
 * leads to a run. For broadcasts that one member can trigger at will (a roster change reaches
 * every device): a burst of changes costs the room a few frames, not one per change.
 */
export interface Coalesced {
  call: () => void;
  cancel: () => void;
}

/** `ms` may be a function, read after each run (a pace that follows what the last run cost). */
export function coalesce(fn: () => void, ms: number | (() => number), now: () => number = Date.now): Coalesced {
  const interval = typeof ms === 'number' ? () => ms : ms;
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    timer = null;
    last = now();
    fn();
  };
  return {
    call() {
      if (timer) return;
      const wait = last + interval() - now();
      if (wait <= 0) return run();
      timer = setTimeout(run, wait);
      timer.unref?.();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
