// What a hostile tester sent the portal (#16.1, #16.3): every request it cannot read is the
// client's mistake, answered with the portal's own page or JSON body and a 4xx, never with
// express's default page (stack trace, absolute paths) and never with a 500.
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, makePortal } from '../../test/helpers.js';
import { createPortalApp } from './app.js';

let fixture: Fixture;
let webRoot: string;
beforeEach(async () => {
  fixture = await makePortal();
  webRoot = mkdtempSync(join(tmpdir(), 'portal-web-'));
  mkdirSync(join(webRoot, 'assets'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>portal</title>');
});
afterEach(async () => {
  await fixture.close();
  rmSync(webRoot, { recursive: true, force: true });
});

/** Nothing internal: no stack frame, no absolute path, no exception name. */
function expectNothingInternal(text: string): void {
  expect(text).not.toMatch(/\bat \S+ \(|node_modules|URIError|\/work\/|\/home\/|\/srv\/|<pre>/);
}

describe.each([
  ['with the UI built', () => webRoot],
  ['without the UI', () => null],
])('a malformed path (%s) (#16.1)', (_name, root) => {
  const portal = () =>
    createPortalApp({ issuer: fixture.issuer, logger: pino({ level: 'silent' }), webRoot: root() })
      .app;

  it.each(['/%c0', '/%', '/assets/..%c0%af..', '/licenses/%E0%A4%A'])(
    'GET %s is a 400 on the portal page, with no stack',
    async (path) => {
      const response = await request(portal()).get(path).set('Accept', 'text/html');
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain('Licensor portal');
      expect(response.text).toContain(response.headers['x-request-id']);
      expectNothingInternal(response.text);
    },
  );

  it('answers the one JSON error body to a client that asks for JSON', async () => {
    const response = await request(portal()).get('/%c0').set('Accept', 'application/json');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: {
        code: 'ERR_REQUEST_INVALID',
        message: expect.any(String),
        requestId: response.headers['x-request-id'],
      },
    });
    expectNothingInternal(response.text);
  });

  it('answers a path no route serves with the portal 404 page', async () => {
    const response = await request(portal()).post('/nothing-here').set('Accept', 'text/html');
    expect(response.status).toBe(404);
    expect(response.text).toContain('Page not found');
    expectNothingInternal(response.text);
  });
});

describe('request bodies and paths the API cannot read (#16.3)', () => {
  const login = () => request(fixture.app).post('/api/v1/auth/login');
  const credentials = JSON.stringify({ name: 'vera', password: 'vera-viewer-password' });

  it('refuses JSON in an unknown charset with 415', async () => {
    const response = await login()
      .set('Content-Type', 'application/json; charset=bogus')
      .send(credentials);
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a gzip body that does not inflate with 400', async () => {
    const response = await login()
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('this is not gzip at all');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
    expectNothingInternal(response.text);
  });

  it('still reads a gzip body that does inflate', async () => {
    const server = fixture.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(credentials),
      });
      expect(response.status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('refuses a Content-Encoding it does not read with 415', async () => {
    const response = await login()
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'x-bogus')
      .send(credentials);
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it.each(['/api/v1/licenses/%', '/api/v1/licenses/%c0', '/api/v1/customers/%zz'])(
    'answers GET %s with 400 ERR_REQUEST_INVALID',
    async (path) => {
      const response = await request(fixture.app).get(path);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
      expectNothingInternal(response.text);
    },
  );
});
