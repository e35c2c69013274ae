// POST /v1/checks refusals: each with its status code, its error code, and the one error body.
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createVerifyService } from '../src/service.js';
import {
  checkClaims,
  checkToken,
  installationA,
  licenseToken,
  roomyLimits,
  seededStore,
  signRaw,
  silentLogger,
  statusKey,
  T0,
  T0s,
  targets,
  testService,
} from './support/fixtures.js';
import { errorOf, postCheck } from './support/http.js';

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.usage.credentialsInUse = 1;
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

describe.each(targets)('POST /v1/checks errors (%s)', (_name, target) => {
  it('refuses a body that is not application/jose with 415', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), checkToken(), {
      'content-type': 'application/json',
    });
    expect(answer.status).toBe(415);
    expect(errorOf(answer).code).toBe('ERR_CONTENT_TYPE_UNSUPPORTED');
  });

  it('accepts application/jose with parameters and in any case', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), checkToken(), {
      'content-type': 'Application/JOSE; charset=us-ascii',
    });
    expect(answer.status).toBe(200);
  });

  it('refuses a body over the cap with 413 and closes the connection', async () => {
    const { service } = testService({ maxBodyBytes: 1024 });
    const answer = await postCheck(target(service), 'x'.repeat(2048));
    expect(answer.status).toBe(413);
    expect(errorOf(answer).code).toBe('ERR_BODY_TOO_LARGE');
    expect(answer.headers.connection).toBe('close');
  });

  it('refuses an empty body as a malformed token', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), '');
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_JWS_MALFORMED');
  });

  it('refuses a body that is not a compact JWS', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), 'not-a-token');
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_JWS_MALFORMED');
  });

  it.each([
    ['a BEGIN line alone', '-----BEGIN LICENSOR CHECK-----'],
    [
      'a license armour block',
      '-----BEGIN LICENSOR LICENSE-----\nabc.def.ghi\n-----END LICENSOR LICENSE-----',
    ],
    [
      'an unknown armour block',
      '-----BEGIN LICENSOR CHECK-----\nabc\n-----END LICENSOR CHECK-----',
    ],
  ])(
    'refuses %s with 400 ERR_ARMOR_INVALID, logged below error level (#16.2)',
    async (_what, body) => {
      const lines: { level: number }[] = [];
      const logger = pino(
        { level: 'debug' },
        { write: (line: string) => lines.push(JSON.parse(line)) },
      );
      const service = createVerifyService({
        store: seededStore(),
        statusKeys: [statusKey],
        logger,
        now: () => T0,
        config: roomyLimits,
      });
      const answer = await postCheck(target(service), body);
      expect(answer.status).toBe(400);
      expect(errorOf(answer).code).toBe('ERR_ARMOR_INVALID');
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    },
  );

  it('refuses a license token posted as a check (wrong typ)', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), licenseToken());
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_JWS_TYP_INVALID');
  });

  it('refuses an unsigned token (alg none)', async () => {
    const { service } = testService();
    const header = Buffer.from(
      JSON.stringify({ alg: 'none', typ: 'licensor-check+jwt', kid: installationA.kid }),
    ).toString('base64url');
    const payload = Buffer.from(JSON.stringify(checkClaims())).toString('base64url');
    const answer = await postCheck(target(service), `${header}.${payload}.`);
    expect(answer.status).toBe(400);
    expect(['ERR_JWS_MALFORMED', 'ERR_JWS_ALG_INVALID']).toContain(errorOf(answer).code);
  });

  it('refuses a check whose payload was changed after signing', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), tamper(checkToken()));
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_SIGNATURE_INVALID');
  });

  it('refuses a signed check whose claims break the schema', async () => {
    const { service } = testService();
    const header = { alg: 'EdDSA', typ: 'licensor-check+jwt', kid: installationA.kid };
    const answer = await postCheck(
      target(service),
      signRaw(header, { ...checkClaims(), rev: 0 }, installationA),
    );
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_CLAIMS_INVALID');
  });

  it('refuses a signed check with an unknown format version', async () => {
    const { service } = testService();
    const header = { alg: 'EdDSA', typ: 'licensor-check+jwt', kid: installationA.kid };
    const answer = await postCheck(
      target(service),
      signRaw(header, { ...checkClaims(), v: 99 }, installationA),
    );
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_VERSION_UNSUPPORTED');
  });

  it('refuses a check made more than the window before the service time', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), checkToken({ iat: T0s - 301 }));
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('ERR_CHECK_TIME_SKEW');
  });

  it('refuses a check dated more than the window after the service time', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), checkToken({ iat: T0s + 301 }));
    expect(errorOf(answer).code).toBe('ERR_CHECK_TIME_SKEW');
  });

  it('accepts a check at the edge of the window', async () => {
    const { service } = testService();
    expect((await postCheck(target(service), checkToken({ iat: T0s - 300 }))).status).toBe(200);
    expect((await postCheck(target(service), checkToken({ iat: T0s + 300 }))).status).toBe(200);
  });

  it('answers 429 with Retry-After when a client address is over its rate', async () => {
    const { service } = testService({ rateLimitPerIp: { burst: 2, perSecond: 0.5 } });
    expect((await postCheck(target(service), checkToken())).status).toBe(200);
    expect((await postCheck(target(service), checkToken())).status).toBe(200);
    const answer = await postCheck(target(service), checkToken());
    expect(answer.status).toBe(429);
    expect(errorOf(answer).code).toBe('ERR_RATE_LIMITED');
    expect(answer.headers['retry-after']).toBe('2');
  });

  it('answers 429 when one installation checks too often, across its licenses', async () => {
    const { service } = testService({ rateLimitPerInstallation: { burst: 1, perSecond: 1 / 60 } });
    expect((await postCheck(target(service), checkToken())).status).toBe(200);
    const answer = await postCheck(target(service), checkToken({ lid: 'lic_suspended' }));
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('60');
  });

  it('behind a trusted proxy, limits each client by the last X-Forwarded-For hop', async () => {
    const { service } = testService({
      rateLimitPerIp: { burst: 1, perSecond: 0.01 },
      trustProxy: true,
    });
    const from = (client: string) => ({ 'x-forwarded-for': `198.51.100.9, ${client}` });
    expect((await postCheck(target(service), checkToken(), from('203.0.113.1'))).status).toBe(200);
    expect((await postCheck(target(service), checkToken(), from('203.0.113.2'))).status).toBe(200);
    expect((await postCheck(target(service), checkToken(), from('203.0.113.1'))).status).toBe(429);
  });

  it('ignores X-Forwarded-For unless told to trust a proxy', async () => {
    const { service } = testService({ rateLimitPerIp: { burst: 1, perSecond: 0.01 } });
    expect(
      (await postCheck(target(service), checkToken(), { 'x-forwarded-for': '203.0.113.1' })).status,
    ).toBe(200);
    expect(
      (await postCheck(target(service), checkToken(), { 'x-forwarded-for': '203.0.113.2' })).status,
    ).toBe(429);
  });

  it('lets a limited caller in again once its bucket refills', async () => {
    const { service, clock } = testService({ rateLimitPerIp: { burst: 1, perSecond: 1 } });
    expect((await postCheck(target(service), checkToken())).status).toBe(200);
    expect((await postCheck(target(service), checkToken())).status).toBe(429);
    clock.now = T0 + 1000;
    expect((await postCheck(target(service), checkToken())).status).toBe(200);
  });

  it('answers 503 ERR_STORE_UNAVAILABLE when the store is down, never 500', async () => {
    const { service, store } = testService();
    store.down = true;
    const answer = await postCheck(target(service), checkToken());
    expect(answer.status).toBe(503);
    expect(errorOf(answer).code).toBe('ERR_STORE_UNAVAILABLE');
    expect(answer.text).not.toContain('ECONNREFUSED');
  });

  it('answers a plain 500 ERR_INTERNAL, echoing nothing, when its own status key is broken', async () => {
    const service = createVerifyService({
      store: seededStore(),
      statusKeys: [{ ...statusKey, privateKey: new Uint8Array(5) }],
      logger: silentLogger,
      now: () => T0,
      config: roomyLimits,
    });
    const answer = await postCheck(target(service), checkToken());
    expect(answer.status).toBe(500);
    expect(errorOf(answer)).toEqual({
      code: 'ERR_INTERNAL',
      message: 'The service failed to answer; retry later.',
      requestId: expect.any(String),
    });
  });

  it('answers 405 with Allow to other methods on /v1/checks', async () => {
    const { service } = testService();
    const res = await request(target(service)).get('/v1/checks');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.error.code).toBe('ERR_METHOD_NOT_ALLOWED');
  });

  it('answers 404 ERR_NOT_FOUND to unknown routes', async () => {
    const { service } = testService();
    const res = await request(target(service)).post('/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('ERR_NOT_FOUND');
  });

  it('gives every error the one body shape, with the caller request id', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), 'x', { 'x-request-id': 'trace-123' });
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.text)).toEqual({
      error: { code: 'ERR_JWS_MALFORMED', message: expect.any(String), requestId: 'trace-123' },
    });
    expect(answer.headers['x-request-id']).toBe('trace-123');
  });

  it('replaces a request id that is not a plain token', async () => {
    const { service } = testService();
    const answer = await postCheck(target(service), 'x', { 'x-request-id': 'bad id <script>' });
    expect(errorOf(answer).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts refusals by code in the metrics', async () => {
    const { service } = testService();
    await postCheck(target(service), 'x');
    expect(await service.metricsText()).toContain(
      'licensor_verify_errors_total{code="ERR_JWS_MALFORMED"} 1',
    );
  });
});
