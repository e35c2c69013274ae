// The MongoDB role of the documented production setup (deploy/mongo-init.js, which compose.yaml's
// mongo-init runs) against what the verify service really does on a MongoDB store: the service
// is started the way `licensor-verify serve` starts it, answers a version 1 and a version 2 check,
// relays the product's key sets and the store's, refuses a replay and a check from a stranger,
// steps the check chain and records a fork, answers /healthz and /readyz, and stops; every command
// its MongoClient sent is turned into the (collection, action) privileges it needs. The role must
// grant each of them (a missing grant is a service that fails in production only, where the store
// checks access: FerretDB here has no authentication) and nothing the service never uses.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIssuer } from '@licensor/issuer';
import { CHECK_ROLE, openCheckStore } from '@licensor/issuer/checks';
import { MONGO_NONCE_PURGE_EVERY, openStore } from '@licensor/issuer/store';
import {
  type CheckClaims,
  type Ed25519KeyPair,
  generateKeyPair,
  Keyring,
  verifyStatus,
} from '@licensor/token';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../src/serve.js';
import type { CheckStore } from '../src/store-port.js';
import { challengeFor, issuerSecrets, passphrase } from './support/issuer-store.js';
import {
  type CommandLog,
  documentedGrants,
  type Grant,
  grantsOf,
  privilegesOfCommand,
  READ_WRITE_ACTIONS,
  recordCommands,
  repoRoot,
  runInitScript,
  sorted,
} from './support/mongo-grants.js';
import { checkFor } from './support/process.js';

const mongo = process.env.MONGODB_URI;
if (!mongo && process.env.LICENSOR_REQUIRE_MONGO === '1') {
  throw new Error('LICENSOR_REQUIRE_MONGO=1 but MONGODB_URI is not set');
}
if (!mongo) {
  console.info(
    'verify-service MongoDB grants test: the run against a store skipped; set MONGODB_URI (scripts/ferretdb.sh) to run it',
  );
}

/**
 * Granted, and used by the service, but not on the paths this test drives (each says when).
 * Every entry must be a grant of the role: a stale entry fails the test.
 */
const USED_ELSEWHERE: Record<Grant, string> = {
  'check_nonces find':
    'the purge of expired nonces, every 512th admission, on a server without TTL indexes: it finds the oldest expired ids (the purge test below drives it)',
  'check_nonces remove':
    'the purge of expired nonces, every 512th admission, on a server without TTL indexes: it removes those ids (the purge test below drives it)',
  'chain_locks find':
    'reading a held lock: only when another instance holds the same chain or fork at once',
};

describe('the roles deploy/mongo-init.js defines', () => {
  it('compose.yaml runs that script and defines no role of its own', () => {
    const compose = readFileSync(join(repoRoot, 'compose.yaml'), 'utf8');
    expect(compose).toContain('./deploy/mongo-init.js:/licensor/mongo-init.js:ro');
    expect(compose).toMatch(
      /mongosh --host mongo1 --quiet --authenticationDatabase admin -u [^\n]* --file \/licensor\/mongo-init\.js/,
    );
    expect(compose).not.toMatch(/createRole|createUser|privileges/);
  });

  it('compose.yaml turns access control on, without which no role is enforced', () => {
    // FerretDB here has no authentication, so this is the one check that the grants are not
    // words only: every member runs with a key file (which implies --auth) and the first one
    // makes the administrator mongo-init signs in as.
    const compose = readFileSync(join(repoRoot, 'compose.yaml'), 'utf8');
    expect(compose).toMatch(
      /command: \["mongod", "--replSet", "rs0", "--bind_ip_all", "--keyFile", "\/data\/keyfile"\]/,
    );
    for (const member of ['mongo1', 'mongo2', 'mongo3']) {
      expect(compose).toMatch(
        new RegExp(`\\[${member}:/data/db, "./deploy/mongo-keyfile:/licensor/mongo-keyfile:ro"\\]`),
      );
    }
    expect(compose).toMatch(/mongo2:\n {4}<<: \*mongo\n/);
    expect(compose).toMatch(/mongo3:\n {4}<<: \*mongo\n/);
    expect(compose).not.toMatch(/--noauth|"--bind_ip_all"\]/);
    const admin = readFileSync(join(repoRoot, 'deploy/mongo-admin.env.example'), 'utf8');
    expect(admin).toMatch(/^MONGO_INITDB_ROOT_USERNAME=/m);
    expect(admin).toMatch(/^MONGO_INITDB_ROOT_PASSWORD=/m);
  });

  it('makes the verify user with licensorVerify alone, and brings an older role to the same grants on a re-run', () => {
    const fresh = runInitScript('empty');
    const again = runInitScript('roles and users exist');
    expect(fresh.roles.get('licensorVerify')?.how).toBe('create');
    expect(again.roles.get('licensorVerify')?.how).toBe('update');
    expect(sorted(grantsOf(again, 'licensorVerify'))).toEqual(
      sorted(grantsOf(fresh, 'licensorVerify')),
    );
    expect(fresh.users).toEqual([
      { user: 'licensor_verify', db: 'licensor', roles: ['licensorVerify'], pwd: 'verify-pw' },
      { user: 'licensor_issuer', db: 'licensor', roles: ['readWrite'], pwd: 'issuer-pw' },
    ]);
    // Existing users keep their passwords: a re-run creates none.
    expect(again.users).toEqual([]);
  });

  it('docs/deploying.md lists exactly the grants of licensorVerify', () => {
    expect(sorted(documentedGrants('licensorVerify'))).toEqual(
      sorted(grantsOf(runInitScript('empty'), 'licensorVerify')),
    );
  });
});

