// The store's log health as the verify service shows it: a SQLite store whose checkpoints fail
// (a fault made in its checkpoint thread, as a full disk makes one) is on /metrics and in one
// warn line, however often /metrics is scraped; a MongoDB store shows no licensor_store_* series.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LicensorStore, openStore } from '@licensor/issuer/store';
import { generateKeyPair } from '@licensor/token';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createVerifyService, type VerifyService } from '../src/service.js';
import { parseExposition, sampleOf } from './support/prometheus.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function serviceOn(store: LicensorStore) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const service = createVerifyService({ store, statusKeys: [generateKeyPair()], logger });
  cleanups.push(() => service.drain(Date.now() + 1_000));
  return { service, lines };
}

async function scrape(service: VerifyService) {
  const response = await request(service.app).get('/metrics');
  expect(response.status).toBe(200);
  return parseExposition(response.text);
}

describe("the store's log health on the verify service", () => {
  it('shows a failing checkpoint on /metrics and logs it once (warn, with the cause and what to do), not at each scrape', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-verify-log-health-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // The log holds the schema's pages from the open: past 1 frame, the thread checkpoints.
    const store = await openStore({
      dataDir,
      prepare: false,
      sqliteCheckpointer: {
        atFrames: 1,
        faults: { failCheckpoints: { code: 'SQLITE_FULL', message: 'database or disk is full' } },
      },
    });
    cleanups.push(() => store.close());
    const { service, lines } = serviceOn(store);
    const warned = () => lines.filter((line) => line.event === 'store_checkpoint_failed');
    // The watch looks every 5 s; scrapes in the meantime log nothing.
    await vi.waitFor(
      async () => {
        const families = await scrape(service);
        expect(sampleOf(families, 'licensor_store_checkpoint_failures_total')).toBeGreaterThan(0);
        expect(warned()).toHaveLength(1);
      },
      { timeout: 10_000, interval: 200 },
    );
    const families = await scrape(service);
    expect(sampleOf(families, 'licensor_store_checkpoint_thread_up')).toBe(1);
    expect(sampleOf(families, 'licensor_store_checkpoints_total')).toBe(0);
    expect(sampleOf(families, 'licensor_store_wal_bytes')).toBeGreaterThan(0);
    expect(sampleOf(families, 'licensor_store_wal_frames_waiting')).toBeGreaterThan(0);
    expect(
      sampleOf(families, 'licensor_store_checkpoint_last_failure_timestamp_seconds'),
    ).toBeGreaterThan(Date.UTC(2026, 0, 1) / 1000);
    expect(families.get('licensor_store_checkpoint_failures_total')?.type).toBe('counter');
    expect(families.get('licensor_store_checkpoint_failures_total')?.help).toMatch(/free disk/);
    for (let i = 0; i < 5; i += 1) await scrape(service);
    expect(warned()).toHaveLength(1);
    expect(warned()[0]).toMatchObject({
      level: 40,
      code: 'SQLITE_FULL',
      cause: 'database or disk is full',
    });
    expect(String(warned()[0]!.msg)).toMatch(/free disk space/);
  });

  it('shows no licensor_store_* series for a store with no log of its own to watch (MongoDB)', async () => {
    const store = {
      getCheckView: async () => null,
      recordChecks: async () => undefined,
      ping: async () => undefined,
      close: async () => undefined,
      logHealth: () => ({ kind: 'server-managed' as const }),
      chains: {} as LicensorStore['chains'],
    };
    const { service, lines } = serviceOn(store as unknown as LicensorStore);
    const families = await scrape(service);
    expect([...families.keys()].filter((name) => name.startsWith('licensor_store_'))).toEqual([]);
    expect(lines.filter((line) => String(line.event).startsWith('store_'))).toEqual([]);
  });
});
