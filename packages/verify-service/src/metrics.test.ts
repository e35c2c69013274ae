import { describe, expect, it } from 'vitest';
import { renderMetrics, VerifyMetrics } from './metrics.js';

const sources = (flushed: number) => ({
  recorder: { flushed, failures: 1, dropped: 0, buffered: 2 },
  views: { hits: 3, misses: 1 },
  replay: { size: 5, evictedEarly: 0 },
});

describe('metrics text', () => {
  it('shows each worker of a cluster as its own series, labelled with its slot', () => {
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

    const text = renderMetrics([
      { worker: 1, snapshot: a.snapshot(sources(10)) },
      { worker: 2, snapshot: b.snapshot(sources(4)) },
    ]);
    expect(text).toContain('licensor_verify_checks_total{outcome="VALID",worker="1"} 2\n');
    expect(text).toContain('licensor_verify_checks_total{outcome="VALID",worker="2"} 0\n');
    expect(text).toContain('licensor_verify_checks_total{outcome="REVOKED",worker="2"} 1\n');
    expect(text).toContain(
      'licensor_verify_errors_total{code="ERR_CHECK_REPLAYED",worker="1"} 1\n',
    );
    expect(text).toContain(
      'licensor_verify_errors_total{code="ERR_BODY_TOO_LARGE",worker="2"} 1\n',
    );
    expect(text).toContain(
      'licensor_verify_check_duration_seconds_bucket{le="0.0025",worker="1"} 1\n',
    );
    expect(text).toContain(
      'licensor_verify_check_duration_seconds_bucket{le="0.5",worker="2"} 1\n',
    );
    expect(text).toContain(
      'licensor_verify_check_duration_seconds_bucket{le="+Inf",worker="2"} 2\n',
    );
    expect(text).toContain('licensor_verify_check_duration_seconds_count{worker="2"} 2\n');
    expect(text).toContain('licensor_verify_check_records_flushed_total{worker="1"} 10\n');
    expect(text).toContain('licensor_verify_check_records_flushed_total{worker="2"} 4\n');
    expect(text).toContain('licensor_verify_workers 2\n');
  });

  it('has no worker label for a single process', () => {
    const m = new VerifyMetrics();
    m.countCheck('EXPIRED');
    m.observeLatency(0.004);
    const text = m.render(sources(1));
    expect(text).toContain('licensor_verify_checks_total{outcome="EXPIRED"} 1\n');
    expect(text).toContain('licensor_verify_check_duration_seconds_count 1\n');
    expect(text).toContain('licensor_verify_check_records_flushed_total 1\n');
    expect(text).toContain('licensor_verify_workers 1\n');
    expect(text).not.toContain('worker="');
  });

  it('keeps each family contiguous, with one HELP and TYPE, as the text format requires', () => {
    const a = new VerifyMetrics();
    const b = new VerifyMetrics();
    b.countError('ERR_NOT_FOUND');
    const lines = renderMetrics([
      { worker: 1, snapshot: a.snapshot(sources(0)) },
      { worker: 2, snapshot: b.snapshot(sources(0)) },
    ]).split('\n');
    const errorLine = lines.findIndex((l) => l.startsWith('licensor_verify_errors_total{'));
    expect(lines[errorLine - 1]).toBe('# TYPE licensor_verify_errors_total counter');
    const seen: string[] = [];
    for (const line of lines.filter((l) => l.startsWith('# TYPE '))) seen.push(line.split(' ')[2]!);
    expect(new Set(seen).size).toBe(seen.length);
    const families = lines
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.replace(/(_bucket|_sum|_count)?[{ ].*$/, ''));
    const runs = families.filter((name, i) => name !== families[i - 1]);
    expect(new Set(runs).size).toBe(runs.length);
  });
});
