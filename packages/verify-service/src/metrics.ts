// Prometheus text exposition (format 0.0.4) of what an operator watches: checks by outcome,
// refusals by error code, check latency, the state of the record buffer, cache and replay
// guard. Counters are plain numbers bumped on the hot path; text is built only when scraped.
// A scrape renders a snapshot: plain data that the workers of a cluster send to one another and
// sum (`mergeMetricSnapshots`), so /metrics on any worker counts the whole service.
import type { CheckOutcome } from '@licensor/token';

const outcomes: readonly CheckOutcome[] = ['VALID', 'EXPIRED', 'SUSPENDED', 'REVOKED', 'UNKNOWN'];
/** Upper bounds (seconds) of the latency histogram's buckets. */
const bucketBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface MetricSources {
  recorder: { flushed: number; failures: number; dropped: number; buffered: number };
  views: { hits: number; misses: number };
  replay: { size: number; evictedEarly: number };
}

/** Every figure /metrics shows, as data: summable across the workers of a cluster. */
export interface MetricSnapshot extends MetricSources {
  checks: Record<string, number>;
  errors: Record<string, number>;
  /** Per-bucket (not cumulative) counts, one per bound of the latency histogram. */
  buckets: number[];
  count: number;
  sum: number;
  /** Processes whose figures this snapshot holds. */
  workers: number;
}

export class VerifyMetrics {
  readonly #checks = new Map<CheckOutcome, number>(outcomes.map((o) => [o, 0]));
  readonly #errors = new Map<string, number>();
  readonly #buckets = new Array<number>(bucketBounds.length).fill(0);
  #count = 0;
  #sum = 0;

  countCheck(outcome: CheckOutcome): void {
    this.#checks.set(outcome, (this.#checks.get(outcome) ?? 0) + 1);
  }

  countError(code: string): void {
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }

  /** One POST /v1/checks, answered or refused, in seconds. */
  observeLatency(seconds: number): void {
    this.#count++;
    this.#sum += seconds;
    for (let i = 0; i < bucketBounds.length; i++) {
      if (seconds <= bucketBounds[i]!) {
        this.#buckets[i]!++;
        return;
      }
    }
  }

  checks(outcome: CheckOutcome): number {
    return this.#checks.get(outcome) ?? 0;
  }

  snapshot(sources: MetricSources): MetricSnapshot {
    return {
      checks: Object.fromEntries(this.#checks),
      errors: Object.fromEntries(this.#errors),
      buckets: [...this.#buckets],
      count: this.#count,
      sum: this.#sum,
      recorder: { ...sources.recorder },
      views: { ...sources.views },
      replay: { ...sources.replay },
      workers: 1,
    };
  }

  render(sources: MetricSources): string {
    return renderMetrics(this.snapshot(sources));
  }
}

function addInto(target: Record<string, number>, source: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(source)) target[key] = (target[key] ?? 0) + value;
}

/** The sum of several processes' snapshots: counters, histogram and gauges all add up. */
export function mergeMetricSnapshots(snapshots: readonly MetricSnapshot[]): MetricSnapshot {
  const total: MetricSnapshot = {
    checks: Object.fromEntries(outcomes.map((o) => [o, 0])),
    errors: {},
    buckets: new Array<number>(bucketBounds.length).fill(0),
    count: 0,
    sum: 0,
    recorder: { flushed: 0, failures: 0, dropped: 0, buffered: 0 },
    views: { hits: 0, misses: 0 },
    replay: { size: 0, evictedEarly: 0 },
    workers: 0,
  };
  for (const part of snapshots) {
    addInto(total.checks, part.checks);
    addInto(total.errors, part.errors);
    for (let i = 0; i < total.buckets.length; i++) total.buckets[i]! += part.buckets[i] ?? 0;
    total.count += part.count;
    total.sum += part.sum;
    for (const key of ['flushed', 'failures', 'dropped', 'buffered'] as const) {
      total.recorder[key] += part.recorder[key];
    }
    total.views.hits += part.views.hits;
    total.views.misses += part.views.misses;
    total.replay.size += part.replay.size;
    total.replay.evictedEarly += part.replay.evictedEarly;
    total.workers += part.workers;
  }
  return total;
}

/** Prometheus text exposition of a snapshot. */
export function renderMetrics(snapshot: MetricSnapshot): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  family('licensor_verify_checks_total', 'counter', 'Checks answered with a status, by outcome.');
  for (const [outcome, n] of Object.entries(snapshot.checks)) {
    lines.push(`licensor_verify_checks_total{outcome="${outcome}"} ${n}`);
  }
  family('licensor_verify_errors_total', 'counter', 'Requests refused, by error code.');
  for (const [code, n] of Object.entries(snapshot.errors)) {
    lines.push(`licensor_verify_errors_total{code="${code}"} ${n}`);
  }
  family(
    'licensor_verify_check_duration_seconds',
    'histogram',
    'Time to answer POST /v1/checks, from first byte to response.',
  );
  let cumulative = 0;
  for (let i = 0; i < bucketBounds.length; i++) {
    cumulative += snapshot.buckets[i] ?? 0;
    lines.push(
      `licensor_verify_check_duration_seconds_bucket{le="${bucketBounds[i]}"} ${cumulative}`,
    );
  }
  lines.push(
    `licensor_verify_check_duration_seconds_bucket{le="+Inf"} ${snapshot.count}`,
    `licensor_verify_check_duration_seconds_sum ${snapshot.sum}`,
    `licensor_verify_check_duration_seconds_count ${snapshot.count}`,
  );
  const { recorder, views, replay } = snapshot;
  const scalar = (name: string, type: string, help: string, value: number) => {
    family(name, type, help);
    lines.push(`${name} ${value}`);
  };
  scalar(
    'licensor_verify_check_records_flushed_total',
    'counter',
    'Check records written to the store.',
    recorder.flushed,
  );
  scalar(
    'licensor_verify_check_records_flush_failures_total',
    'counter',
    'Failed writes of check records (each retried).',
    recorder.failures,
  );
  scalar(
    'licensor_verify_check_records_dropped_total',
    'counter',
    'Check records dropped because the buffer was full (logged).',
    recorder.dropped,
  );
  scalar(
    'licensor_verify_check_records_buffered',
    'gauge',
    'Check records waiting to be written.',
    recorder.buffered,
  );
  scalar(
    'licensor_verify_view_cache_hits_total',
    'counter',
    'Checks answered from the license cache.',
    views.hits,
  );
  scalar(
    'licensor_verify_view_cache_misses_total',
    'counter',
    'Checks that read the store.',
    views.misses,
  );
  scalar('licensor_verify_replay_nonces', 'gauge', 'Nonces held by the replay guard.', replay.size);
  scalar(
    'licensor_verify_replay_evicted_early_total',
    'counter',
    'Nonces forgotten for room while still inside the window.',
    replay.evictedEarly,
  );
  scalar(
    'licensor_verify_workers',
    'gauge',
    'Worker processes whose figures this scrape sums (1 unless --workers).',
    snapshot.workers,
  );
  return `${lines.join('\n')}\n`;
}
