// Batched check records: written off the answer path, retried on failure, dropped only when
// counted, drained on shutdown.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { heapAfterGc } from '../../test/support/heap.js';
import { MemoryStore } from '../../test/support/memory-store.js';
import type { CheckRecord } from '../store-port.js';
import { CheckRecorder } from './check-recorder.js';

const logger = pino({ level: 'silent' });

function record(n: number): CheckRecord {
  return {
    id: `chk_${n}`,
    at: n,
    licenseId: 'lic_1',
    installationId: 'inst',
    sdkVersion: '0.1.0',
    credentialsInUse: n,
    outcome: 'VALID',
  };
}

function recorder(
  store: MemoryStore,
  options: Partial<ConstructorParameters<typeof CheckRecorder>[1]> = {},
) {
  const clock = { now: 0 };
  const r = new CheckRecorder(
    store,
    {
      batchSize: 3,
      flushIntervalMs: 60_000,
      bufferLimit: 10,
      writeTimeoutMs: 1_000,
      now: () => clock.now,
      ...options,
    },
    logger,
  );
  return { r, clock };
}

describe('CheckRecorder', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds an answered check unwritten at most one flush interval (what a SIGKILL can lose)', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore();
    const { r } = recorder(store, { batchSize: 200, flushIntervalMs: 250, bufferLimit: 1_000 });
    r.start();
    for (let i = 0; i < 150; i++) r.add(record(i));
    await vi.advanceTimersByTimeAsync(249);
    expect(r.buffered).toBe(150);
    expect(store.records).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.buffered).toBe(0);
    expect(store.records).toHaveLength(150);
  });

  it('hands over what it still holds to a dying process (logged in the fatal line)', () => {
    const store = new MemoryStore();
    const { r } = recorder(store, { batchSize: 100 });
    r.add(record(1));
    r.add(record(2));
    expect(r.takeBuffered().map((x) => x.id)).toEqual(['chk_1', 'chk_2']);
    expect(r.buffered).toBe(0);
  });

  it('buffers records until a flush and writes them in batches', async () => {
    const store = new MemoryStore();
    const { r } = recorder(store, { batchSize: 100 });
    r.add(record(1));
    r.add(record(2));
    expect(store.records).toHaveLength(0);
    await r.flush();
    expect(store.records.map((x) => x.id)).toEqual(['chk_1', 'chk_2']);
    expect(r.flushed).toBe(2);
  });

  it('starts a write as soon as a full batch waits', async () => {
    const store = new MemoryStore();
    const { r } = recorder(store);
    for (let i = 0; i < 3; i++) r.add(record(i));
    await r.flush();
    expect(store.records).toHaveLength(3);
  });

  it('keeps a failed batch, in order, and writes it on the retry after the backoff', async () => {
    const store = new MemoryStore();
    const { r, clock } = recorder(store, { batchSize: 100 });
    store.failingWrites = 1;
    r.add(record(1));
    r.add(record(2));
    await r.flush();
    expect(r.failures).toBe(1);
    expect(r.buffered).toBe(2);
    r.add(record(3));
    await r.flush(); // still inside the backoff: no attempt
    expect(store.records).toHaveLength(0);
    clock.now = 100;
    await r.flush();
    expect(store.records.map((x) => x.id)).toEqual(['chk_1', 'chk_2', 'chk_3']);
    expect(r.buffered).toBe(0);
  });

  it('keeps records held over a store outage as copies, not the check texts they were read from', async () => {
    // Each record's strings are slices of a 50 KB text of its own (a check's payload, larger);
    // a buffer that kept the slices would hold 400 of those texts, 20 MB.
    const store = new MemoryStore();
    store.down = true;
    const { r, clock } = recorder(store, { batchSize: 3, bufferLimit: 1_000 });
    const before = heapAfterGc();
    for (let i = 0; i < 400; i++) {
      const text = randomBytes(25_000).toString('hex');
      const at = (n: number) => text.slice(n * 40, n * 40 + 30);
      r.add({ ...record(i), licenseId: at(1), installationId: at(2), sdkVersion: at(3) });
      if (i % 50 === 0) {
        clock.now += 10_000; // past the backoff: this flush fails, its batch comes back
        await r.flush();
      }
    }
    expect(r.failures).toBe(8);
    expect(r.buffered).toBe(400);
    expect(heapAfterGc() - before).toBeLessThan(2_000_000);
    // Nothing lost or changed by the copies: written whole once the store is back.
    store.down = false;
    clock.now += 10_000;
    await r.flush();
    expect(store.records).toHaveLength(400);
    expect(store.records[0]?.licenseId).toHaveLength(30);
  });

  it('drops the oldest records past the buffer limit and counts them', async () => {
    const store = new MemoryStore();
    store.down = true;
    const { r } = recorder(store, { batchSize: 100, bufferLimit: 4 });
    for (let i = 0; i < 6; i++) r.add(record(i));
    expect(r.dropped).toBe(2);
    expect(r.buffered).toBe(4);
    store.down = false;
    await r.drain(Date.now() + 1_000);
    expect(store.records.map((x) => x.id)).toEqual(['chk_2', 'chk_3', 'chk_4', 'chk_5']);
  });

  it('drains everything on shutdown, retrying through transient failures', async () => {
    const store = new MemoryStore();
    const { r } = recorder(store);
    for (let i = 0; i < 7; i++) r.add(record(i));
    store.failingWrites = 2;
    const left = await r.drain(Date.now() + 5_000);
    expect(left).toBe(0);
    expect(store.records).toHaveLength(7);
  });

  it('waits on shutdown for a timed write in flight, and writes its batch again when that write fails', async () => {
    const store = new MemoryStore();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = {
      recordChecks: async (records: CheckRecord[]) => {
        await gate;
        return store.recordChecks(records);
      },
    };
    const { r } = recorder(slow as unknown as MemoryStore);
    r.add(record(1));
    void r.flush(); // the timed flush: its batch has left the buffer and is being written
    expect(r.buffered).toBe(0);
    store.failingWrites = 1;
    let drained = false;
    const draining = r.drain(Date.now() + 5_000).finally(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    release();
    expect(await draining).toBe(0);
    expect(store.records.map((x) => x.id)).toEqual(['chk_1']);
  });

  it('reports what it could not write when the store stays down past the deadline', async () => {
    const store = new MemoryStore();
    store.down = true;
    const { r } = recorder(store);
    r.add(record(1));
    expect(await r.drain(Date.now() + 200)).toBe(1);
  });
});