describe('the privileges of a command', () => {
  const of = (commandName: string, command: Record<string, unknown>) =>
    privilegesOfCommand({ commandName, databaseName: 'licensor', command }).map(
      ({ collection, action }) => `${collection} ${action}`,
    );

  it('maps reads, writes, upserts and index commands to the actions MongoDB checks', () => {
    expect(of('find', { find: 'licenses' })).toEqual(['licenses find']);
    expect(of('getMore', { getMore: 1, collection: 'checks' })).toEqual(['checks find']);
    expect(of('update', { update: 'forks', updates: [{ q: {}, u: {} }] })).toEqual([
      'forks update',
    ]);
    expect(
      of('update', { update: 'fork_policies', updates: [{ q: {}, u: {}, upsert: true }] }),
    ).toEqual(['fork_policies update', 'fork_policies insert']);
    expect(of('delete', { delete: 'chain_locks', deletes: [] })).toEqual(['chain_locks remove']);
    expect(of('findAndModify', { findAndModify: 'heads', update: {}, upsert: true })).toEqual([
      'heads find',
      'heads update',
      'heads insert',
    ]);
    expect(
      of('aggregate', { aggregate: 'licenses', pipeline: [{ $lookup: { from: 'customers' } }] }),
    ).toEqual(['licenses find', 'customers find']);
    expect(of('createIndexes', { createIndexes: 'checks', indexes: [] })).toEqual([
      'checks createIndex',
    ]);
    expect(of('ping', { ping: 1 })).toEqual([]);
  });

  it('refuses to guess: a command or stage it does not know is an error naming it', () => {
    expect(() => of('collMod', { collMod: 'checks' })).toThrow(/collMod command/);
    expect(() => of('aggregate', { aggregate: 'checks', pipeline: [{ $out: 'x' }] })).toThrow(
      /\$out/,
    );
  });
});

/** Counts the calls of each check-role member, and of each chain method, then delegates. */
function counted(store: CheckStore, calls: Map<string, number>): CheckStore {
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const wrap = <T extends object>(target: T, prefix: string): T => {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(target)) {
      const member = (target as Record<string, unknown>)[name];
      out[name] =
        typeof member === 'function'
          ? (...args: unknown[]) => {
              count(`${prefix}${name}`);
              return (member as (...a: unknown[]) => unknown)(...args);
            }
          : member;
    }
    return out as T;
  };
  return { ...wrap(store, ''), chains: wrap(store.chains, 'chains.') };
}

