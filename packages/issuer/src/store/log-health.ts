// The store's write-ahead log as an operator watches it: what `logHealth()` answers on each
// adapter, the Prometheus series both services show from it (names and help text kept here, once),
// and the watch that logs a failed checkpoint or a stopped checkpoint thread once, not at every
// look. On SQLite a checkpoint copies the log (licensor.db-wal) into the database file; one that
// fails (a full disk, an I/O error) leaves the log growing, which no request fails on and nothing
// else shows (store/sqlite/checkpointer.ts).

/** A checkpoint's failure, or the checkpoint thread's death: SQLite's (or the OS's) code and message. */
export interface LogFault {
  readonly code: string;
  readonly message: string;
  /** When it happened (ms since the epoch). */
  readonly at: number;
}

/** The SQLite store's log and its checkpoints, since this process opened the store. */
export interface SqliteLogHealth {
  readonly kind: 'sqlite';
  /**
   * `running`: the checkpoint thread watches the log; `restarting`: it stopped on its own and is
   * started again after a wait (the store's connections checkpoint in their commits meanwhile, at
   * the 10,000-frame backstop or SQLite's 1,000); `off`: the store was opened without it
   * (LICENSOR_SQLITE_CHECKPOINT_THREAD=off): checkpoints run in the commits, and SQLite reports
   * none of their failures, so the counts below stay 0; `closed`: the store is closed.
   */
  readonly checkpointThread: 'running' | 'restarting' | 'off' | 'closed';
  /** Checkpoints the thread ran. */
  readonly checkpoints: number;
  /** Checkpoints the thread tried that failed (tried again a second later). */
  readonly checkpointFailures: number;
  readonly lastFailure: LogFault | null;
  /** Times the thread stopped on its own (each time started again). */
  readonly threadDeaths: number;
  readonly lastThreadDeath: LogFault | null;
  /**
   * Size of the log file in bytes (0: none). SQLite writes it again from its start once a
   * checkpoint has copied all of it, so it does not shrink: its largest size since it was made.
   */
  readonly walBytes: number;
  /**
   * Frames in the log not yet copied into the database file (the wal-index header in -shm);
   * null when it could not be read at this moment (a writer changing it) or there is no -shm.
   */
  readonly framesWaiting: number | null;
}

/** MongoDB: the server keeps and checkpoints its own journal; the store has no log to watch. */
export interface ServerManagedLog {
  readonly kind: 'server-managed';
}

export type LogHealth = SqliteLogHealth | ServerManagedLog;

/** One Prometheus series made from a SQLite store's log health. */
export interface LogHealthMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  /** Its value now; null: unknown at this moment (keep the last). */
  read(health: SqliteLogHealth): number | null;
}

const WHILE_FAILING =
  'While checkpoints fail the log grows: free disk space, check the file system (see the warn log for the cause).';

const THREAD_METRICS: readonly LogHealthMetric[] = [
  {
    name: 'licensor_store_checkpoints_total',
    help: "Checkpoints of the SQLite store's log run by its checkpoint thread (the log copied into the database file).",
    type: 'counter',
    read: (health) => health.checkpoints,
  },
  {
    name: 'licensor_store_checkpoint_failures_total',
    help: `Checkpoints of the SQLite store's log that failed (a full disk, an I/O error). ${WHILE_FAILING}`,
    type: 'counter',
    read: (health) => health.checkpointFailures,
  },
  {
    name: 'licensor_store_checkpoint_last_failure_timestamp_seconds',
    help: 'When the last checkpoint of the SQLite store failed (Unix time; 0: none since the process started).',
    type: 'gauge',
    read: (health) => (health.lastFailure === null ? 0 : health.lastFailure.at / 1000),
  },
  {
    name: 'licensor_store_checkpoint_thread_up',
    help: "1 while the SQLite store's checkpoint thread runs; 0 while it is restarted after stopping on its own (or the store is closed).",
    type: 'gauge',
    read: (health) => (health.checkpointThread === 'running' ? 1 : 0),
  },
  {
    name: 'licensor_store_checkpoint_thread_deaths_total',
    help: "Times the SQLite store's checkpoint thread stopped on its own (each time started again after 1 s, doubling to 60 s).",
    type: 'counter',
    read: (health) => health.threadDeaths,
  },
];

const LOG_METRICS: readonly LogHealthMetric[] = [
  {
    name: 'licensor_store_wal_bytes',
    help: "Size of the SQLite store's log file (licensor.db-wal), its largest since it was made: it is reused, not shrunk.",
    type: 'gauge',
    read: (health) => health.walBytes,
  },
  {
    name: 'licensor_store_wal_frames_waiting',
    help: "Pages (frames) in the SQLite store's log not yet copied into the database file; the thread copies them from 500, the store's commits from 10,000.",
    type: 'gauge',
    read: (health) => health.framesWaiting,
  },
];

/**
 * The series that apply to a store whose log health is `health`: none on MongoDB (nothing of
 * ours to checkpoint: no series rather than zeros), the log's size alone when the SQLite store
 * runs no checkpoint thread, all of them otherwise.
 */
export function logHealthMetrics(health: LogHealth): readonly LogHealthMetric[] {
  if (health.kind !== 'sqlite') return [];
  return health.checkpointThread === 'off' ? LOG_METRICS : [...THREAD_METRICS, ...LOG_METRICS];
}

