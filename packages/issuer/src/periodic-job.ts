// One job of the portal process run on a timer: now, then every `intervalMs`, one run at a
// time (a run asked for while one is going is that run), the timer never keeping the process
// alive; stop waits for the run in progress. The retention job and the auto-renew job use it.

export interface PeriodicJob<T> {
  /** Runs once now (the timer keeps going); resolves when the run ends. */
  runOnce(): Promise<T>;
  stop(): Promise<void>;
}

export function startPeriodicJob<T>(
  run: () => Promise<T>,
  intervalMs: number,
  onRun?: (result: T | Error) => void,
): PeriodicJob<T> {
  let running: Promise<T> | null = null;
  let stopped = false;
  const runOnce = (): Promise<T> => {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
  const tick = () => {
    if (stopped) return;
    runOnce().then(
      (result) => onRun?.(result),
      (error: unknown) => onRun?.(error as Error),
    );
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  setImmediate(tick);
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
