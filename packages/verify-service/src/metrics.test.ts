import { describe, expect, it } from 'vitest';
import { parseExposition, sampleOf, samplesOf } from '../test/support/prometheus.js';
import { renderMetrics, VerifyMetrics } from './metrics.js';

/** The figures the record buffer, view cache and replay guard keep (getters, as theirs are). */
function sources(flushed: number) {
  return {
    recorder: {
      flushed,
      failures: 1,
      dropped: 0,
      get buffered() {
        return 2;
      },
    },
    views: { hits: 3, misses: 1 },
    replay: {
      evictedEarly: 0,
      get size() {
        return 5;
      },
    },
  };
}

describe('metrics text', () => {
  it('is valid exposition a Prometheus parser reads, every value a number (#16.4)', async () => {
    const metrics = new VerifyMetrics(sources(7));
    metrics.countCheck('VALID');
    metrics.countError('ERR_RATE_LIMITED');
    metrics.observeLatency(0.004);
    const families = parseExposition(await metrics.render());
    expect(sampleOf(families, 'licensor_verify_check_records_buffered')).toBe(2);
    expect(sampleOf(families, 'licensor_verify_replay_nonces')).toBe(5);
    expect(sampleOf(families, 'licensor_verify_check_records_flushed_total')).toBe(7);
    expect(sampleOf(families, 'licensor_verify_check_records_flush_failures_total')).toBe(1);
    expect(sampleOf(families, 'licensor_verify_view_cache_hits_total')).toBe(3);
    expect(sampleOf(families, 'licensor_verify_checks_total', { outcome: 'VALID' })).toBe(1);
    expect(sampleOf(families, 'licensor_verify_checks_total', { outcome: 'REVOKED' })).toBe(0);
    expect(sampleOf(families, 'licensor_verify_errors_total', { code: 'ERR_RATE_LIMITED' })).toBe(
      1,
    );
    expect(sampleOf(families, 'licensor_verify_check_duration_seconds_count')).toBe(1);
    expect(sampleOf(families, 'licensor_verify_workers')).toBe(1);
    expect(families.get('licensor_verify_check_duration_seconds')?.type).toBe('histogram');
    expect(families.get('licensor_verify_check_records_buffered')?.type).toBe('gauge');
    expect(families.get('licensor_verify_checks_total')?.type).toBe('counter');
    for (const family of families.values()) expect(family.help).not.toBe('');
  });

  it('shows each worker of a cluster as its own series, labelled with its slot', async () => {
    const a = new VerifyMetrics(sources(10), { worker: 1 });
    a.countCheck('VALID');
    a.countCheck('VALID');
    a.countError('ERR_CHECK_REPLAYED');
    a.observeLatency(0.002);
    const b = new VerifyMetrics(sources(4), { worker: 2 });
    b.countCheck('REVOKED');
    b.countError('ERR_BODY_TOO_LARGE');
    b.observeLatency(0.3);
    b.observeLatency(9);

    const families = parseExposition(
      await renderMetrics([
        { worker: 1, snapshot: await a.snapshot() },
        { worker: 2, snapshot: await b.snapshot() },
      ]),
    );
    const checks = (outcome: string, worker: string) =>
      sampleOf(families, 'licensor_verify_checks_total', { outcome, worker });
    expect(checks('VALID', '1')).toBe(2);
    expect(checks('VALID', '2')).toBe(0);
    expect(checks('REVOKED', '2')).toBe(1);
    const errors = (code: string, worker: string) =>
      sampleOf(families, 'licensor_verify_errors_total', { code, worker });
    expect(errors('ERR_CHECK_REPLAYED', '1')).toBe(1);
    expect(errors('ERR_BODY_TOO_LARGE', '2')).toBe(1);
    const bucket = (le: string, worker: string) =>
      sampleOf(families, 'licensor_verify_check_duration_seconds_bucket', { le, worker });
    expect(bucket('0.0025', '1')).toBe(1);
    expect(bucket('0.5', '2')).toBe(1);
    expect(bucket('+Inf', '2')).toBe(2);
    expect(
      sampleOf(families, 'licensor_verify_check_duration_seconds_count', { worker: '2' }),
    ).toBe(2);
    const flushed = (worker: string) =>
      sampleOf(families, 'licensor_verify_check_records_flushed_total', { worker });
    expect(flushed('1')).toBe(10);
    expect(flushed('2')).toBe(4);
    expect(samplesOf(families, 'licensor_verify_check_records_buffered')).toHaveLength(2);
    expect(sampleOf(families, 'licensor_verify_workers')).toBe(2);
  });

  it('has no worker label for a single process', async () => {
    const m = new VerifyMetrics(sources(1));
    m.countCheck('EXPIRED');
    m.observeLatency(0.004);
    const text = await m.render();
    const families = parseExposition(text);
    expect(sampleOf(families, 'licensor_verify_checks_total', { outcome: 'EXPIRED' })).toBe(1);
    expect(text).not.toContain('worker="');
  });

  it('counts every scrape afresh: collected figures are read when scraped, never summed up', async () => {
    const live = sources(1);
    const m = new VerifyMetrics(live);
    await m.render();
    live.recorder.flushed = 5;
    const families = parseExposition(await m.render());
    expect(sampleOf(families, 'licensor_verify_check_records_flushed_total')).toBe(5);
  });

  it("shows the store's log health read at each scrape (SQLite), and no licensor_store_* series on MongoDB", async () => {
    let failures = 0;
    const sqlite = {
      logHealth: () => ({
        kind: 'sqlite' as const,
        checkpointThread: failures > 0 ? ('restarting' as const) : ('running' as const),
        checkpoints: 9,
        checkpointFailures: failures,
        lastFailure:
          failures > 0 ? { code: 'SQLITE_FULL', message: 'full', at: 1_700_000_000_000 } : null,
        threadDeaths: 0,
        lastThreadDeath: null,
        walBytes: 8_192,
        framesWaiting: failures > 0 ? null : 3,
      }),
    };
    const m = new VerifyMetrics({ ...sources(1), store: sqlite });
    let families = parseExposition(await m.render());
    expect(sampleOf(families, 'licensor_store_checkpoint_failures_total')).toBe(0);
    expect(sampleOf(families, 'licensor_store_checkpoint_thread_up')).toBe(1);
    expect(sampleOf(families, 'licensor_store_wal_frames_waiting')).toBe(3);
    failures = 2;
    families = parseExposition(await m.render());
    expect(sampleOf(families, 'licensor_store_checkpoint_failures_total')).toBe(2);
    expect(sampleOf(families, 'licensor_store_checkpoints_total')).toBe(9);
    expect(sampleOf(families, 'licensor_store_checkpoint_thread_up')).toBe(0);
    expect(sampleOf(families, 'licensor_store_checkpoint_last_failure_timestamp_seconds')).toBe(
      1_700_000_000,
    );
    // Frames waiting unknown at this scrape: the last value stays.
    expect(sampleOf(families, 'licensor_store_wal_frames_waiting')).toBe(3);
    expect(sampleOf(families, 'licensor_store_wal_bytes')).toBe(8_192);
    for (const family of families.values()) expect(family.help).not.toBe('');

    const mongo = new VerifyMetrics({
      ...sources(1),
      store: { logHealth: () => ({ kind: 'server-managed' as const }) },
    });
    const names = [...parseExposition(await mongo.render()).keys()];
    expect(names.filter((name) => name.startsWith('licensor_store_'))).toEqual([]);
  });
});