/** What a prom-client Counter is to its `collect` (the issuer does not depend on prom-client). */
interface CollectedCounter {
  reset(): void;
  inc(value: number): void;
}
/** What a prom-client Gauge is to its `collect`. */
interface CollectedGauge {
  set(value: number): void;
}
/** The configuration a series of the store's log health is made with. */
interface SeriesConfiguration<R, M> {
  name: string;
  help: string;
  registers: R[];
  collect(this: M): void;
}
/** prom-client's two classes, as a service passes them (`import { Counter, Gauge } from 'prom-client'`). */
export interface PromClasses<R> {
  Counter: new (configuration: SeriesConfiguration<R, CollectedCounter>) => unknown;
  Gauge: new (configuration: SeriesConfiguration<R, CollectedGauge>) => unknown;
}

/**
 * Registers the store's log-health series (logHealthMetrics) in `registers`, each read from the
 * store when scraped: both services' /metrics show the same series the same way. An unknown
 * value (null, or the store no longer SQLite) leaves a series at its last one.
 */
export function registerLogHealthMetrics<R>(
  store: { logHealth(): LogHealth },
  prom: PromClasses<R>,
  registers: R[],
): void {
  for (const metric of logHealthMetrics(store.logHealth())) {
    const read = () => {
      const health = store.logHealth();
      return health.kind === 'sqlite' ? metric.read(health) : null;
    };
    const options = { name: metric.name, help: metric.help, registers };
    if (metric.type === 'counter') {
      new prom.Counter({
        ...options,
        collect() {
          const value = read();
          if (value === null) return;
          this.reset();
          this.inc(value);
        },
      });
    } else {
      new prom.Gauge({
        ...options,
        collect() {
          const value = read();
          if (value !== null) this.set(value);
        },
      });
    }
  }
}

/** The two levels of a pino logger the watch uses. */
export interface LogHealthLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface LogHealthWatch {
  /** Reads the health once and logs what changed since the last look (what the timer runs). */
  check(): void;
  stop(): void;
}

/** How often the watch reads the store's log health (ms). */
export const LOG_HEALTH_EVERY_MS = 5_000;
/** While checkpoints keep failing, at most one line in this long (ms), counting those since. */
export const LOG_HEALTH_REPEAT_MS = 60_000;

const WHAT_TO_DO =
  "free disk space on the file system that holds the store's data folder and check it for I/O errors (the kernel log, dmesg); until a checkpoint succeeds the log (licensor.db-wal) keeps growing";

/**
 * Reads `read()` every `everyMs` and logs each failed checkpoint once: the first of a run at
 * once (warn, with SQLite's code and message and what to do), the ones after it counted into at
 * most one line a minute (or at once when the cause changes), and a line when checkpoints succeed
 * again. Each time the checkpoint thread stops on its own, one warn line. The timer does not keep
 * the process alive. A store with nothing to watch (MongoDB) is read once and left alone.
 */
export function watchLogHealth(
  read: () => LogHealth,
  logger: LogHealthLogger,
  options: { everyMs?: number; repeatMs?: number; now?: () => number } = {},
): LogHealthWatch {
  const repeatMs = options.repeatMs ?? LOG_HEALTH_REPEAT_MS;
  const now = options.now ?? Date.now;
  let seenFailures = 0;
  let seenDeaths = 0;
  let seenCheckpoints = 0;
  /** Failures seen and not yet in a line; the code of the run's last line; when it was written. */
  let unlogged = 0;
  let failingCode: string | null = null;
  let lineAt = 0;
  let timer: NodeJS.Timeout | null = null;

  const check = (): void => {
    const health = read();
    if (health.kind !== 'sqlite') {
      if (timer !== null) clearInterval(timer);
      timer = null;
      return;
    }
    // The thread counts a failure before its cause reaches the main thread: until it has, the
    // failures wait for the next look.
    const fresh = health.lastFailure === null ? 0 : health.checkpointFailures - seenFailures;
    if (health.lastFailure !== null) seenFailures = health.checkpointFailures;
    const log = { walBytes: health.walBytes, framesWaiting: health.framesWaiting };
    if (fresh > 0 && health.lastFailure !== null) {
      unlogged += fresh;
      const { code, message, at } = health.lastFailure;
      if (failingCode !== code || now() - lineAt >= repeatMs) {
        logger.warn(
          {
            event: 'store_checkpoint_failed',
            code,
            cause: message,
            failures: unlogged,
            failuresTotal: health.checkpointFailures,
            at: new Date(at).toISOString(),
            ...log,
          },
          `the SQLite store's log could not be checkpointed (${code}: ${message}; ${unlogged} failure(s) since the last line): ${WHAT_TO_DO}`,
        );
        unlogged = 0;
        failingCode = code;
        lineAt = now();
      }
    } else if (failingCode !== null && health.checkpoints > seenCheckpoints) {
      logger.info(
        { event: 'store_checkpoint_recovered', failures: unlogged, ...log },
        `checkpoints of the SQLite store's log succeed again (${unlogged} failure(s) since the last line)`,
      );
      unlogged = 0;
      failingCode = null;
    }
    seenCheckpoints = health.checkpoints;
    if (health.threadDeaths > seenDeaths) {
      const death = health.lastThreadDeath;
      logger.warn(
        {
          event: 'store_checkpoint_thread_died',
          code: death?.code,
          cause: death?.message,
          deaths: health.threadDeaths,
          ...log,
        },
        `the SQLite store's checkpoint thread stopped (${death?.code ?? 'no code'}: ${death?.message ?? 'no message'}); it is started again after a wait (1 s, doubling to 60 s while it keeps stopping), the store's commits checkpoint the log meanwhile; if this repeats, restart the service and report the cause`,
      );
      seenDeaths = health.threadDeaths;
    }
  };

  // A look that throws (a store folder gone) is skipped: the watch never stops a service.
  timer = setInterval(() => {
    try {
      check();
    } catch {}
  }, options.everyMs ?? LOG_HEALTH_EVERY_MS);
  timer.unref();
  return {
    check,
    stop: () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
