// Prometheus text exposition (format 0.0.4) of what an operator watches: checks by outcome,
// refusals by error code, check latency, the state of the record buffer, cache and replay
// guard. Counters are plain numbers bumped on the hot path; text is built only when scraped.
// A scrape renders snapshots: plain data that the workers of a cluster send over IPC, so that
// /metrics on any worker shows every worker's series, labelled with its slot (`worker="2"`).
// Series are per slot rather than summed: a replaced worker starts its counters from zero,
// which Prometheus's rate() reads as the reset it is; a sum would drop and fake one.
import type { CheckOutcome } from '@licensor/token';

const outcomes: readonly CheckOutcome[] = ['VALID', 'EXPIRED', 'SUSPENDED', 'REVOKED', 'UNKNOWN'];
/** Upper bounds (seconds) of the latency histogram's buckets. */
const bucketBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface MetricSources {
  recorder: { flushed: number; failures: number; dropped: number; buffered: number };
  views: { hits: number; misses: number };
  replay: { size: number; evictedEarly: number };
}

/** Every figure /metrics shows for one process, as data (what cluster workers send). */
export interface MetricSnapshot extends MetricSources {
  checks: Record<string, number>;
  errors: Record<string, number>;
  /** Per-bucket (not cumulative) counts, one per bound of the latency histogram. */
  buckets: number[];
  count: number;
  sum: number;
}

/** One process's snapshot and the label that tells its series apart (`worker`, or none). */
export interface MetricPart {
  /** The worker's slot, 1..N, kept by its replacement; undefined for a single process. */
  worker?: number;
  snapshot: MetricSnapshot;
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
    };
  }

  render(sources: MetricSources): string {
    return renderMetrics([{ snapshot: this.snapshot(sources) }]);
  }
}

/** One sample line: `name{labels} value`, the worker's label last. */
function sample(name: string, labels: string, part: MetricPart, value: number): string {
  const all =
    part.worker === undefined
      ? labels
      : [labels, `worker="${part.worker}"`].filter(Boolean).join(',');
  return `${name}${all === '' ? '' : `{${all}}`} ${value}`;
}

interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  lines(part: MetricPart, name: string): string[];
}

function scalar(
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  value: (snapshot: MetricSnapshot) => number,
): Family {
  return { name, type, help, lines: (part) => [sample(name, '', part, value(part.snapshot))] };
}

const families: readonly Family[] = [
  {
    name: 'licensor_verify_checks_total',
    type: 'counter',
    help: 'Checks answered with a status, by outcome.',
    lines: (part, name) =>
      outcomes.map((o) => sample(name, `outcome="${o}"`, part, part.snapshot.checks[o] ?? 0)),
  },
  {
    name: 'licensor_verify_errors_total',
    type: 'counter',
    help: 'Requests refused, by error code.',
    lines: (part, name) =>
      Object.entries(part.snapshot.errors).map(([code, n]) =>
        sample(name, `code="${code}"`, part, n),
      ),
  },
  {
    name: 'licensor_verify_check_duration_seconds',
    type: 'histogram',
    help: 'Time to answer POST /v1/checks, from first byte to response.',
    lines: (part, name) => {
      const { buckets, count, sum } = part.snapshot;
      let cumulative = 0;
      return [
        ...bucketBounds.map((bound, i) => {
          cumulative += buckets[i] ?? 0;
          return sample(`${name}_bucket`, `le="${bound}"`, part, cumulative);
        }),
        sample(`${name}_bucket`, 'le="+Inf"', part, count),
        sample(`${name}_sum`, '', part, sum),
        sample(`${name}_count`, '', part, count),
      ];
    },
  },
  scalar(
    'licensor_verify_check_records_flushed_total',
    'counter',
    'Check records written to the store.',
    (s) => s.recorder.flushed,
  ),
  scalar(
    'licensor_verify_check_records_flush_failures_total',
    'counter',
    'Failed writes of check records (each retried).',
    (s) => s.recorder.failures,
  ),
  scalar(
    'licensor_verify_check_records_dropped_total',
    'counter',
    'Check records dropped because the buffer was full (logged).',
    (s) => s.recorder.dropped,
  ),
  scalar(
    'licensor_verify_check_records_buffered',
    'gauge',
    'Check records waiting to be written.',
    (s) => s.recorder.buffered,
  ),
  scalar(
    'licensor_verify_view_cache_hits_total',
    'counter',
    'Checks answered from the license cache.',
    (s) => s.views.hits,
  ),
  scalar(
    'licensor_verify_view_cache_misses_total',
    'counter',
    'Checks that read the store.',
    (s) => s.views.misses,
  ),
  scalar(
    'licensor_verify_replay_nonces',
    'gauge',
    'Nonces held by the replay guard.',
    (s) => s.replay.size,
  ),
  scalar(
    'licensor_verify_replay_evicted_early_total',
    'counter',
    'Nonces forgotten for room while still inside the window.',
    (s) => s.replay.evictedEarly,
  ),
];

/**
 * Prometheus text exposition of one process (a part without `worker`) or of every worker of a
 * cluster (one part per worker, its series labelled `worker="<slot>"`), family by family.
 */
export function renderMetrics(parts: readonly MetricPart[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const part of parts) lines.push(...family.lines(part, family.name));
  }
  lines.push(
    '# HELP licensor_verify_workers Processes whose series this scrape shows (1 unless --workers).',
    '# TYPE licensor_verify_workers gauge',
    `licensor_verify_workers ${parts.length}`,
  );
  return `${lines.join('\n')}\n`;
}
