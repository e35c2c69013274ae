// The Prometheus metrics an operator watches, through prom-client: checks by outcome, refusals
// by error code, check latency, the state of the record buffer, cache and replay guard. The hot
// path bumps prom-client counters; the figures the buffer, cache and guard keep themselves are
// read when scraped (`collect`). Each service has its own registry (never prom-client's global
// one), so several services in one process (tests, embedding) never mix their series.
// A scrape renders snapshots (`getMetricsAsJSON`, plain data the workers of a cluster send over
// IPC) through prom-client's AggregatorRegistry, so /metrics on any worker shows every worker's
// series. A worker's registry labels its series with its slot (`worker="2"`): series stay per
// slot rather than summed, because a replaced worker starts its counters from zero, which
// Prometheus's rate() reads as the reset it is; a sum would drop and fake one.
// The store's log health (`licensor_store_*`: a SQLite store's checkpoints, their failures, its
// checkpoint thread, the log's size) is read from the store when scraped; the series, their names
// and help come from @licensor/issuer (the portal shows the same), none on MongoDB.
import { type LogHealth, registerLogHealthMetrics } from '@licensor/issuer/checks';
import type { CheckOutcome } from '@licensor/token';
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';

const outcomes: readonly CheckOutcome[] = ['VALID', 'EXPIRED', 'SUSPENDED', 'REVOKED', 'UNKNOWN'];
/** Upper bounds (seconds) of the latency histogram's buckets. */
const bucketBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The content type of the text exposition (format 0.0.4). */
export const METRICS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

export interface MetricSources {
  recorder: { flushed: number; failures: number; dropped: number; buffered: number };
  views: { hits: number; misses: number };
  replay: { size: number; evictedEarly: number };
  /** The store's log health (store-port.ts); a store without it shows no `licensor_store_*`. */
  store?: { logHealth(): LogHealth };
}

/** Every figure of one process, as prom-client's JSON (what cluster workers send). */
export type MetricSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** One process's snapshot and the slot of the worker it came from (none for one process). */
export interface MetricPart {
  worker?: number;
  snapshot: MetricSnapshot;
}

export class VerifyMetrics {
  readonly registry = new Registry();
  readonly #checks: Counter<'outcome'>;
  readonly #byOutcome: ReadonlyMap<CheckOutcome, { inc(): void }>;
  readonly #errors: Counter<'code'>;
  readonly #latency: Histogram;
  readonly #nonceWait: Histogram;

  /** `worker`: this process's slot in a cluster; it labels every series. */
  constructor(sources: MetricSources, options: { worker?: number } = {}) {
    const registers = [this.registry];
    if (options.worker !== undefined) {
      this.registry.setDefaultLabels({ worker: String(options.worker) });
    }
    this.#checks = new Counter({
      name: 'licensor_verify_checks_total',
      help: 'Checks answered with a status, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    // Every outcome shows from the first scrape, at 0: a rate() over it needs the series.
    for (const outcome of outcomes) this.#checks.inc({ outcome }, 0);
    this.#byOutcome = new Map(outcomes.map((o) => [o, this.#checks.labels({ outcome: o })]));
    this.#errors = new Counter({
      name: 'licensor_verify_errors_total',
      help: 'Requests refused, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'licensor_verify_check_duration_seconds',
      help: 'Time to answer POST /v1/checks, from first byte to response.',
      buckets: bucketBounds,
      registers,
    });
    this.#nonceWait = new Histogram({
      name: 'licensor_verify_nonce_store_seconds',
      help: "Time a check waited for its nonce to be stored (on SQLite: its group's commit and sync).",
      buckets: bucketBounds,
      registers,
    });
    const counted = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const gauged = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    const { recorder, views, replay } = sources;
    counted(
      'licensor_verify_check_records_flushed_total',
      'Check records written to the store.',
      () => recorder.flushed,
    );
    counted(
      'licensor_verify_check_records_flush_failures_total',
      'Failed writes of check records (each retried).',
      () => recorder.failures,
    );
    counted(
      'licensor_verify_check_records_dropped_total',
      'Check records dropped because the buffer was full (logged).',
      () => recorder.dropped,
    );
    gauged(
      'licensor_verify_check_records_buffered',
      'Check records waiting to be written.',
      () => recorder.buffered,
    );
    counted(
      'licensor_verify_view_cache_hits_total',
      'Checks answered from the license cache.',
      () => views.hits,
    );
    counted(
      'licensor_verify_view_cache_misses_total',
      'Checks that read the store.',
      () => views.misses,
    );
    gauged('licensor_verify_replay_nonces', 'Nonces held by the replay guard.', () => replay.size);
    counted(
      'licensor_verify_replay_evicted_early_total',
      'Nonces forgotten for room while still inside the window.',
      () => replay.evictedEarly,
    );
    const { store } = sources;
    if (store !== undefined) {
      registerLogHealthMetrics(store, { Counter, Gauge }, registers);
    }
  }

  countCheck(outcome: CheckOutcome): void {
    this.#byOutcome.get(outcome)?.inc();
  }

  countError(code: string): void {
    this.#errors.inc({ code });
  }

  /** One POST /v1/checks, answered or refused, in seconds. */
  observeLatency(seconds: number): void {
    this.#latency.observe(seconds);
  }

  /** One check's wait for its nonce to be stored, in seconds. */
  observeNonceStored(seconds: number): void {
    this.#nonceWait.observe(seconds);
  }

  /** Checks answered with `outcome` so far. */
  async checks(outcome: CheckOutcome): Promise<number> {
    const { values } = await this.#checks.get();
    return values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
  }

  /** This process's figures, as data. */
  snapshot(): Promise<MetricSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /** The text exposition of this process alone. */
  async render(): Promise<string> {
    return renderMetrics([{ snapshot: await this.snapshot() }]);
  }
}

/**
 * The text exposition of one process or of every worker of a cluster (one part each): the
 * parts merged by prom-client's AggregatorRegistry (series with the same labels are summed;
 * workers' series differ by their `worker` label), and `licensor_verify_workers`, the number
 * of processes whose series the scrape shows.
 */
export async function renderMetrics(parts: readonly MetricPart[]): Promise<string> {
  const merged = AggregatorRegistry.aggregate(parts.map((part) => part.snapshot));
  new Gauge({
    name: 'licensor_verify_workers',
    help: 'Processes whose series this scrape shows (1 unless --workers).',
    registers: [merged],
  }).set(parts.length);
  return merged.metrics();
}