describe.skipIf(!mongo)('the verify service on a MongoDB store, as licensorVerify', () => {
  const opened: { close(): Promise<unknown> }[] = [];
  let log: CommandLog | undefined;
  afterEach(async () => {
    log?.stop();
    for (const handle of opened.splice(0).reverse()) await handle.close().catch(() => undefined);
  });

  const base = () => mongo!.replace(/\/?(\?.*)?$/, '');

  /** A store initialised by the issuer: a product with a license key of its own, a license. */
  async function vendorStore(dbName: string, query = '') {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-grants-'));
    opened.push({ close: async () => rmSync(dataDir, { recursive: true, force: true }) });
    const store = await openStore({ mongoUri: `${base()}/${dbName}${query}`, dataDir });
    opened.push({ close: () => store.close() });
    const issuer = await openIssuer({ store, ...issuerSecrets });
    await issuer.init('test');
    await issuer.products.create({ name: 'CMS' }, 'vendor');
    await issuer.plans.create(
      { name: 'CMS Standard', products: ['CMS'], model: 'subscription', credentials: 50 },
      'vendor',
    );
    const productKey = await issuer.keys.rotate('license', 'vendor', { product: 'CMS' });
    await issuer.keys.activate(productKey.kid, 'vendor');
    const installation = generateKeyPair();
    const issued = await issuer.issue(
      challengeFor(installation),
      { customerName: 'Acme', model: 'subscription', credentials: 50, plan: 'CMS Standard' },
      'vendor',
    );
    return { store, issuer, installation, licenseId: issued.license.id };
  }

  it('runs nothing the role does not grant, and the role grants nothing it never runs', async () => {
    const dbName = `licensor_grants_${randomBytes(6).toString('hex')}`;
    const { store, issuer, installation, licenseId } = await vendorStore(dbName);
    const appName = `licensor-verify-grants-${randomBytes(4).toString('hex')}`;
    log = recordCommands(appName, dbName);
    const calls = new Map<string, number>();
    /** One instance, started as `licensor-verify serve` starts it, on the recorded client. */
    const instance = async () => {
      const running = await serve({
        port: 0,
        host: '127.0.0.1',
        mongoUri: `${base()}/${dbName}?appName=${appName}`,
        passphrase,
        logLevel: 'silent',
        config: {
          viewCacheTtlMs: 0,
          rateLimitPerIp: { burst: 10_000, perSecond: 10_000 },
          rateLimitPerInstallation: { burst: 10_000, perSecond: 10_000 },
        },
        openStore: async (options) =>
          counted(await openCheckStore({ ...options, env: {} }), calls) as Awaited<
            ReturnType<typeof openCheckStore>
          >,
      });
      let stopping: Promise<number> | undefined;
      const stop = () => {
        stopping ??= running.shutdown('test');
        return stopping;
      };
      opened.push({ close: stop });
      const url = running.server.url;
      const post = async (token: string) => {
        const response = await fetch(`${url}/v1/checks`, {
          method: 'POST',
          headers: { 'content-type': 'application/jose' },
          body: token,
        });
        return { status: response.status, text: await response.text() };
      };
      const statusOf = async (token: string) => {
        const answer = await post(token);
        expect(answer.status, answer.text).toBe(200);
        return verifyStatus(answer.text, keyring).claims;
      };
      return { url, post, statusOf, stop };
    };
    const keyring = Keyring.fromJwks(await issuer.keys.exportJwks('CMS'));
    const check = (claims: Partial<CheckClaims>, key: Ed25519KeyPair = installation) =>
      checkFor(licenseId, key, claims);

    const one = await instance();
    const two = await instance();
    expect((await fetch(`${one.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${one.url}/readyz`)).status).toBe(200);

    // A version 1 check, and a version 2 one from an installation that trusts the shipped keys
    // (0): the store's key sets and the product's own are relayed, and its chain starts.
    const v1 = check({});
    expect(await one.statusOf(v1)).toMatchObject({ v: 1, outcome: 'VALID', lid: licenseId });
    const start = await one.statusOf(check({ v: 2, keyset: 0 }));
    expect(start).toMatchObject({ v: 2, outcome: 'VALID' });
    const cmsKeysets = await issuer.keys.keysets('CMS');
    expect(start.keysets).toContain(cmsKeysets.at(-1)!.token);
    // Instance one stops: its records, and the key set version reported, are written.
    expect(await one.stop()).toBe(0);
    expect(await store.keyUsage.getKeysetReport(installation.kid)).toMatchObject({ keyset: 0 });

    // The replay, sent to the other instance: refused by the store's nonce window.
    const replay = await two.post(v1);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.text).error.code).toBe('ERR_CHECK_REPLAYED');
    // The chain goes on at instance two, now trusting the newest key set (the report moves on);
    // the state folder is copied: the original and its copy both hold start.chain.
    const newest = cmsKeysets.at(-1)!.seq;
    const original = await two.statusOf(check({ v: 2, keyset: newest, prev: start.chain! }));
    const copy = await two.statusOf(check({ v: 2, keyset: newest, prev: start.chain! }));
    const originalNext = await two.statusOf(check({ v: 2, keyset: newest, prev: original.chain! }));
    expect(originalNext.forked).toBeUndefined();
    const copyNext = await two.statusOf(check({ v: 2, keyset: newest, prev: copy.chain! }));
    expect(copyNext).toMatchObject({ outcome: 'VALID', forked: true });
    const copyAgain = await two.statusOf(check({ v: 2, keyset: newest, prev: copyNext.chain! }));
    expect(copyAgain.forked).toBe(true);
    // A check of the license by an installation it is not bound to: UNKNOWN, and recorded as a
    // failed check (for the check.failed webhook).
    expect(await two.statusOf(check({}, generateKeyPair()))).toMatchObject({
      outcome: 'UNKNOWN',
    });
    expect(await two.stop()).toBe(0);
    log.stop();

    // The paths ran: the records are in the store.
    const checks = await issuer.listChecks(licenseId);
    expect(checks.length).toBe(7);
    // Every member of the check role the service holds ran (ping needs no privilege, and the
    // service's readiness reads a check view instead). logHealth (for /metrics and the warn log)
    // ran too and sent no command: on MongoDB it says the server keeps its own journal.
    const notCalled = CHECK_ROLE.filter((member) => member !== 'chains' && !calls.has(member));
    expect(notCalled).toEqual(['ping']);
    expect(calls.get('logHealth')).toBeGreaterThan(0);
    expect([...calls.keys()].filter((name) => name.startsWith('chains.')).sort()).toEqual([
      'chains.admitNonce',
      'chains.getChainHead',
      'chains.putChainHead',
      'chains.recordFork',
      'chains.resolveForkPolicy',
    ]);

    expect(log.unmapped).toEqual([]);
    expect(log.elsewhere).toEqual([]);
    const granted = grantsOf(runInitScript('empty'), 'licensorVerify');
    const used = new Set(log.used.keys());
    const missing = sorted([...used].filter((grant) => !granted.has(grant)));
    expect
      .soft(
        missing,
        `the service runs these, and licensorVerify (deploy/mongo-init.js) does not grant them: ${missing.join('; ')}`,
      )
      .toEqual([]);
    const stale = sorted(Object.keys(USED_ELSEWHERE).filter((grant) => !granted.has(grant)));
    expect(stale, 'USED_ELSEWHERE names grants the role no longer has').toEqual([]);
    const unused = sorted(
      [...granted].filter((grant) => !used.has(grant) && !(grant in USED_ELSEWHERE)),
    );
    expect
      .soft(
        unused,
        `licensorVerify grants these and the service never ran them: ${unused.join('; ')}`,
      )
      .toEqual([]);
  });

  it('purges expired nonces (a server without TTL indexes) with only what licensorVerify grants', async () => {
    const dbName = `licensor_grants_${randomBytes(6).toString('hex')}`;
    await vendorStore(dbName);
    const appName = `licensor-verify-purge-${randomBytes(4).toString('hex')}`;
    log = recordCommands(appName, dbName);
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-grants-'));
    opened.push({ close: async () => rmSync(dataDir, { recursive: true, force: true }) });
    // The whole store (the check role's facade is frozen): the same MongoChains the service's holds.
    const checks = await openStore({ mongoUri: `${base()}/${dbName}?appName=${appName}`, dataDir });
    opened.push({ close: () => checks.close() });
    // Opening the whole store sets up its collections (the issuer's user does that): only what the
    // admissions send counts.
    log.used.clear();
    // A server with TTL indexes (MongoDB) removes expired nonces itself and the adapter never
    // purges; FerretDB has none. Either way, drive the purge a server without them runs.
    (checks.chains as unknown as { ttl: boolean }).ttl = false;
    // Every admission lands already expired, so the 512th one's purge has work to do.
    const now = Date.now();
    for (let i = 0; i < MONGO_NONCE_PURGE_EVERY; i++) {
      expect(
        await checks.chains.admitNonce('inst', `n${i}`, Math.floor(now / 1000), now - 1_000, now),
      ).toBe(true);
    }
    log.stop();
    expect(log.unmapped).toEqual([]);
    const used = sorted(log.used.keys());
    // The purge ran: it found the expired ids, then removed them.
    expect(used).toEqual(expect.arrayContaining(['check_nonces find', 'check_nonces remove']));
    const granted = grantsOf(runInitScript('empty'), 'licensorVerify');
    expect(used.filter((grant) => !granted.has(grant))).toEqual([]);
  });

  it("the portal's user (readWrite) covers what the issuer runs, on its own database only", async () => {
    const dbName = `licensor_grants_${randomBytes(6).toString('hex')}`;
    const appName = `licensor-issuer-grants-${randomBytes(4).toString('hex')}`;
    log = recordCommands(appName, dbName);
    const { issuer, licenseId } = await vendorStore(dbName, `?appName=${appName}`);
    await issuer.suspend(licenseId, 'vendor');
    await issuer.revoke(licenseId, 'vendor', 'contract ended');
    log.stop();
    expect(log.unmapped).toEqual([]);
    expect(log.elsewhere).toEqual([]);
    const beyond = sorted(
      [...log.used.keys()].filter((grant) => !READ_WRITE_ACTIONS.has(grant.split(' ')[1]!)),
    );
    expect(beyond, `readWrite does not grant: ${beyond.join('; ')}`).toEqual([]);
    expect([...log.used.keys()].some((grant) => grant.endsWith(' createIndex'))).toBe(true);
  });
});
