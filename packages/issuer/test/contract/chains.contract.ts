// Contract: the check chain, forks and the nonce window (issue #17), the same on both adapters.
// Two handles on one store stand for two verify-service instances.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { ChainEvidence } from '../../src/store/chain-port.js';
import {
  chainStanding,
  markRestored,
  REANCHOR_REASON,
  rebindChain,
  stepChain,
} from '../../src/store/check-chain.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { chainSteps } from '../support/chain-steps.js';
import { T0, TestInstallation } from '../support/fixtures.js';

const INSTALLATION = 'i'.repeat(43);
/** A check's signed iat (s). */
const IAT = Math.floor(T0 / 1000);
const LICENSE = 'lic_chaincontract000000';

function evidence(address: string, credentialsInUse: number, at = T0): ChainEvidence {
  return { at, address, credentialsInUse, sdkVersion: '0.2.0', presented: null };
}

export function chainsContract(adapter: Adapter): void {
  let store: LicensorStore;
  let other: LicensorStore;

  beforeEach(async () => {
    const handle = await adapter.create();
    store = await handle.open();
    other = await handle.open();
  });
  afterEach(async () => {
    await store.close();
    await other.close();
    await adapter.cleanup();
  });

  /** One check by an installation holding `presented`, answered by `via`. */
  const check = (
    via: LicensorStore,
    presented: string | null,
    token: string,
    address = '10.0.0.1',
    inUse = 5,
  ) =>
    stepChain(
      via.chains,
      {
        installationId: INSTALLATION,
        licenseId: LICENSE,
        presented,
        checkToken: token,
        evidence: { ...evidence(address, inUse), presented },
        now: T0,
      },
      'warn',
    );

  it('one installation checking in turn, through either instance, never forks', async () => {
    let held: string | null = null;
    for (let i = 0; i < 6; i++) {
      const answer = await check(i % 2 === 0 ? store : other, held, `token-${i}`);
      expect(answer.fork).toBeNull();
      held = answer.next;
    }
    expect(await store.chains.listForks({})).toEqual([]);
  });

  it('a lost answer (the same value presented twice) is not a fork', async () => {
    const first = await check(store, null, 'a');
    await check(store, first.next, 'b-lost');
    const retry = await check(other, first.next, 'b-retry');
    expect(retry.fork).toBeNull();
    expect((await check(store, retry.next, 'c')).fork).toBeNull();
  });

  it('the same check token presented again is a replay: refused, nothing written, not a fork', async () => {
    const first = await check(store, null, 'first');
    // Replayed before the installation checks again (its head is what the token presented)…
    const before = await store.chains.getChainHead(INSTALLATION);
    const replay = await check(other, null, 'first', '203.0.113.9');
    expect(replay).toMatchObject({ refused: true, replayed: true, fork: null });
    expect(await store.chains.getChainHead(INSTALLATION)).toEqual(before);
    // …and after it moved on once and the token presents the head again.
    const second = await check(store, first.next, 'second');
    const moved = await store.chains.getChainHead(INSTALLATION);
    expect(await check(other, first.next, 'second', '203.0.113.9')).toMatchObject({
      refused: true,
      replayed: true,
    });
    expect(await store.chains.getChainHead(INSTALLATION)).toEqual(moved);
    expect(await store.chains.listForks({})).toEqual([]);
    expect((await check(store, second.next, 'third')).fork).toBeNull();
  });

  it('two copies diverge: the second to move on is recorded as a fork with both sides evidence', async () => {
    const start = await check(store, null, 'start');
    const a = await check(store, start.next, 'a1', '10.0.0.1', 5);
    const b = await check(other, start.next, 'b1', '10.0.0.2', 7);
    expect(a.fork).toBeNull();
    expect(b.fork).toBeNull();
    expect((await check(store, a.next, 'a2', '10.0.0.1', 6)).fork).toBeNull();
    const forked = await check(other, b.next, 'b2', '10.0.0.2', 8);
    expect(forked.fork).toMatchObject({
      licenseId: LICENSE,
      installationId: INSTALLATION,
      status: 'open',
      action: 'warn',
      divergentChecks: 1,
      copy: { address: '10.0.0.2', credentialsInUse: 8, presented: b.next },
      original: { address: '10.0.0.1', credentialsInUse: 6 },
    });
    // The copy keeps diverging: the same fork counts up; the original is untouched.
    const again = await check(store, forked.next, 'b3', '10.0.0.2', 9);
    expect(again.fork).toMatchObject({ id: forked.fork?.id, divergentChecks: 2 });
    expect((await check(other, a.next, 'a3')).fork).toBeNull();
    expect(await other.chains.listForks({ licenseId: LICENSE, status: 'open' })).toHaveLength(1);
  });

  it('an older backup presenting a value the chain has left is a fork at once, suspended when the license says so', async () => {
    await store.chains.setForkPolicy(LICENSE, 'suspend', T0);
    const one = await check(store, null, '1');
    const two = await check(store, one.next, '2');
    await check(store, two.next, '3');
    const restored = await check(other, one.next, 'restored');
    expect(restored.fork).toMatchObject({ action: 'suspend', status: 'open' });
    expect(await other.chains.getForkPolicy(LICENSE)).toBe('suspend');
    await other.chains.setForkPolicy(LICENSE, null, T0);
    expect(await store.chains.getForkPolicy(LICENSE)).toBeNull();
  });

  it('a new key re-binds the installation: the chain restarts from the challenge value and the fork closes', async () => {
    const start = await check(store, null, 's');
    const a = await check(store, start.next, 'a');
    await check(store, a.next, 'a2');
    const copy = await check(other, start.next, 'copy');
    expect(copy.fork?.status).toBe('open');
    expect(chainStanding(await store.chains.getChainHead(INSTALLATION), copy.next)).toBe('behind');
    const closed = await rebindChain(other.chains, {
      installationId: INSTALLATION,
      licenseId: LICENSE,
      chain: copy.next,
      now: T0 + 1,
      operator: 'alice',
      reason: 'restored from a backup',
    });
    expect(closed).toMatchObject({ status: 'closed', closedBy: 'alice' });
    expect(chainStanding(await store.chains.getChainHead(INSTALLATION), copy.next)).toBe('current');
    expect((await check(store, copy.next, 'after')).fork).toBeNull();
    expect(await store.chains.listForks({ status: 'open' })).toEqual([]);
    expect(await store.chains.listForks({ status: 'closed' })).toHaveLength(1);
  });

  it('a re-bind keeps what the chain accepted: the installation that checked since goes on, a copy still forks', async () => {
    const start = await check(store, null, 's');
    // A challenge made now carries start.next; the installation then checks online twice.
    const a1 = await check(store, start.next, 'a1');
    const a2 = await check(store, a1.next, 'a2');
    expect(chainStanding(await store.chains.getChainHead(INSTALLATION), start.next)).toBe('behind');
    expect(
      await rebindChain(other.chains, {
        installationId: INSTALLATION,
        licenseId: LICENSE,
        chain: start.next,
        now: T0 + 1,
        operator: 'alice',
        reason: 'a key for an older challenge',
      }),
    ).toBeNull();
    // The challenge's value is accepted (a copy that made it, or a restored backup)…
    expect(chainStanding(await store.chains.getChainHead(INSTALLATION), start.next)).toBe(
      'current',
    );
    const copy = await check(other, start.next, 'copy-1', '10.0.0.2');
    expect(copy.fork).toBeNull();
    // …and so is the newest answer the installation holds: no fork.
    const a3 = await check(store, a2.next, 'a3');
    expect(a3.fork).toBeNull();
    expect((await check(store, a3.next, 'a4')).fork).toBeNull();
    // Two copies that both keep running still diverge: the second to move on is a fork.
    const forked = await check(other, copy.next, 'copy-2', '10.0.0.2');
    expect(forked.fork).toMatchObject({ status: 'open', copy: { address: '10.0.0.2' } });
  });

  it('a re-bind while a fork is open cuts off the other side: the copy that checked first does not win', async () => {
    const start = await check(store, null, 's');
    // The copy (K) moves the chain on first; the genuine installation (O) then presents the value
    // the chain has left and is taken for the copy: a fork opens.
    const k1 = await check(other, start.next, 'k1', '10.0.0.9');
    const k2 = await check(other, k1.next, 'k2', '10.0.0.9');
    const o = await check(store, start.next, 'o1', '10.0.0.1');
    expect(o.fork).toMatchObject({ status: 'open' });
    // The vendor issues for O's challenge (it carries start.next): O is the installation now.
    const closed = await rebindChain(store.chains, {
      installationId: INSTALLATION,
      licenseId: LICENSE,
      chain: start.next,
      now: T0 + 1,
      operator: 'alice',
      reason: 'the customer confirmed which machine is theirs',
    });
    expect(closed).not.toBeNull();
    expect(await store.chains.getChainHead(INSTALLATION)).toMatchObject({
      head: start.next,
      issued: [],
      openForkId: null,
    });
    // K's next check continues nothing any more: a new fork, with K as the copy…
    const copy = await check(other, k2.next, 'k3', '10.0.0.9');
    expect(copy.fork).toMatchObject({ status: 'open', copy: { address: '10.0.0.9' } });
  });

  it('a re-bind while a fork is open lets the chosen installation go on', async () => {
    const start = await check(store, null, 's');
    const k1 = await check(other, start.next, 'k1', '10.0.0.9');
    await check(other, k1.next, 'k2', '10.0.0.9');
    expect((await check(store, start.next, 'o1', '10.0.0.1')).fork).toMatchObject({
      status: 'open',
    });
    await rebindChain(store.chains, {
      installationId: INSTALLATION,
      licenseId: LICENSE,
      chain: start.next,
      now: T0 + 1,
      operator: 'alice',
      reason: 'the customer confirmed which machine is theirs',
    });
    // …while O, presenting the challenge's value, goes on without one.
    const o2 = await check(store, start.next, 'o2', '10.0.0.1');
    expect(o2.fork).toBeNull();
    expect((await check(store, o2.next, 'o3', '10.0.0.1')).fork).toBeNull();
  });

  it('a re-bind to the value the installation last presented keeps the answer it holds (a lost answer too)', async () => {
    const start = await check(store, null, 's');
    const a1 = await check(store, start.next, 'a1');
    const lost = await check(store, a1.next, 'a2-lost');
    const a2 = await check(store, a1.next, 'a2');
    await rebindChain(store.chains, {
      installationId: INSTALLATION,
      licenseId: LICENSE,
      chain: a1.next,
      now: T0 + 1,
      operator: 'alice',
      reason: 'a key for a current challenge',
    });
    const head = await store.chains.getChainHead(INSTALLATION);
    expect(head).toMatchObject({ head: a1.next, issued: [lost.next, a2.next], openForkId: null });
    expect((await check(store, a2.next, 'a3')).fork).toBeNull();
  });

  it('checks of two instances at once on one chain: one head, no lost write', async () => {
    const start = await check(store, null, 'start');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => check(i % 2 === 0 ? store : other, start.next, `p${i}`)),
    );
    expect(answers.every((answer) => answer.fork === null)).toBe(true);
    const head = await store.chains.getChainHead(INSTALLATION);
    // The first to arrive moves the head to start.next; the others present the head again.
    expect(head?.head).toBe(start.next);
    expect(head?.issued).toHaveLength(8);
    expect(new Set(answers.map((answer) => answer.next)).size).toBe(8);
    for (const answer of answers) expect(head?.issued).toContain(answer.next);
  });

  it('holds a nonce across instances until it expires', async () => {
    expect(await store.chains.admitNonce(INSTALLATION, 'n1', IAT, T0 + 600_000, T0)).toBe(true);
    expect(await other.chains.admitNonce(INSTALLATION, 'n1', IAT, T0 + 600_000, T0 + 1)).toBe(
      false,
    );
    expect(await other.chains.admitNonce('j'.repeat(43), 'n1', IAT, T0 + 600_000, T0)).toBe(true);
    // Expired (the TTL monitor may not have removed it yet): admitted again.
    expect(
      await other.chains.admitNonce(INSTALLATION, 'n1', IAT, T0 + 1_200_000, T0 + 600_000),
    ).toBe(true);
    expect(
      await store.chains.admitNonce(INSTALLATION, 'n1', IAT, T0 + 1_200_000, T0 + 600_001),
    ).toBe(false);
  });

  it('the vendor sees the fork: inspection names a challenge from the copy, issuing to it re-binds and closes the fork, all audited', async () => {
    const issuer = await openIssuer({ store, now: () => T0, passphrase: '' });
    await issuer.init('alice');
    const installation = new TestInstallation();
    const first = await issuer.issue(
      installation.challenge(),
      { customerName: 'Acme Corp', model: 'perpetual', credentials: 50 },
      'alice',
    );
    const licenseId = first.license.id;
    const steps = chainSteps(store.chains, installation.id, licenseId, () => T0);
    const step = (presented: string | null, token: string, inUse: number) =>
      steps(presented, token, '10.0.0.9', inUse);
    const start = await step(null, 's', 3);
    const original = await step(start.next, 'o1', 3);
    const copy = await step(start.next, 'c1', 9);
    await step(original.next, 'o2', 4);
    expect((await step(copy.next, 'c2', 9)).fork).not.toBeNull();

    // A challenge from the original is current; one from the copy is named.
    const fromOriginal = await issuer.inspect(
      installation.challenge({
        v: 2,
        chain: (await store.chains.getChainHead(installation.id))?.head as string,
        license: null,
      }),
    );
    expect(fromOriginal.findings.map((f) => f.kind)).not.toContain('possible-copy');
    expect(fromOriginal.findings.map((f) => f.kind)).toContain('fork-open');
    const copyChallenge = installation.challenge({
      v: 2,
      chain: copy.next,
      license: { id: licenseId, revision: 1, customerName: 'Acme Corp', model: 'perpetual' },
      credentialsInUse: 9,
    });
    const inspected = await issuer.inspect(copyChallenge);
    expect(inspected.findings).toContainEqual({
      kind: 'possible-copy',
      message: expect.stringMatching(/copy of the installation or from an older backup/),
    });
    const detail = await issuer.getLicense(licenseId);
    expect(detail?.forks).toHaveLength(1);
    expect(detail?.forks[0]).toMatchObject({ status: 'open', copy: { credentialsInUse: 9 } });

    // The vendor decides the copy is a restored backup: a new key re-binds it.
    await issuer.issue(
      copyChallenge,
      { customerName: 'Acme Corp', model: 'perpetual', credentials: 50 },
      'alice',
    );
    expect(await issuer.forks.list({ licenseId, status: 'open' })).toEqual([]);
    expect((await step(copy.next, 'c3', 9)).fork).toBeNull();
    const events = await issuer.listAuditEvents({ action: 'fork.close' });
    expect(events).toHaveLength(1);
  });

  it('a challenge answered already and pasted again after the installation checked online raises no copy alarm', async () => {
    const issuer = await openIssuer({ store, now: () => T0, passphrase: '' });
    await issuer.init('alice');
    const installation = new TestInstallation();
    const challenge = installation.challenge({ v: 2 });
    const first = await issuer.issue(
      challenge,
      { customerName: 'Acme Corp', model: 'perpetual', credentials: 50 },
      'alice',
    );
    const steps = chainSteps(store.chains, installation.id, first.license.id, () => T0);
    const s = await steps(null, 's', '10.0.0.9', 3);
    await steps(s.next, 't', '10.0.0.9', 3);
    // Its key back, unchanged, re-binding nothing: a chain value behind the newest check is no
    // news about a copy here. A new challenge like it from elsewhere still is.
    const again = await issuer.inspect(challenge);
    expect(again.findings.map((f) => f.kind)).toContain('already-issued');
    expect(again.findings.map((f) => f.kind)).not.toContain('possible-copy');
    const unanswered = await issuer.inspect(installation.challenge({ v: 2 }));
    expect(unanswered.findings.map((f) => f.kind)).toContain('possible-copy');
  });

  it('a key for a challenge the installation made before its newest online check (a credentials increase) is no fork, under suspend too', async () => {
    const issuer = await openIssuer({ store, now: () => T0, passphrase: '' });
    await issuer.init('alice');
    const installation = new TestInstallation();
    const first = await issuer.issue(
      installation.challenge({ v: 2 }),
      { customerName: 'Acme Corp', model: 'subscription', credentials: 50 },
      'alice',
    );
    const licenseId = first.license.id;
    await issuer.forks.setPolicy(licenseId, 'suspend', 'alice');
    const steps = chainSteps(store.chains, installation.id, licenseId, () => T0);
    const step = (presented: string | null, token: string) =>
      steps(presented, token, '10.0.0.9', 3);
    const held = { id: licenseId, customerName: 'Acme Corp', model: 'subscription' as const };
    // `licensor apply`, `licensor verify`: the installation holds s.next.
    const s = await step(null, 's');
    // `licensor challenge --credentials 80`: carries s.next.
    const more = installation.challenge({
      v: 2,
      chain: s.next,
      license: { ...held, revision: 1 },
      request: { kind: 'license', credentials: 80 },
    });
    // The daily check runs before the vendor answers: the chain moves past the challenge's value.
    const daily = await step(s.next, 'daily');
    expect((await issuer.inspect(more)).findings.map((f) => f.kind)).not.toContain('possible-copy');
    const raised = await issuer.issue(
      more,
      { customerName: 'Acme Corp', model: 'subscription', credentials: 80 },
      'alice',
    );
    expect(raised.license).toMatchObject({ id: licenseId, credentials: 80, revision: 2 });
    // `licensor apply`, `licensor verify`: the installation presents what the daily check gave.
    const next = await step(daily.next, 'after');
    expect(next).toMatchObject({ fork: null, suspend: false, openFork: null });
    expect((await step(next.next, 'again')).fork).toBeNull();

    // Answering the older of two pending challenges: neither is a fork.
    const older = installation.challenge({
      v: 2,
      chain: next.next,
      license: { ...held, revision: 2 },
      request: { kind: 'license', credentials: 90 },
    });
    const c1 = await step(next.next, 'c1');
    const newer = installation.challenge({
      v: 2,
      chain: c1.next,
      license: { ...held, revision: 2 },
      request: { kind: 'license', credentials: 100 },
    });
    const c2 = await step(c1.next, 'c2');
    await issuer.issue(
      older,
      { customerName: 'Acme Corp', model: 'subscription', credentials: 90 },
      'alice',
    );
    const c3 = await step(c2.next, 'c3');
    expect(c3).toMatchObject({ fork: null, suspend: false });
    await issuer.issue(
      newer,
      { customerName: 'Acme Corp', model: 'subscription', credentials: 100 },
      'alice',
    );
    expect((await step(c3.next, 'c4')).fork).toBeNull();
    expect(await issuer.forks.list({ licenseId })).toEqual([]);
  });

  it('a fork policy per license, audited; a bad one is refused and changes nothing', async () => {
    const issuer = await openIssuer({ store, now: () => T0, passphrase: '' });
    await issuer.init('alice');
    const installation = new TestInstallation();
    const { license } = await issuer.issue(
      installation.challenge(),
      { customerName: 'Acme Corp', model: 'perpetual', credentials: 50 },
      'alice',
    );
    await issuer.forks.setPolicy(license.id, 'suspend', 'alice');
    expect((await issuer.getLicense(license.id))?.forkPolicy).toBe('suspend');
    await expect(
      issuer.forks.setPolicy(license.id, 'explode' as never, 'alice'),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(issuer.forks.setPolicy('lic_nosuch', 'warn', 'alice')).rejects.toMatchObject({
      code: 'ERR_LICENSE_NOT_FOUND',
    });
    expect(await issuer.forks.getPolicy(license.id)).toBe('suspend');
    await issuer.forks.setPolicy(license.id, null, 'alice');
    expect(await issuer.forks.getPolicy(license.id)).toBeNull();
    expect(await issuer.listAuditEvents({ action: 'license.fork-policy' })).toHaveLength(2);
    await expect(issuer.forks.close('frk_nosuch', 'alice', 'x')).rejects.toMatchObject({
      code: 'ERR_FORK_NOT_FOUND',
      // A command that exists: `licensor-issuer forks` alone is a usage error.
      message: 'no fork frk_nosuch in this store: list them with `licensor-issuer forks list`',
    });
  });

  it('a plan carries a fork policy: its licenses follow it unless they set their own', async () => {
    const issuer = await openIssuer({ store, now: () => T0, passphrase: '' });
    await issuer.init('alice');
    const plan = await issuer.plans.create(
      { name: 'Strict', model: 'perpetual', credentials: 50 },
      'alice',
    );
    const issueFrom = async (fromPlan: boolean) =>
      (
        await issuer.issue(
          new TestInstallation().challenge(),
          {
            customerName: 'Acme Corp',
            model: 'perpetual',
            credentials: 50,
            ...(fromPlan ? { plan: 'Strict' } : {}),
          },
          'alice',
        )
      ).license.id;
    const onPlan = await issueFrom(true);
    const ownPolicy = await issueFrom(true);
    const noPlan = await issueFrom(false);
    await issuer.forks.setPlanPolicy('strict', 'suspend-both', 'alice');
    await issuer.forks.setPolicy(ownPolicy, 'warn', 'alice');
    expect(await issuer.forks.getPlanPolicy(plan.id)).toBe('suspend-both');
    expect(await other.chains.resolveForkPolicy(onPlan)).toEqual({
      action: 'suspend-both',
      source: 'plan',
    });
    expect(await other.chains.resolveForkPolicy(ownPolicy)).toEqual({
      action: 'warn',
      source: 'license',
    });
    expect(await other.chains.resolveForkPolicy(noPlan)).toBeNull();
    expect((await issuer.getLicense(onPlan))?.forkPolicyInForce).toEqual({
      action: 'suspend-both',
      source: 'plan',
    });
    // Refused: an unknown plan, an unknown policy; nothing changed.
    await expect(issuer.forks.setPlanPolicy('nosuch', 'warn', 'alice')).rejects.toMatchObject({
      code: 'ERR_PLAN_NOT_FOUND',
    });
    await expect(
      issuer.forks.setPlanPolicy('strict', 'explode' as never, 'alice'),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(await issuer.forks.getPlanPolicy('strict')).toBe('suspend-both');
    expect(await issuer.listAuditEvents({ action: 'plan.fork-policy' })).toMatchObject([
      { subjectId: plan.id, actor: 'alice', details: { action: 'suspend-both' } },
    ]);
    await issuer.forks.setPlanPolicy('strict', null, 'alice');
    expect(await other.chains.resolveForkPolicy(onPlan)).toBeNull();
  });

  it('suspend-both: the copy and the original are SUSPENDED while the fork is open; closing it (with a reason, audited) lifts it, and a later divergence opens a new fork', async () => {
    const issuer = await openIssuer({ store, now: () => T0, passphrase: '' });
    await store.chains.setForkPolicy(LICENSE, 'suspend-both', T0);
    const start = await check(store, null, 'start');
    const a = await check(store, start.next, 'a1');
    expect(a).toMatchObject({ suspend: false, openFork: null });
    const b = await check(other, start.next, 'b1', '10.0.0.2');
    const a2 = await check(store, a.next, 'a2');
    const forked = await check(other, b.next, 'b2', '10.0.0.2');
    expect(forked).toMatchObject({
      suspend: true,
      fork: { action: 'suspend-both', status: 'open' },
    });
    // The original continues the chain, and is suspended too while the fork is open.
    const a3 = await check(store, a2.next, 'a3');
    expect(a3).toMatchObject({ fork: null, suspend: true, openFork: { id: forked.fork?.id } });

    // Closing needs a reason: refused without one, and the fork stays open.
    await expect(issuer.forks.close(forked.fork!.id, 'alice', '  ')).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
    expect((await issuer.forks.get(forked.fork!.id))?.status).toBe('open');
    expect((await check(store, a3.next, 'a4')).suspend).toBe(true);

    const closed = await issuer.forks.close(forked.fork!.id, 'alice', 'the copy was shut down');
    expect(closed).toMatchObject({
      status: 'closed',
      closedBy: 'alice',
      closeReason: 'the copy was shut down',
    });
    expect(await issuer.listAuditEvents({ action: 'fork.close' })).toMatchObject([
      { actor: 'alice', details: { forkId: forked.fork?.id, reason: 'the copy was shut down' } },
    ]);
    const head = await store.chains.getChainHead(INSTALLATION);
    const a5 = await check(store, head!.issued.at(-1) ?? null, 'a5');
    expect(a5).toMatchObject({ fork: null, suspend: false, openFork: null });
    // The copy comes back: a new fork, not the closed one counting up.
    const again = await check(other, forked.next, 'b3', '10.0.0.2');
    expect(again.fork).toMatchObject({ status: 'open', divergentChecks: 1 });
    expect(again.fork?.id).not.toBe(forked.fork?.id);
  });

  it('a policy changed while a fork is open applies to the next divergent check', async () => {
    const start = await check(store, null, 'start');
    const a = await check(store, start.next, 'a1');
    const b = await check(other, start.next, 'b1');
    await check(store, a.next, 'a2');
    const first = await check(other, b.next, 'b2');
    expect(first).toMatchObject({ suspend: false, fork: { action: 'warn' } });
    await store.chains.setForkPolicy(LICENSE, 'suspend', T0);
    const second = await check(other, first.next, 'b3');
    expect(second).toMatchObject({
      suspend: true,
      fork: { id: first.fork?.id, action: 'suspend' },
    });
  });

  // After the vendor restored the store from a backup (`forks after-restore`): a window in which
  // a head from the backup re-anchors once on an unknown value, instead of forking.
  describe('a restore window', () => {
    const HOUR = 3_600_000;
    /** A check at `now`, as `check` above; `offClock` as the service sets refuseFork. */
    const checkAt = (
      presented: string | null,
      token: string,
      now: number,
      { inUse = 5, offClock = false, via = store } = {},
    ) =>
      stepChain(
        via.chains,
        {
          installationId: INSTALLATION,
          licenseId: LICENSE,
          presented,
          checkToken: token,
          evidence: { ...evidence('10.0.0.1', inUse, now), presented },
          now,
          ...(offClock ? { refuseFork: true } : {}),
        },
        'suspend',
      );
    /** The chain as the backup held it, then moved on twice past it, then put back. */
    async function restored() {
      const start = await checkAt(null, 'start', T0);
      const first = await checkAt(start.next, 'first', T0);
      const backup = await store.chains.getChainHead(INSTALLATION);
      const one = await checkAt(first.next, 'one', T0 + HOUR);
      const two = await checkAt(one.next, 'two', T0 + 2 * HOUR);
      const current = await store.chains.getChainHead(INSTALLATION);
      expect(
        await store.chains.putChainHead(
          { ...backup!, version: current!.version + 1 },
          current!.version,
        ),
      ).toBe(true);
      return { first, one, two, since: T0 + 60_000 };
    }
    const mark = (since: number, until: number) => ({
      since,
      until,
      openedAt: T0 + 3 * HOUR,
      openedBy: 'alice',
    });

    it('lists every chain head in installation id order, page by page', async () => {
      for (const id of ['c', 'a', 'b']) {
        await stepChain(
          store.chains,
          {
            installationId: id.repeat(43),
            licenseId: LICENSE,
            presented: null,
            checkToken: id,
            evidence: evidence('10.0.0.1', 1),
            now: T0,
          },
          'warn',
        );
      }
      const first = await other.chains.listChainHeads(null, 2);
      expect(first.map((head) => head.installationId)).toEqual(['a'.repeat(43), 'b'.repeat(43)]);
      const rest = await other.chains.listChainHeads(first[1]!.installationId, 2);
      expect(rest.map((head) => head.installationId)).toEqual(['c'.repeat(43)]);
    });

    it('without a window, the installation that checked since the backup forks', async () => {
      const { two } = await restored();
      const after = await checkAt(two.next, 'after', T0 + 4 * HOUR);
      expect(after).toMatchObject({ suspend: true, fork: { status: 'open' } });
    });

    it('marks a head from the backup, not one checked since, and re-anchors its chain once, recorded as a closed fork', async () => {
      const { one, two, since } = await restored();
      // Checked since the backup (a head the restore did not touch): left alone.
      expect(
        await markRestored(store.chains, INSTALLATION, mark(T0 - 1, T0 + 9 * HOUR)),
      ).toBeNull();
      const marked = await markRestored(store.chains, INSTALLATION, mark(since, T0 + 9 * HOUR));
      expect(marked?.restored).toMatchObject({ since, openedBy: 'alice' });
      const adopted = await checkAt(two.next, 'adopted', T0 + 4 * HOUR, { inUse: 7, via: other });
      expect(adopted).toMatchObject({ fork: null, suspend: false });
      const head = await store.chains.getChainHead(INSTALLATION);
      expect(head).toMatchObject({ head: two.next, issued: [adopted.next] });
      expect(head?.restored).toBeUndefined();
      const [record] = await store.chains.listForks({ status: 'closed' });
      expect(record).toMatchObject({
        installationId: INSTALLATION,
        closedBy: 'alice',
        copy: { credentialsInUse: 7, presented: two.next },
        original: { at: T0 },
      });
      expect(record?.closeReason?.startsWith(REANCHOR_REASON)).toBe(true);
      expect(await store.chains.listForks({ status: 'open' })).toEqual([]);
      // Once: another value the head does not know (a copy left one check behind) is a fork.
      const copy = await checkAt(one.next, 'copy', T0 + 5 * HOUR, { inUse: 9 });
      expect(copy).toMatchObject({ suspend: true, fork: { status: 'open' } });
      expect((await checkAt(adopted.next, 'goes-on', T0 + 5 * HOUR)).fork).toBeNull();
    });

    it('past the window, off the clock, or without a value: no re-anchor', async () => {
      const { two, since } = await restored();
      await markRestored(store.chains, INSTALLATION, mark(since, T0 + 4 * HOUR));
      // Off the clock: refused as a possible replay, nothing written, the mark kept.
      const offClock = await checkAt(two.next, 'off', T0 + 3 * HOUR, { offClock: true });
      expect(offClock).toMatchObject({ refused: true, fork: null });
      // No value at all: a reinstalled or older SDK, not an installation the restore left behind.
      expect(await checkAt(null, 'none', T0 + 3 * HOUR)).toMatchObject({
        fork: { status: 'open' },
      });
      expect((await store.chains.getChainHead(INSTALLATION))?.restored).toBeDefined();
      // The window has passed.
      const late = await checkAt(two.next, 'late', T0 + 5 * HOUR);
      expect(late).toMatchObject({ suspend: true, fork: { status: 'open' } });
      expect(await store.chains.listForks({ status: 'closed' })).toEqual([]);
    });

    it('a check that continues the chain as restored ends the window', async () => {
      const { first, two, since } = await restored();
      await markRestored(store.chains, INSTALLATION, mark(since, T0 + 9 * HOUR));
      const goes = await checkAt(first.next, 'continues', T0 + 4 * HOUR);
      expect(goes.fork).toBeNull();
      expect((await store.chains.getChainHead(INSTALLATION))?.restored).toBeUndefined();
      const copy = await checkAt(two.next, 'copy', T0 + 4 * HOUR);
      expect(copy).toMatchObject({ suspend: true, fork: { status: 'open' } });
    });

    it('the vendor opens it: forks of the restore close, a fork from before the backup stays open, audited', async () => {
      const issuer = await openIssuer({ store, now: () => T0 + 3 * HOUR, passphrase: '' });
      await issuer.init('alice');
      const { two, since } = await restored();
      const forked = await checkAt(two.next, 'forked', T0 + 2 * HOUR + 1);
      // A second installation whose fork was open when the backup was taken: a copy, not the
      // restore's. Its chain re-anchors, and the fork stays open (and attached) for the vendor.
      const OTHER = 'o'.repeat(43);
      const otherCheck = (presented: string | null, token: string, now: number) =>
        stepChain(
          store.chains,
          {
            installationId: OTHER,
            licenseId: LICENSE,
            presented,
            checkToken: token,
            evidence: { ...evidence('10.0.0.2', 1, now), presented },
            now,
          },
          'warn',
        );
      const o1 = await otherCheck(null, 'o1', T0 - 2 * HOUR);
      const o2 = await otherCheck(o1.next, 'o2', T0 - 2 * HOUR);
      await otherCheck(o1.next, 'o2-copy', T0 - 2 * HOUR);
      const oldFork = await otherCheck(null, 'o3-copy', T0 - HOUR);
      expect(oldFork.fork?.status).toBe('open');

      const opened = await issuer.forks.afterRestore(
        { since, windowMs: 24 * HOUR },
        'alice',
        'disk failure',
      );
      expect(opened).toMatchObject({
        since,
        until: T0 + 27 * HOUR,
        marked: 2,
        closedForks: [forked.fork!.id],
      });
      expect(await store.chains.getFork(oldFork.fork!.id)).toMatchObject({ status: 'open' });
      expect((await store.chains.getChainHead(INSTALLATION))?.openForkId).toBeNull();
      expect((await checkAt(forked.next, 'back', T0 + 4 * HOUR)).suspend).toBe(false);
      const o = await otherCheck(o2.next, 'o4', T0 + 4 * HOUR);
      expect(o).toMatchObject({ fork: null, openFork: { id: oldFork.fork?.id } });
      expect(await issuer.listAuditEvents({ action: 'chains.after-restore' })).toMatchObject([
        { actor: 'alice', details: { since, marked: 2, reason: 'disk failure' } },
      ]);
      expect(await issuer.listAuditEvents({ action: 'fork.close' })).toMatchObject([
        { details: { forkId: forked.fork?.id } },
      ]);
    });
  });
}
