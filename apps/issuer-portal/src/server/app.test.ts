import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Issuer } from '@licensor/issuer';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, makePortal } from '../../test/helpers.js';
import { createPortalApp } from './app.js';

let fixture: Fixture;
beforeEach(async () => {
  fixture = await makePortal();
});
afterEach(async () => {
  await fixture.close();
});

describe('security headers', () => {
  it('sends a strict CSP and the usual hardening headers', async () => {
    const response = await request(fixture.app).get('/api/v1/openapi.json').expect(200);
    const csp = response.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('error bodies', () => {
  it('answers an unknown API route with the one error body and a request id', async () => {
    const response = await request(fixture.app).get('/api/v1/nope').expect(404);
    expect(response.body).toEqual({
      error: {
        code: 'ERR_ROUTE_NOT_FOUND',
        message: expect.any(String),
        requestId: response.headers['x-request-id'],
      },
    });
  });

  it('answers malformed JSON with 400 ERR_REQUEST_INVALID', async () => {
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
  });

  it('turns an unexpected failure into a plain 500 that echoes nothing internal', async () => {
    const broken = new Proxy(fixture.issuer, {
      get(target, property, receiver) {
        if (property === 'listCustomers') {
          return () => Promise.reject(new Error('SQLITE_CORRUPT at /srv/secret/licensor.db'));
        }
        return Reflect.get(target, property, receiver);
      },
    }) as Issuer;
    const portal = createPortalApp({
      issuer: broken,
      now: () => fixture.clock.now,
      logger: pino({ level: 'silent' }),
      webRoot: null,
    });
    const login = await request(portal.app)
      .post('/api/v1/auth/login')
      .send({ name: 'vera', password: 'vera-viewer-password' })
      .expect(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const response = await request(portal.app)
      .get('/api/v1/customers')
      .set('Cookie', cookie)
      .expect(500);
    expect(response.body.error.code).toBe('ERR_INTERNAL');
    expect(JSON.stringify(response.body)).not.toMatch(/SQLITE|secret|licensor\.db/);
  });
});

describe('the single-page app', () => {
  let webRoot: string;
  beforeEach(() => {
    webRoot = mkdtempSync(join(tmpdir(), 'portal-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>portal</title>');
    writeFileSync(join(webRoot, 'assets', 'app-abc123.js'), 'console.log(1)');
  });
  afterEach(() => rmSync(webRoot, { recursive: true, force: true }));

  it('serves index.html for deep links and long-cached hashed assets', async () => {
    const portal = createPortalApp({
      issuer: fixture.issuer,
      logger: pino({ level: 'silent' }),
      webRoot,
    });
    const page = await request(portal.app).get('/licenses/lic_abc').expect(200);
    expect(page.text).toContain('<title>portal</title>');
    const asset = await request(portal.app).get('/assets/app-abc123.js').expect(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });
});

describe('behind a TLS-terminating proxy', () => {
  it('accepts a state change whose Origin is the public host the proxy forwards', async () => {
    await fixture.close();
    // The proxy reaches the portal as portal-internal (its own Host) and forwards the public
    // name: both are listed (the Host a request carries is checked too, against DNS rebinding).
    fixture = await makePortal({
      trustProxy: 1,
      allowedHosts: ['licensing.example.com', 'portal-internal'],
    });
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .set('Host', 'portal-internal:4000')
      .set('X-Forwarded-Host', 'licensing.example.com')
      .set('X-Forwarded-Proto', 'https')
      .set('Origin', 'https://licensing.example.com')
      .send({ name: 'vera', password: 'vera-viewer-password' })
      .expect(200);
    expect(String(response.headers['set-cookie'])).toMatch(/^__Host-licensor_portal_sid=.*Secure/);
    await request(fixture.app)
      .post('/api/v1/auth/login')
      .set('Host', 'portal-internal:4000')
      .set('X-Forwarded-Host', 'licensing.example.com')
      .set('Origin', 'https://evil.example')
      .send({ name: 'vera', password: 'vera-viewer-password' })
      .expect(403);
  });
});

describe('health', () => {
  it('answers ok with the store kind', async () => {
    const response = await request(fixture.app).get('/api/v1/health').expect(200);
    expect(response.body).toEqual({ status: 'ok', store: 'sqlite' });
  });
});
