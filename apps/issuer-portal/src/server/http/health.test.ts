// /healthz and /readyz: JSON answers of their own, not the single-page app's page (whose
// fallback answers any GET with 200), and /readyz 503 when the store does not answer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, makePortal } from '../../../test/helpers.js';
import { createPortalApp } from '../app.js';
import { healthRouter } from './health.js';

let fixture: Fixture;
let webRoot: string;
beforeEach(async () => {
  fixture = await makePortal();
  // A built web app: its fallback is what answered /healthz and /readyz before.
  webRoot = mkdtempSync(join(tmpdir(), 'portal-web-'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>portal</title>');
});
afterEach(async () => {
  await fixture.close();
  rmSync(webRoot, { recursive: true, force: true });
});

const portalWithUi = () =>
  createPortalApp({ issuer: fixture.issuer, logger: pino({ level: 'silent' }), webRoot }).app;

describe('GET /healthz and /readyz', () => {
  it('answer JSON, not the web app, while the store answers', async () => {
    const app = portalWithUi();
    const live = await request(app).get('/healthz').set('Accept', 'text/html').expect(200);
    expect(live.headers['content-type']).toMatch(/^application\/json/);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await request(app).get('/readyz').set('Accept', '*/*').expect(200);
    expect(ready.headers['content-type']).toMatch(/^application\/json/);
    expect(ready.body).toEqual({ status: 'ready' });
    expect(ready.headers['cache-control']).toBe('no-store');
    // The web app is still served for its own paths.
    expect((await request(app).get('/licenses').expect(200)).text).toContain('<title>portal');
  });

  it('/readyz answers 503 with the error body when the store is down; /healthz stays 200', async () => {
    const app = portalWithUi();
    await fixture.issuer.store.close();
    const ready = await request(app).get('/readyz').set('Accept', 'text/html').expect(503);
    expect(ready.headers['content-type']).toMatch(/^application\/json/);
    expect(ready.body).toEqual({
      error: {
        code: 'ERR_STORE_UNAVAILABLE',
        message: expect.any(String),
        requestId: ready.headers['x-request-id'],
      },
    });
    await request(app).get('/healthz').expect(200, { status: 'ok' });
  });

  it('/readyz answers 503 within its timeout when the store hangs, and names no internals', async () => {
    const hanging = express().use(
      healthRouter({ ping: () => new Promise<void>(() => {}), timeoutMs: 50 }),
    );
    const started = Date.now();
    const late = await request(hanging).get('/readyz').expect(503);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(late.body.error).toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: 'The store did not answer within 50 ms.',
    });
    const failing = express().use(
      healthRouter({ ping: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.5:27017')) }),
    );
    const refused = await request(failing).get('/readyz').expect(503);
    expect(refused.body.error).toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: 'The store does not answer.',
    });
  });
});
