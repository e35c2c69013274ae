// The Origin check compares scheme, host and port, and the portal answers only to host names it
// was given (DNS rebinding) (#16.8).
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, makePortal, PASSWORDS } from '../../../test/helpers.js';
import { hostNameOf } from './allowed-hosts.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const credentials = { name: 'vera', password: PASSWORDS.vera };

describe('the Origin of a state change', () => {
  it.each([
    ['another scheme', 'https://portal.test:4000'],
    ['another port', 'http://portal.test:4001'],
    ['the default port for another scheme', 'https://portal.test'],
    ['another host', 'http://evil.test:4000'],
    ['an opaque origin', 'null'],
    ['no URL at all', 'portal.test:4000'],
  ])('is refused when it has %s', async (_what, origin) => {
    fixture = await makePortal({ allowedHosts: ['portal.test'] });
    const response = await request(fixture.app)
      .post('/api/v1/auth/login')
      .set('Host', 'portal.test:4000')
      .set('Origin', origin)
      .send(credentials);
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('ERR_CSRF_INVALID');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('is accepted when scheme, host and port are the portal’s own', async () => {
    fixture = await makePortal({ allowedHosts: ['portal.test'] });
    await request(fixture.app)
      .post('/api/v1/auth/login')
      .set('Host', 'portal.test:4000')
      .set('Origin', 'http://portal.test:4000')
      .send(credentials)
      .expect(200);
  });
});

describe('the Host a request names', () => {
  it.each(['evil.example', 'evil.example:4000', 'portal.test.evil.example'])(
    'is refused with 403 ERR_HOST_NOT_ALLOWED when it is %s, for the API and the pages',
    async (host) => {
      fixture = await makePortal({ allowedHosts: ['portal.test'] });
      const api = await request(fixture.app).get('/api/v1/health').set('Host', host);
      expect(api.status).toBe(403);
      expect(api.body.error.code).toBe('ERR_HOST_NOT_ALLOWED');
      const login = await request(fixture.app)
        .post('/api/v1/auth/login')
        .set('Host', host)
        .send(credentials);
      expect(login.status).toBe(403);
      expect(login.headers['set-cookie']).toBeUndefined();
      const page = await request(fixture.app).get('/').set('Host', host).set('Accept', 'text/html');
      expect(page.status).toBe(403);
      expect(page.text).toContain('ERR_HOST_NOT_ALLOWED');
    },
  );

  it.each([
    'portal.test',
    'PORTAL.test:4000',
    'localhost:4000',
    '127.0.0.1:4000',
    '10.1.2.3',
    '[::1]:4000',
  ])('is answered when it is %s', async (host) => {
    fixture = await makePortal({ allowedHosts: ['portal.test'] });
    await request(fixture.app).get('/api/v1/health').set('Host', host).expect(200);
  });

  it('behind a proxy, is the forwarded host', async () => {
    fixture = await makePortal({ trustProxy: 1, allowedHosts: ['licensing.example.com'] });
    await request(fixture.app)
      .get('/api/v1/health')
      .set('Host', '10.0.0.5:4000')
      .set('X-Forwarded-Host', 'licensing.example.com')
      .expect(200);
    await request(fixture.app)
      .get('/api/v1/health')
      .set('Host', '10.0.0.5:4000')
      .set('X-Forwarded-Host', 'evil.example')
      .expect(403);
  });

  it('behind a proxy that passes the Host through, refuses a rebound name whatever X-Forwarded-Host the page set', async () => {
    // A page on evil.example rebound to the portal is same-origin: its fetch may add any
    // X-Forwarded-Host, and a proxy that passes Host and the header through forwards both.
    fixture = await makePortal({ trustProxy: 1, allowedHosts: ['licensing.example.com'] });
    for (const forwarded of ['localhost', 'licensing.example.com', '127.0.0.1']) {
      const answer = await request(fixture.app)
        .get('/api/v1/health')
        .set('Host', 'evil.example')
        .set('X-Forwarded-Host', forwarded);
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('ERR_HOST_NOT_ALLOWED');
      expect(answer.body.error.message).toContain('evil.example');
    }
    await request(fixture.app)
      .get('/api/v1/health')
      .set('Host', 'licensing.example.com')
      .set('X-Forwarded-Host', 'licensing.example.com')
      .expect(200);
  });
});

describe('hostNameOf', () => {
  it.each([
    ['portal.test:4000', 'portal.test'],
    ['portal.test', 'portal.test'],
    ['[::1]:4000', '[::1]'],
    ['[::1]', '[::1]'],
    ['10.0.0.5:4000', '10.0.0.5'],
  ])('reads %s as %s', (header, name) => {
    expect(hostNameOf(header)).toBe(name);
  });
});
