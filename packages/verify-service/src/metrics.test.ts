import { describe, expect, it } from 'vitest';
import { mergeMetricSnapshots, renderMetrics, VerifyMetrics } from './metrics.js';

const sources = (flushed: number) => ({
  recorder: { flushed, failures: 1, dropped: 0, buffered: 2 },
  views: { hits: 3, misses: 1 },
  replay: { size: 5, evictedEarly: 0 },
});

describe('metric snapshots', () => {
  it('sums two workers: counters, error codes seen by either, histogram buckets and gauges', () => {
    const a = new VerifyMetrics();
    a.countCheck('VALID');
    a.countCheck('VALID');
    a.countError('ERR_CHECK_REPLAYED');
    a.observeLatency(0.002);
    const b = new VerifyMetrics();
    b.countCheck('REVOKED');
    b.countError('ERR_BODY_TOO_LARGE');
    b.observeLatency(0.3);
    b.observeLatency(9);

    const text = renderMetrics(
      mergeMetricSnapshots([a.snapshot(sources(10)), b.snapshot(sources(4))]),
    );
    expect(text).toContain('licensor_verify_checks_total{outcome="VALID"} 2\n');
    expect(text).toContain('licensor_verify_checks_total{outcome="REVOKED"} 1\n');
    expect(text).toContain('licensor_verify_errors_total{code="ERR_CHECK_REPLAYED"} 1\n');
    expect(text).toContain('licensor_verify_errors_total{code="ERR_BODY_TOO_LARGE"} 1\n');
    expect(text).toContain('licensor_verify_check_duration_seconds_bucket{le="0.0025"} 1\n');
    expect(text).toContain('licensor_verify_check_duration_seconds_bucket{le="0.5"} 2\n');
    expect(text).toContain('licensor_verify_check_duration_seconds_bucket{le="2.5"} 2\n');
    expect(text).toContain('licensor_verify_check_duration_seconds_bucket{le="+Inf"} 3\n');
    expect(text).toContain('licensor_verify_check_records_flushed_total 14\n');
    expect(text).toContain('licensor_verify_check_records_buffered 4\n');
    expect(text).toContain('licensor_verify_replay_nonces 10\n');
    expect(text).toContain('licensor_verify_workers 2\n');
  });

  it('renders one process exactly as the single-process scrape does', () => {
    const m = new VerifyMetrics();
    m.countCheck('EXPIRED');
    m.observeLatency(0.004);
    expect(renderMetrics(mergeMetricSnapshots([m.snapshot(sources(1))]))).toBe(
      m.render(sources(1)),
    );
  });

  it('keeps each family contiguous, as the text format requires', () => {
    const a = new VerifyMetrics();
    const b = new VerifyMetrics();
    b.countError('ERR_NOT_FOUND');
    const lines = renderMetrics(
      mergeMetricSnapshots([a.snapshot(sources(0)), b.snapshot(sources(0))]),
    ).split('\n');
    const errorLine = lines.findIndex((l) => l.startsWith('licensor_verify_errors_total{'));
    expect(lines[errorLine - 1]).toBe('# TYPE licensor_verify_errors_total counter');
  });
});
