import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stepChain } from '@licensor/issuer/checks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  issueThroughApi,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
} from '../../../../test/helpers.js';

// better-sqlite3 as the issuer package has it (the portal has no dependency of its own on it),
// for a test that edits the store's file directly.
type SqliteFile = {
  exec(sql: string): void;
  prepare(sql: string): { run(...args: unknown[]): unknown };
  close(): void;
};
const Database = createRequire(createRequire(import.meta.url).resolve('@licensor/issuer'))(
  'better-sqlite3',
) as new (
  file: string,
) => SqliteFile;

// The standalone verifier ships in the issuer package (scripts/verify-audit-export.mjs).
const VERIFIER = fileURLToPath(
  new URL('../../../../../../packages/issuer/scripts/verify-audit-export.mjs', import.meta.url),
);

let fixture: Fixture;
let issuer: LoggedIn;
let licenseId: string;

beforeEach(async () => {
  fixture = await makePortal();
  issuer = await loginAs(fixture, 'ivan');
  licenseId = (await issueThroughApi(issuer, makeChallenge(fixture, newInstallation()))).license.id;
});
afterEach(async () => {
  await fixture.close();
});

/** Two copies of the license's installation check in: the verify service records a fork. */
async function forked(): Promise<string> {
  const detail = (await issuer.agent.get(`/api/v1/licenses/${licenseId}`)).body;
  const step = (presented: string | null, token: string) =>
    stepChain(
      fixture.issuer.store.chains,
      {
        installationId: detail.license.installationId,
        licenseId,
        presented,
        checkToken: token,
        evidence: {
          at: fixture.clock.now,
          address: '10.0.0.1',
          credentialsInUse: 1,
          sdkVersion: '0.2.0',
          presented,
        },
        now: fixture.clock.now,
      },
      'warn',
    );
  const start = await step(null, 's');
  const original = await step(start.next, 'o');
  const copy = await step(start.next, 'c');
  await step(original.next, 'o2');
  const fork = (await step(copy.next, 'c2')).fork;
  return fork!.id;
}

describe('fork controls', () => {
  it('sets a license fork policy (audited); a viewer may not; a bad one is 400 and changes nothing', async () => {
    const put = (who: LoggedIn, body: object) =>
      who.agent
        .put(`/api/v1/licenses/${licenseId}/fork-policy`)
        .set('X-CSRF-Token', who.csrf)
        .send(body);
    expect((await put(issuer, { action: 'suspend-both' }).expect(200)).body).toEqual({
      forkPolicy: 'suspend-both',
    });
    const viewer = await loginAs(fixture, 'vera');
    await put(viewer, { action: 'warn' }).expect(403);
    const bad = await put(issuer, { action: 'explode' }).expect(400);
    expect(bad.body.error.code).toBe('ERR_REQUEST_INVALID');
    const detail = (await issuer.agent.get(`/api/v1/licenses/${licenseId}`)).body;
    expect(detail).toMatchObject({
      forkPolicy: 'suspend-both',
      forkPolicyInForce: { action: 'suspend-both', source: 'license' },
    });
    const events = (
      await issuer.agent.get('/api/v1/audit').query({ action: 'license.fork-policy' })
    ).body.items;
    expect(events).toMatchObject([
      { actor: 'ivan', subjectId: licenseId, details: { action: 'suspend-both' } },
    ]);
  });

  it("sets a plan's fork policy (admin only); an unknown plan is 404", async () => {
    await fixture.issuer.plans.create(
      { name: 'Strict', model: 'perpetual', credentials: 10 },
      'alice',
    );
    const admin = await loginAs(fixture, 'alice');
    const put = (who: LoggedIn, plan: string) =>
      who.agent
        .put(`/api/v1/plans/${plan}/fork-policy`)
        .set('X-CSRF-Token', who.csrf)
        .send({ action: 'suspend' });
    await put(issuer, 'Strict').expect(403);
    expect((await put(admin, 'Strict').expect(200)).body).toEqual({ forkPolicy: 'suspend' });
    expect((await put(admin, 'Nosuch').expect(404)).body.error.code).toBe('ERR_PLAN_NOT_FOUND');
    expect((await issuer.agent.get('/api/v1/plans/Strict/fork-policy').expect(200)).body).toEqual({
      forkPolicy: 'suspend',
    });
  });

  it('closes a fork with a reason (audited); without a reason it is refused and the fork stays open', async () => {
    const forkId = await forked();
    const close = (body: object) =>
      issuer.agent
        .post(`/api/v1/forks/${forkId}/close`)
        .set('X-CSRF-Token', issuer.csrf)
        .send(body);
    await close({ reason: '   ' }).expect(400);
    expect((await fixture.issuer.forks.get(forkId))?.status).toBe('open');
    const closed = (await close({ reason: 'the copy was shut down' }).expect(200)).body;
    expect(closed).toMatchObject({
      status: 'closed',
      closedBy: 'ivan',
      closeReason: 'the copy was shut down',
    });
    expect((await close({ reason: 'again' }).expect(409)).body.error.code).toBe('ERR_FORK_CLOSED');
    const events = (await issuer.agent.get('/api/v1/audit').query({ action: 'fork.close' })).body
      .items;
    expect(events).toMatchObject([
      { actor: 'ivan', details: { forkId, reason: 'the copy was shut down' } },
    ]);
  });
});

