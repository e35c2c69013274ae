// The routes around the check: liveness, readiness (the store answers), Prometheus metrics,
// and the headers every answer carries.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createVerifyApp, createVerifyService } from '../src/service.js';
import {
  checkToken,
  roomyLimits,
  seededStore,
  silentLogger,
  statusKey,
  T0,
  testService,
} from './support/fixtures.js';
import { postCheck, statusOf } from './support/http.js';
import { parseExposition, sampleOf } from './support/prometheus.js';

describe('createVerifyApp', () => {
  it('gives an express app that answers checks and the ops routes', async () => {
    const app = createVerifyApp({
      store: seededStore(),
      statusKeys: [statusKey],
      logger: silentLogger,
      now: () => T0,
      config: roomyLimits,
    });
    expect(statusOf(await postCheck(app, checkToken())).outcome).toBe('VALID');
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  it('refuses to start without a status key', () => {
    expect(() =>
      createVerifyApp({ store: seededStore(), statusKeys: [], logger: silentLogger }),
    ).toThrow(expect.objectContaining({ code: 'ERR_NO_STATUS_KEY' }));
  });
});

describe('ops routes', () => {
  it('answers /healthz while the process runs, even with the store down', async () => {
    const { service, store } = testService();
    store.down = true;
    const res = await request(service.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when the store answers and 503 when it does not', async () => {
    const { service, store } = testService();
    expect((await request(service.app).get('/readyz')).status).toBe(200);
    store.down = true;
    const res = await request(service.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('ERR_STORE_UNAVAILABLE');
  });

  it('answers /readyz 503 ERR_SERVICE_STOPPING once shutdown began', async () => {
    const { service } = testService();
    service.beginShutdown();
    const res = await request(service.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('ERR_SERVICE_STOPPING');
  });

  it('exposes checks by outcome, the latency histogram and the record counters', async () => {
    const { service } = testService();
    await postCheck(service.app, checkToken({ lid: 'lic_valid' }));
    await postCheck(service.app, checkToken({ lid: 'lic_revoked' }));
    await postCheck(service.app, checkToken({ lid: 'lic_nosuch' }));
    await service.recorder.flush();
    const res = await request(service.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseExposition(res.text);
    const checks = (outcome: string) =>
      sampleOf(families, 'licensor_verify_checks_total', { outcome });
    expect(checks('VALID')).toBe(1);
    expect(checks('REVOKED')).toBe(1);
    expect(checks('UNKNOWN')).toBe(1);
    expect(sampleOf(families, 'licensor_verify_check_duration_seconds_count')).toBe(3);
    expect(
      sampleOf(families, 'licensor_verify_check_duration_seconds_bucket', { le: '+Inf' }),
    ).toBe(3);
    expect(sampleOf(families, 'licensor_verify_check_records_flushed_total')).toBe(2);
    expect(sampleOf(families, 'licensor_verify_check_records_dropped_total')).toBe(0);
    // Every check's nonce went to the store, the wait of each timed.
    expect(sampleOf(families, 'licensor_verify_nonce_store_seconds_count')).toBe(3);
  });

  it('times the nonce store wait of the checks that reach the store, not of a replay the process refused itself', async () => {
    const { service } = testService();
    const token = checkToken({ lid: 'lic_valid' });
    expect((await postCheck(service.app, token)).status).toBe(200);
    expect((await postCheck(service.app, token)).status).toBe(400);
    const families = parseExposition((await request(service.app).get('/metrics')).text);
    expect(sampleOf(families, 'licensor_verify_nonce_store_seconds_count')).toBe(1);
    expect(sampleOf(families, 'licensor_verify_nonce_store_seconds_bucket', { le: '+Inf' })).toBe(
      1,
    );
  });

  it('serves /metrics a Prometheus scrape accepts: every gauge a number (#16.4)', async () => {
    const { service } = testService();
    await postCheck(service.app, checkToken({ lid: 'lic_valid' }));
    const res = await request(service.app).get('/metrics');
    const families = parseExposition(res.text);
    expect(sampleOf(families, 'licensor_verify_check_records_buffered')).toBe(1);
    expect(sampleOf(families, 'licensor_verify_replay_nonces')).toBe(1);
  });

  it('answers /metrics only to the scrape token when started with one (LICENSOR_METRICS_TOKEN)', async () => {
    const metricsToken = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const service = createVerifyService({
      store: seededStore(),
      statusKeys: [statusKey],
      logger: silentLogger,
      now: () => T0,
      config: roomyLimits,
      metricsToken,
    });
    await postCheck(service.app, checkToken({ lid: 'lic_valid' }));
    const refused = [
      undefined,
      metricsToken,
      `Basic ${metricsToken}`,
      `Bearer ${metricsToken.slice(1)}`,
      `Bearer ${metricsToken} ${metricsToken}`,
      'Bearer',
    ];
    for (const header of refused) {
      const scrape = request(service.app).get('/metrics');
      const res = await (header === undefined ? scrape : scrape.set('authorization', header));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="licensor-metrics"');
      expect(res.body.error).toMatchObject({
        code: 'ERR_UNAUTHENTICATED',
        message: expect.stringContaining('Authorization: Bearer <LICENSOR_METRICS_TOKEN>'),
      });
      expect(res.text).not.toContain('licensor_verify_');
    }
    // Refused scrapes changed nothing: the one check is still the only one counted.
    const res = await request(service.app)
      .get('/metrics')
      .set('authorization', `Bearer ${metricsToken}`);
    expect(res.status).toBe(200);
    expect(
      sampleOf(parseExposition(res.text), 'licensor_verify_checks_total', { outcome: 'VALID' }),
    ).toBe(1);
    // Checks and the other ops routes need no token.
    expect((await request(service.app).get('/healthz')).status).toBe(200);
    expect(statusOf(await postCheck(service.app, checkToken({ lid: 'lic_valid' }))).outcome).toBe(
      'VALID',
    );
  });

  it('refuses to start with a scrape token that is short or holds a space, saying what to use', () => {
    for (const metricsToken of ['short-token', 'two words, long enough for it']) {
      expect(() =>
        createVerifyService({
          store: seededStore(),
          statusKeys: [statusKey],
          logger: silentLogger,
          metricsToken,
        }),
      ).toThrow(/LICENSOR_METRICS_TOKEN must .*openssl rand -hex 16/);
    }
  });

  it('sends the security headers and a request id on every route', async () => {
    const { service } = testService();
    for (const res of [
      await request(service.app).get('/healthz'),
      await request(service.app).get('/nothing'),
      await request(service.app)
        .post('/v1/checks')
        .set('content-type', 'application/jose')
        .send('x'),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers.etag).toBeUndefined();
    }
  });

  it('echoes a caller request id on the ops routes', async () => {
    const { service } = testService();
    const res = await request(service.app).get('/healthz').set('x-request-id', 'abc-1');
    expect(res.headers['x-request-id']).toBe('abc-1');
  });
});
