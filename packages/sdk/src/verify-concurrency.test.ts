// Verify License waits for the network without the state lock: View License, capacity and other
// changes go on meanwhile (another Licensor object on the folder stands for another process),
// while two verifies of one installation still take turns, so the check chain never forks.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { admin, answer, FrozenClock, setup, term } from '../test/fixtures.js';
import { startVerifyServer, statusFor, type VerifyServer } from '../test/verify-server.js';
import { FileStore, LOCK_FILE, VERIFY_LOCK_FILE } from './store/file-store.js';

const servers: VerifyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A subscription on a FileStore folder, its verify server, and a second object on the folder. */
async function sharedFolder() {
  const dir = join(mkdtempSync(join(tmpdir(), 'licensor-verify-')), 'state');
  const clock = new FrozenClock();
  const one = setup({ store: new FileStore(dir), clock }).licensor;
  const server = await startVerifyServer(clock);
  servers.push(server);
  const { challenge } = await one.createChallenge(admin, { model: 'subscription' });
  server.register(challenge);
  await one.applyLicenseKey(
    admin,
    answer(challenge, { model: 'subscription', term: term(clock.seconds, 365, 14) }),
  );
  const two = setup({ store: new FileStore(dir), clock }).licensor;
  return { dir, clock, one, two, server, url: server.url };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

describe('Verify License and the state lock', () => {
  it('View License, capacity and Get challenge do not wait for a verify whose service hangs', async () => {
    const { one, two, server, url } = await sharedFolder();
    server.plan = () => 'hang';
    const verify = one.verifyOnline(admin, { url, timeoutMs: 2500 });
    await sleep(300);
    const view = await timed(() => two.getLicenseInfo(admin));
    const capacity = await timed(() => two.capacity(1));
    const challenge = await timed(() => two.createChallenge(admin));
    const sameObject = await timed(() => one.getLicenseInfo(admin));
    for (const step of [view, capacity, challenge, sameObject]) expect(step.ms).toBeLessThan(1000);
    expect(view.value.state).toBe('active');
    const result = await verify;
    expect(result.error?.code).toBe('ERR_VERIFY_TIMEOUT');
    // The failed check was recorded on the state as it is now: the challenge made meanwhile stays.
    const pending = await two.listPendingRequests(admin);
    expect(pending.map((request) => request.id)).toContain(challenge.value.request.id);
    expect((await two.getLicenseInfo(admin)).lastCheckAttempt).toMatchObject({
      ok: false,
      code: 'ERR_VERIFY_TIMEOUT',
    });
    expect(await two.verifyAudit(admin)).toMatchObject({ ok: true, firstBroken: null });
  });

  it('two verifies at once on one installation take turns: the second check continues the chain of the first', async () => {
    const { one, two, server, url, clock } = await sharedFolder();
    server.plan = async (check, id) => {
      await sleep(200);
      return statusFor(check, id, clock);
    };
    const results = await Promise.all([
      one.verifyOnline(admin, { url }),
      two.verifyOnline(admin, { url }),
      one.verifyOnline(admin, { url }),
    ]);
    expect(results.map((result) => [result.ok, result.forked])).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
    const [first, second, third] = server.checks;
    const chainOf = (check: typeof first) =>
      createHash('sha256')
        .update(`test-chain:${check?.prev ?? ''}:${check?.nonce}`)
        .digest('base64url');
    expect(first?.prev).toBeUndefined();
    expect(second?.prev).toBe(chainOf(first));
    expect(third?.prev).toBe(chainOf(second));
    expect(await one.verifyAudit(admin)).toMatchObject({ ok: true });
  });

  it('a verify applies what the status says on top of a license change made during its wait', async () => {
    const { one, two, server, url, clock } = await sharedFolder();
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.plan = async (check, id) => {
      await answered;
      return statusFor(check, id, clock);
    };
    const verify = one.verifyOnline(admin, { url });
    await sleep(200);
    const { challenge } = await two.createChallenge(admin, { credentials: 50 });
    await two.applyLicenseKey(
      admin,
      answer(challenge, { model: 'subscription', term: term(clock.seconds, 365, 14) }),
    );
    release();
    const result = await verify;
    expect(result).toMatchObject({ ok: true, outcome: 'VALID' });
    expect(result.info).toMatchObject({ revision: 2, credentials: 50, state: 'active' });
  });
});

describe('FileStore lock messages', () => {
  it('names the live process that holds the state lock and never tells to delete its lock', async () => {
    const { dir } = await sharedFolder();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() - 3000 }),
    );
    const licensor = setup({ store: new FileStore(dir, { lockTimeoutMs: 100 }) }).licensor;
    const error = await licensor.createChallenge(admin).catch((caught) => caught);
    expect(error).toMatchObject({ code: 'ERR_STATE_LOCKED' });
    expect(error.message).toContain(`process ${process.pid} on this machine has held`);
    expect(error.message).toContain('do not delete it');
    expect(error.message).not.toMatch(/if no other process runs, delete/);
  });

  it('says a lock of another host may be deleted only once its process no longer runs there', async () => {
    const { dir } = await sharedFolder();
    writeFileSync(
      join(dir, VERIFY_LOCK_FILE),
      JSON.stringify({ pid: 4242, host: 'cms-node-2', at: Date.now() }),
    );
    const error = await new FileStore(dir, { verifyLockTimeoutMs: 50 })
      .exclusiveVerify(async () => 'ran')
      .catch((caught) => caught);
    expect(error).toMatchObject({ code: 'ERR_STATE_LOCKED' });
    expect(error.message).toContain('running Verify License');
    expect(error.message).toContain('Only if process 4242 no longer runs on cms-node-2');
  });
});