describe('the audit chain', () => {
  it('says the chain holds and downloads an export the standalone verifier accepts', async () => {
    const status = (await issuer.agent.get('/api/v1/audit/chain').expect(200)).body;
    expect(status).toMatchObject({ ok: true, broken: null, legacy: 0 });
    expect(status.head.seq).toBe(status.entries);
    const download = await issuer.agent
      .get('/api/v1/audit/chain/export')
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => done(null, text));
      })
      .expect(200);
    expect(download.headers['content-type']).toMatch('application/x-ndjson');
    expect(download.headers['content-disposition']).toMatch(
      /attachment; filename="licensor-audit-\d{4}-\d{2}-\d{2}\.jsonl"/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'portal-audit-'));
    try {
      writeFileSync(join(dir, 'export.jsonl'), download.body as string);
      writeFileSync(join(dir, 'jwks.json'), JSON.stringify(await fixture.issuer.keys.exportJwks()));
      const { stdout } = await promisify(execFile)(process.execPath, [
        VERIFIER,
        join(dir, 'export.jsonl'),
        join(dir, 'jwks.json'),
      ]);
      expect(stdout).toMatch(`OK: ${status.head.seq} chained entries`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a broken chain is 409 ERR_AUDIT_CHAIN_BROKEN before any byte of the file', async () => {
    tamper(fixture, 2);
    const answer = await issuer.agent.get('/api/v1/audit/chain/export').expect(409);
    expect(answer.headers['content-type']).toMatch('application/json');
    expect(answer.headers['content-disposition']).toBeUndefined();
    expect(answer.body.error.code).toBe('ERR_AUDIT_CHAIN_BROKEN');
    expect(answer.body.error.message).toMatch(/audit entry 2 .* Nothing was exported/);
  });

  it('an entry edited while the file is sent cuts the download short, without its head', async () => {
    // The edit lands between the check (pass 1) and the lines (pass 2).
    const real = fixture.issuer.audit.export;
    fixture.issuer.audit.export = async () => {
      const exported = await real();
      tamper(fixture, 3);
      return exported;
    };
    const server = fixture.app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const got = await new Promise<{ status: number; complete: boolean; text: string }>(
        (done, fail) => {
          const req = get(
            { port, path: '/api/v1/audit/chain/export', headers: { cookie: issuer.cookie } },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => {
                text += chunk;
              });
              res.on('close', () =>
                done({ status: res.statusCode ?? 0, complete: res.complete, text }),
              );
            },
          );
          req.on('error', fail);
        },
      );
      expect(got.status).toBe(200);
      expect(got.complete).toBe(false);
      expect(got.text).not.toMatch('"head"');
    } finally {
      server.close();
    }
  });
});

/**
 * What someone with the database file does (the append-only triggers do not stop them): changes
 * the actor of the audit entry at `seq`, its recorded hash left as it was.
 */
function tamper(on: Fixture, seq: number): void {
  const db = new Database(join(on.issuer.store.dataDir, 'licensor.db'));
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_events_no_update');
    db.prepare(`UPDATE audit_events SET actor = 'mallory' WHERE seq = ?`).run(seq);
  } finally {
    db.close();
  }
}
