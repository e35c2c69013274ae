// A CRM-like script (examples/crm-issue-key.mjs, run as its own process over real HTTP) issues a
// key for a challenge with an API token alone; the key verifies against the issuer's JWKS.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Keyring, normaliseToken, verifyLicense } from '@licensor/token';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, loginAs, makeChallenge, makePortal, newInstallation } from './helpers.js';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', 'examples', 'crm-issue-key.mjs');

let fixture: Fixture;
let server: ReturnType<Fixture['app']['listen']>;
let url: string;

beforeEach(async () => {
  fixture = await makePortal();
  server = fixture.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await fixture.close();
});

describe('a CRM-like script with an API token', () => {
  it('issues a key for a challenge; the key verifies and the audit log names the token', async () => {
    const alice = await loginAs(fixture, 'alice');
    const made = await alice.agent
      .post('/api/v1/tokens')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'CRM', role: 'issuer' })
      .expect(201);
    const installation = newInstallation();
    const file = join(mkdtempSync(join(tmpdir(), 'licensor-crm-')), 'challenge.txt');
    writeFileSync(file, makeChallenge(fixture, installation));
    const { stdout } = await run(process.execPath, [SCRIPT, file, 'Acme Bank', '250'], {
      env: { ...process.env, LICENSOR_PORTAL_URL: url, LICENSOR_API_TOKEN: made.body.secret },
    });
    const jwks = await fixture.issuer.keys.exportJwks();
    const verified = verifyLicense(normaliseToken(stdout, 'license'), Keyring.fromJwks(jwks));
    expect(verified.claims).toMatchObject({ sub: installation.id, credentials: 250 });
    const events = await fixture.issuer.listAuditEvents({ action: 'license.issue' });
    expect(events.map((e) => e.actor)).toEqual(['token:CRM']);
  });

  it('fails with the 401 body when the token is revoked, and issues nothing', async () => {
    const alice = await loginAs(fixture, 'alice');
    const made = await alice.agent
      .post('/api/v1/tokens')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'CRM', role: 'issuer' })
      .expect(201);
    await alice.agent
      .post(`/api/v1/tokens/${made.body.token.id}/revoke`)
      .set('X-CSRF-Token', alice.csrf)
      .expect(200);
    const file = join(mkdtempSync(join(tmpdir(), 'licensor-crm-')), 'challenge.txt');
    writeFileSync(file, makeChallenge(fixture, newInstallation()));
    const failed = await run(process.execPath, [SCRIPT, file, 'Acme Bank', '250'], {
      env: { ...process.env, LICENSOR_PORTAL_URL: url, LICENSOR_API_TOKEN: made.body.secret },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('ERR_TOKEN_INVALID') });
    expect(await fixture.issuer.listLicenses()).toEqual([]);
  });
});
