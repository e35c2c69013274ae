// The store goes away and comes back: checks answer 503 while it is away (never a stale
// guess past the cache TTL, never a 500), and 200 again as soon as it is back.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createVerifyService } from '../src/service.js';
import {
  checkToken,
  roomyLimits,
  seededStore,
  statusKey,
  T0,
  T0s,
  targets,
  testService,
} from './support/fixtures.js';
import { errorOf, postCheck, statusOf } from './support/http.js';

describe.each(targets)('store outage (%s)', (_name, target) => {
  it('answers 503 while the store is down and 200 once it is back', async () => {
    const { service, store, clock } = testService();
    expect(statusOf(await postCheck(target(service), checkToken())).outcome).toBe('VALID');

    store.down = true;
    clock.now = T0 + 5_000; // past the cache TTL: the store must be read
    const down = await postCheck(target(service), checkToken({ iat: T0s + 5 }));
    expect(down.status).toBe(503);
    expect(errorOf(down).code).toBe('ERR_STORE_UNAVAILABLE');

    store.down = false;
    expect(statusOf(await postCheck(target(service), checkToken({ iat: T0s + 5 }))).outcome).toBe(
      'VALID',
    );
  });

  it('answers 503, never 500, when the nonce write fails with an error of any kind', async () => {
    const { service, store } = testService();
    store.chains.admitNonce = async () => {
      throw new Error('write concern not satisfied');
    };
    const answer = await postCheck(target(service), checkToken());
    expect(answer.status).toBe(503);
    expect(errorOf(answer).code).toBe('ERR_STORE_UNAVAILABLE');
    await service.recorder.flush();
    expect(store.records).toHaveLength(0);
  });

  it("answers the store's own ERR_STORE_UNAVAILABLE with the service's message; what failed inside the store goes only to the log, with the request id", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const store = seededStore();
    const service = createVerifyService({
      store,
      statusKeys: [statusKey],
      logger,
      now: () => T0,
      config: roomyLimits,
    });
    // What the issuer's SQLite store throws when its checks table is gone.
    const inside = 'the check nonce could not be written: no such table: checks';
    store.chains.admitNonce = async () => {
      throw Object.assign(new Error(inside), { code: 'ERR_STORE_UNAVAILABLE' });
    };
    const answer = await postCheck(target(service), checkToken(), { 'x-request-id': 'req-1' });
    expect(answer.status).toBe(503);
    expect(errorOf(answer)).toEqual({
      code: 'ERR_STORE_UNAVAILABLE',
      message: 'The license store cannot be reached; retry later.',
      requestId: 'req-1',
    });
    expect(answer.text).not.toContain('no such table');
    const logged = lines.find((line) => line.msg === 'check failed');
    expect(logged).toMatchObject({ requestId: 'req-1', code: 'ERR_STORE_UNAVAILABLE' });
    expect(JSON.stringify(logged)).toContain(inside);
    await service.drain(Date.now());
  });

  it('answers 503 when the nonce write does not return within the store deadline', async () => {
    const { service, store } = testService({ storeTimeoutMs: 150 });
    store.chains.admitNonce = () => new Promise<boolean>(() => undefined);
    const started = Date.now();
    const answer = await postCheck(target(service), checkToken({ v: 2 }));
    expect(answer.status).toBe(503);
    expect(errorOf(answer).code).toBe('ERR_STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("answers 503 when a version 2 check's chain step fails or hangs, and writes no record", async () => {
    const { service, store } = testService({ storeTimeoutMs: 150 });
    const getChainHead = store.chains.getChainHead.bind(store.chains);
    store.chains.getChainHead = async () => {
      throw new Error('the lock stayed held');
    };
    const failed = await postCheck(target(service), checkToken({ v: 2 }));
    expect(failed.status).toBe(503);
    expect(errorOf(failed).code).toBe('ERR_STORE_UNAVAILABLE');
    store.chains.getChainHead = () => new Promise(() => undefined);
    const hung = await postCheck(target(service), checkToken({ v: 2 }));
    expect(hung.status).toBe(503);
    expect(errorOf(hung).code).toBe('ERR_STORE_UNAVAILABLE');
    await service.recorder.flush();
    expect(store.records).toHaveLength(0);
    // The store back: a new check is answered.
    store.chains.getChainHead = getChainHead;
    expect(statusOf(await postCheck(target(service), checkToken({ v: 2 }))).outcome).toBe('VALID');
  });

  it('keeps answering from the cache within its TTL while the store is down', async () => {
    const { service, store, clock } = testService();
    await postCheck(target(service), checkToken());
    store.down = true;
    clock.now = T0 + 1_000;
    expect(statusOf(await postCheck(target(service), checkToken())).outcome).toBe('VALID');
  });

  it('keeps the records of checks answered before an outage and writes them afterwards', async () => {
    const { service, store, clock } = testService();
    await postCheck(target(service), checkToken());
    store.down = true;
    await service.recorder.flush();
    expect(service.recorder.failures).toBe(1);
    store.down = false;
    clock.now = T0 + 1_000;
    await service.recorder.flush();
    expect(store.records).toHaveLength(1);
    expect(await service.metricsText()).toContain(
      'licensor_verify_check_records_flush_failures_total 1',
    );
  });
});
