// Waiting that an abort cuts short: every timer a toxic sets resolves early (never rejects) when its
// signal aborts, so removing a toxic lets held data go on at once; the drills' timeline and the
// accept phases wait the same way for their next step (Ctrl-C ends the wait, not the process).

/** Resolves after `ms`, or as soon as `signal` aborts (at once when it has, or ms <= 0). */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `signal` aborts (the toxic was removed, or the connection closed). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
