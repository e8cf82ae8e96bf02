// Timers that cannot overflow: Node's setTimeout fires at once for a delay above 2^31-1 ms (~24.8 days).

/** Milliseconds on this host's wall clock with sub-millisecond resolution (Date.now() is whole milliseconds). */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

/** The longest delay setTimeout honours, in milliseconds (a signed 32-bit int; above it Node uses 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;
/** The same bound in whole seconds, for config fields and request fields given in seconds. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/**
 * Calls `fn` once `at` (epoch ms by `now`) has come, however far away it is: a delay above MAX_TIMER_MS is waited
 * out in steps. Returns a function that cancels it.
 */
export function setTimerAt(at: number, fn: () => void, now: () => number = Date.now): () => void {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = () => {
    const delay = Math.max(0, at - now());
    timer = setTimeout(() => {
      if (cancelled) return;
      if (now() < at) arm();
      else fn();
    }, Math.min(delay, MAX_TIMER_MS));
  };
  arm();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
