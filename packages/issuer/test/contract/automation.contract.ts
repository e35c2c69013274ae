// Contract: the automation and accounts port (API tokens, portal sessions, failed-login
// counters), the same on both adapters. Two handles on one store stand for two portal processes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import {
  type ApiTokenRecord,
  DeliveryInFlightError,
  type PortalSessionRecord,
} from '../../src/store/automation-port.js';
import type { LicensorStore } from '../../src/store/ports.js';
import { newDelivery } from '../../src/store/webhook-events.js';
import type { Adapter } from '../support/adapters.js';
import { frozenClock, T0, TestInstallation } from '../support/fixtures.js';

class SimulatedCrash extends Error {}
const terms = { customerName: 'Acme Corp', model: 'perpetual', credentials: 5 } as const;

function token(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  return {
    id: 'tok_0123456789abcdef',
    name: 'CRM sync',
    role: 'issuer',
    secretHash: 'a'.repeat(64),
    createdAt: T0,
    createdBy: 'alice',
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    revokedBy: null,
    ...overrides,
  };
}

function session(overrides: Partial<PortalSessionRecord> = {}): PortalSessionRecord {
  return {
    idHash: 'hash-1',
    csrfToken: 'csrf-1',
    userId: 'usr_1',
    userName: 'ivan',
    role: 'issuer',
    createdAt: T0,
    lastSeenAt: T0,
    ...overrides,
  };
}

export function automationContract(adapter: Adapter): void {
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

  describe('API tokens', () => {
    it('keeps names unique regardless of case; a refused insert writes nothing', async () => {
      expect(await store.automation.insertApiToken(token())).toBe(true);
      expect(
        await other.automation.insertApiToken(
          token({ id: 'tok_fedcba9876543210', name: 'crm SYNC', role: 'viewer' }),
        ),
      ).toBe(false);
      expect(await store.automation.listApiTokens()).toEqual([token()]);
      expect(await store.automation.getApiToken('tok_fedcba9876543210')).toBeNull();
    });

    it('revokes once, and moves last use only forward', async () => {
      await store.automation.insertApiToken(token());
      expect(await other.automation.revokeApiToken(token().id, T0 + 5, 'alice')).toBe(true);
      expect(await store.automation.revokeApiToken(token().id, T0 + 9, 'bob')).toBe(false);
      expect(await store.automation.revokeApiToken('tok_missing', T0 + 9, 'bob')).toBe(false);
      await store.automation.touchApiToken(token().id, T0 + 20);
      await other.automation.touchApiToken(token().id, T0 + 10);
      expect(await store.automation.getApiToken(token().id)).toEqual(
        token({ revokedAt: T0 + 5, revokedBy: 'alice', lastUsedAt: T0 + 20 }),
      );
    });
  });

  describe('portal sessions', () => {
    it('are seen by another process, touched forward only, and ended per user', async () => {
      await store.automation.putSession(session());
      await store.automation.putSession(session({ idHash: 'hash-2', csrfToken: 'csrf-2' }));
      await store.automation.putSession(
        session({ idHash: 'hash-3', userId: 'usr_2', userName: 'vera', role: 'viewer' }),
      );
      expect(await other.automation.getSession('hash-1')).toEqual(session());
      await other.automation.touchSession('hash-1', T0 + 60_000);
      await store.automation.touchSession('hash-1', T0 + 30_000);
      expect((await store.automation.getSession('hash-1'))?.lastSeenAt).toBe(T0 + 60_000);
      await other.automation.deleteSessionsOfUser('usr_1');
      expect(await store.automation.getSession('hash-1')).toBeNull();
      expect(await store.automation.getSession('hash-2')).toBeNull();
      expect(await store.automation.getSession('hash-3')).not.toBeNull();
      await store.automation.deleteSession('hash-3');
      expect(await other.automation.getSession('hash-3')).toBeNull();
    });

    it('keep what a session is held to: a one-time password change, a 2FA enrolment', async () => {
      const held = session({ idHash: 'hash-held', changePassword: true, enrolTwoFactor: true });
      await store.automation.putSession(held);
      expect(await other.automation.getSession('hash-held')).toEqual(held);
    });

    it('sweeps sessions idle or too old, and keeps the others', async () => {
      await store.automation.putSession(session({ idHash: 'idle', lastSeenAt: T0 }));
      await store.automation.putSession(
        session({ idHash: 'old', createdAt: T0 - 50, lastSeenAt: T0 + 100 }),
      );
      await store.automation.putSession(session({ idHash: 'fresh', lastSeenAt: T0 + 100 }));
      expect(await store.automation.sweepSessions(T0 + 10, T0 - 10)).toBe(2);
      expect(await store.automation.getSession('fresh')).not.toBeNull();
      expect(await store.automation.getSession('idle')).toBeNull();
    });
  });

  describe('failed-login counters', () => {
    const WINDOW = 15 * 60_000;

    it('count per key over a sliding window, from any process', async () => {
      expect(await store.automation.recordLoginFailure('k1', T0, WINDOW)).toBe(1);
      expect(await other.automation.recordLoginFailure('k1', T0 + 1_000, WINDOW)).toBe(2);
      expect(await store.automation.recordLoginFailure('k2', T0 + 1_000, WINDOW)).toBe(1);
      expect(await other.automation.loginFailures('k1', T0 + 2_000, WINDOW)).toBe(2);
      // The first failure has left the window, the second not yet.
      expect(await other.automation.loginFailures('k1', T0 + WINDOW, WINDOW)).toBe(1);
      expect(await store.automation.recordLoginFailure('k1', T0 + WINDOW, WINDOW)).toBe(2);
      await store.automation.clearLoginFailures('k1');
      expect(await other.automation.loginFailures('k1', T0 + WINDOW, WINDOW)).toBe(0);
      expect(await other.automation.loginFailures('k2', T0 + WINDOW, WINDOW)).toBe(1);
    });

    it('lose no failure when two processes count at once', async () => {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? store : other).automation.recordLoginFailure('k', T0, WINDOW),
        ),
      );
      expect(await store.automation.loginFailures('k', T0, WINDOW)).toBe(12);
    });

    it('count a failure stamped later that landed first (two processes, inserts inverted)', async () => {
      expect(await other.automation.recordLoginFailure('k', T0 + 500, WINDOW)).toBe(1);
      expect(await store.automation.recordLoginFailure('k', T0, WINDOW)).toBe(2);
    });

    it('withdraw one failure of a key at its time, and only that one', async () => {
      await store.automation.recordLoginFailure('k', T0, WINDOW);
      await other.automation.recordLoginFailure('k', T0, WINDOW);
      await store.automation.recordLoginFailure('k', T0 + 1_000, WINDOW);
      await store.automation.recordLoginFailure('k2', T0, WINDOW);
      await other.automation.withdrawLoginFailure('k', T0);
      expect(await store.automation.loginFailures('k', T0 + 1_000, WINDOW)).toBe(2);
      expect(await store.automation.loginFailures('k2', T0 + 1_000, WINDOW)).toBe(1);
      // Nothing recorded at that time: nothing withdrawn.
      await other.automation.withdrawLoginFailure('k', T0 + 2_000);
      expect(await store.automation.loginFailures('k', T0 + 2_000, WINDOW)).toBe(2);
      await store.automation.withdrawLoginFailure('k', T0);
      await store.automation.withdrawLoginFailure('k', T0);
      expect(await store.automation.loginFailures('k', T0 + 2_000, WINDOW)).toBe(1);
    });
  });

  describe('webhook outbox', () => {
    it('is written by the commit of each change, one event per transaction, by a fixed id', async () => {
      const clock = frozenClock(T0);
      const issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
      await issuer.init('alice');
      const issued = await issuer.issue(new TestInstallation().challenge(), terms, 'alice');
      clock.advance(1_000);
      await issuer.revoke(issued.license.id, 'alice', 'refund');
      // `init` published the first key set: its keys.changed is in the outbox too.
      await store.automation.markOutboxFannedOut(['msg_keys_1']);
      const events = await other.automation.listUnfannedOutboxEvents(10);
      expect(events.map((e) => e.type)).toEqual(['license.issued', 'license.revoked']);
      expect(events[0]).toMatchObject({
        id: `msg_${issued.transaction.id.slice(4)}`,
        at: T0,
        data: { licenseId: issued.license.id, operator: 'alice', customerName: 'Acme Corp' },
      });
      expect(events[1]!.data).toMatchObject({ state: 'revoked', reason: 'refund' });
      // Applying the transaction again (a roll-forward) adds nothing.
      await store.applyTransaction(issued.transaction);
      expect(await store.automation.listUnfannedOutboxEvents(10)).toHaveLength(2);
      await store.automation.markOutboxFannedOut([events[0]!.id]);
      expect((await other.automation.listUnfannedOutboxEvents(10)).map((e) => e.type)).toEqual([
        'license.revoked',
      ]);
    });

    it('holds the event of a commit a crash interrupted before the outbox write', async () => {
      const clock = frozenClock(T0);
      const handle = await adapter.create();
      let armed = true;
      const crashing = await handle.open({
        onWriteStep: (at) => {
          if (armed && at === 'audit') {
            armed = false;
            throw new SimulatedCrash('crash before the outbox');
          }
        },
      });
      const first = await openIssuer({ store: crashing, now: clock.now, passphrase: '' });
      await first.init('alice');
      await expect(
        first.issue(new TestInstallation().challenge(), terms, 'alice'),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      await crashing.close();
      const reopened = await handle.open();
      await openIssuer({ store: reopened, now: clock.now, passphrase: '' });
      const events = (await reopened.automation.listUnfannedOutboxEvents(10)).filter(
        (e) => e.type !== 'keys.changed',
      );
      const stored = await reopened.listTransactions({});
      // SQLite kept nothing of the commit (one SQL transaction); MongoDB kept the transaction
      // and the roll-forward on open wrote its event.
      expect(events.map((e) => e.id)).toEqual(stored.map((t) => `msg_${t.id.slice(4)}`));
      await reopened.close();
    });

    it('claims a due delivery for one process at a time, and records attempts and resends', async () => {
      const event = { id: 'msg_1', type: 'license.issued' as const, at: T0, data: {} };
      await store.automation.appendOutboxEvents([event, event]);
      expect(await store.automation.getOutboxEvent('msg_1')).toEqual(event);
      const delivery = newDelivery('whe_1', event, T0);
      await store.automation.insertDeliveries([delivery]);
      await other.automation.insertDeliveries([delivery]);
      const claimed = await store.automation.claimDeliveries(T0, 10_000, 10);
      expect(claimed.map((d) => [d.id, d.leaseUntil])).toEqual([[delivery.id, T0 + 10_000]]);
      expect(await other.automation.claimDeliveries(T0 + 5_000, 10_000, 10)).toEqual([]);
      // The holder died: after the lease another process takes it over, under its own lease.
      const taken = await other.automation.claimDeliveries(T0 + 10_000, 10_000, 10);
      expect(taken.map((d) => [d.id, d.leaseUntil])).toEqual([[delivery.id, T0 + 20_000]]);
      expect(
        await other.automation.finishDelivery(delivery.id, T0 + 20_000, {
          status: 'pending',
          attempts: 1,
          nextAttemptAt: T0 + 60_000,
          lastAttemptAt: T0 + 10_000,
          lastStatus: 503,
          lastDurationMs: 12,
          lastError: 'HTTP 503',
          deliveredAt: null,
        }),
      ).toBe(true);
      expect(await store.automation.claimDeliveries(T0 + 59_999, 10_000, 10)).toEqual([]);
      const [again] = await store.automation.claimDeliveries(T0 + 60_000, 10_000, 10);
      expect(again?.leaseUntil).toBe(T0 + 70_000);
      expect(
        await store.automation.finishDelivery(delivery.id, T0 + 70_000, {
          status: 'delivered',
          attempts: 2,
          nextAttemptAt: T0 + 60_000,
          lastAttemptAt: T0 + 60_000,
          lastStatus: 204,
          lastDurationMs: 8,
          lastError: null,
          deliveredAt: T0 + 60_000,
        }),
      ).toBe(true);
      expect(await store.automation.claimDeliveries(T0 + 90_000, 10_000, 10)).toEqual([]);
      expect(await other.automation.listDeliveries('whe_1', 10)).toEqual([
        expect.objectContaining({ status: 'delivered', attempts: 2, lastStatus: 204 }),
      ]);
      expect(await store.automation.resendDelivery(delivery.id, T0 + 100_000)).toBe(true);
      expect(await store.automation.resendDelivery('dlv_missing', T0 + 100_000)).toBe(false);
      expect(
        (await other.automation.claimDeliveries(T0 + 100_000, 10_000, 10)).map((d) => d.attempts),
      ).toEqual([2]);
    });

    const outcome = (status: 'pending' | 'delivered', attempts: number, at: number) => ({
      status,
      attempts,
      nextAttemptAt: status === 'pending' ? at + 5_000 : at,
      lastAttemptAt: at,
      lastStatus: status === 'pending' ? 500 : 204,
      lastDurationMs: 5,
      lastError: status === 'pending' ? 'HTTP 500' : null,
      deliveredAt: status === 'pending' ? null : at,
    });

    it('drops the outcome of an attempt that outlived its lease: a newer outcome stays', async () => {
      const event = { id: 'msg_1', type: 'license.issued' as const, at: T0, data: {} };
      const delivery = newDelivery('whe_1', event, T0);
      await store.automation.insertDeliveries([delivery]);
      const [slow] = await store.automation.claimDeliveries(T0, 10_000, 10);
      // The slow attempt's lease runs out; another process sends it, and it is delivered.
      const [fast] = await other.automation.claimDeliveries(T0 + 10_000, 10_000, 10);
      expect(fast!.leaseUntil).not.toBe(slow!.leaseUntil);
      expect(
        await other.automation.finishDelivery(
          delivery.id,
          fast!.leaseUntil,
          outcome('delivered', 1, T0 + 10_000),
        ),
      ).toBe(true);
      // The slow attempt ends in a 500 at last: written nowhere.
      expect(
        await store.automation.finishDelivery(
          delivery.id,
          slow!.leaseUntil,
          outcome('pending', 1, T0 + 12_000),
        ),
      ).toBe(false);
      expect(await store.automation.getDelivery(delivery.id)).toMatchObject({
        status: 'delivered',
        attempts: 1,
        lastStatus: 204,
        leaseUntil: 0,
      });
      expect(await store.automation.claimDeliveries(T0 + 20_000, 10_000, 10)).toEqual([]);
    });

    it('refuses to resend a delivery an attempt is sending (409, when to retry); resends after', async () => {
      const event = { id: 'msg_1', type: 'license.issued' as const, at: T0, data: {} };
      const delivery = newDelivery('whe_1', event, T0);
      await store.automation.insertDeliveries([delivery]);
      const [held] = await store.automation.claimDeliveries(T0, 10_000, 10);
      const refused = await other.automation
        .resendDelivery(delivery.id, T0 + 2_500)
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DeliveryInFlightError);
      expect(refused).toMatchObject({ code: 'ERR_CONCURRENT_UPDATE', retryAfterSeconds: 8 });
      expect((refused as Error).message).toMatch(/try again in 8 s/);
      // The lease is intact: the attempt in flight writes its outcome.
      expect((await store.automation.getDelivery(delivery.id))?.leaseUntil).toBe(T0 + 10_000);
      expect(
        await store.automation.finishDelivery(
          delivery.id,
          held!.leaseUntil,
          outcome('delivered', 1, T0 + 3_000),
        ),
      ).toBe(true);
      expect(await other.automation.resendDelivery(delivery.id, T0 + 4_000)).toBe(true);
      expect(await store.automation.getDelivery(delivery.id)).toMatchObject({
        status: 'pending',
        nextAttemptAt: T0 + 4_000,
        deliveredAt: null,
      });
      // A lease that ran out (its holder died) is no attempt in flight: the resend goes through.
      await store.automation.claimDeliveries(T0 + 4_000, 10_000, 10);
      expect(await other.automation.resendDelivery(delivery.id, T0 + 14_000)).toBe(true);
    });

    it("leaves a disabled endpoint's deliveries pending, unclaimed, until it is enabled", async () => {
      const endpoint = (id: string) => ({
        id,
        url: 'https://crm.example.com/hooks',
        description: '',
        events: ['license.issued' as const],
        secret: 'whsec_x',
        enabled: true,
        createdAt: T0,
        createdBy: 'alice',
        updatedAt: T0,
      });
      await store.automation.insertWebhookEndpoint(endpoint('whe_on'));
      await store.automation.insertWebhookEndpoint(endpoint('whe_off'));
      await store.automation.updateWebhookEndpoint('whe_off', { enabled: false, updatedAt: T0 });
      const events = [1, 2].map((i) => ({
        id: `msg_${i}`,
        type: 'license.issued' as const,
        at: T0 + i,
        data: {},
      }));
      await store.automation.insertDeliveries(
        events.flatMap((e) => [newDelivery('whe_on', e, e.at), newDelivery('whe_off', e, e.at)]),
      );
      const first = await store.automation.claimDeliveries(T0 + 10, 10_000, 10);
      expect(first.map((d) => [d.endpointId, d.eventId])).toEqual([
        ['whe_on', 'msg_1'],
        ['whe_on', 'msg_2'],
      ]);
      expect((await store.automation.listDeliveries('whe_off', 10)).map((d) => d.status)).toEqual([
        'pending',
        'pending',
      ]);
      await other.automation.updateWebhookEndpoint('whe_off', { enabled: true, updatedAt: T0 });
      const later = await store.automation.claimDeliveries(T0 + 20, 10_000, 10);
      expect(later.map((d) => [d.endpointId, d.eventId])).toEqual([
        ['whe_off', 'msg_1'],
        ['whe_off', 'msg_2'],
      ]);
    });

    it("keeps a rotated endpoint's replaced secret and its end beside the new one, read from any process", async () => {
      await store.automation.insertWebhookEndpoint({
        id: 'whe_rot',
        url: 'https://crm.example.com/hooks',
        description: '',
        events: ['license.issued'],
        secret: 'whsec_old',
        enabled: true,
        createdAt: T0,
        createdBy: 'alice',
        updatedAt: T0,
      });
      await store.automation.updateWebhookEndpoint('whe_rot', {
        secret: 'whsec_new',
        previousSecret: 'whsec_old',
        previousSecretUntil: T0 + 3_600_000,
        updatedAt: T0 + 1,
      });
      expect(await other.automation.getWebhookEndpoint('whe_rot')).toMatchObject({
        secret: 'whsec_new',
        previousSecret: 'whsec_old',
        previousSecretUntil: T0 + 3_600_000,
        updatedAt: T0 + 1,
      });
      // A rotation without overlap clears them.
      await other.automation.updateWebhookEndpoint('whe_rot', {
        secret: 'whsec_newer',
        previousSecret: null,
        previousSecretUntil: null,
        updatedAt: T0 + 2,
      });
      expect(await store.automation.getWebhookEndpoint('whe_rot')).toMatchObject({
        secret: 'whsec_newer',
        previousSecret: null,
        previousSecretUntil: null,
      });
    });

    it('sweeps old delivered and failed deliveries, then their events, in batches; nothing else', async () => {
      const DAY = 86_400_000;
      const events = [0, 1, 2, 3, 4].map((i) => ({
        id: `msg_${i}`,
        type: 'license.issued' as const,
        at: T0 + i,
        data: {},
      }));
      await store.automation.appendOutboxEvents(events);
      await store.automation.markOutboxFannedOut(['msg_0', 'msg_1', 'msg_2', 'msg_3']);
      await store.appendAuditEvent({
        id: 'evt_old',
        at: T0,
        actor: 'alice',
        action: 'x',
        subjectId: null,
        transactionId: null,
        details: {},
      });
      // msg_0, msg_1: delivered / failed long ago; msg_2: still pending (a disabled endpoint);
      // msg_3: fanned out to no endpoint; msg_4: not fanned out yet.
      await store.automation.insertDeliveries(
        events.slice(0, 3).map((e) => newDelivery('whe_1', e, T0)),
      );
      const claimed = await store.automation.claimDeliveries(T0, 10_000, 3);
      for (const d of claimed) {
        const attempt = outcome(d.eventId === 'msg_2' ? 'pending' : 'delivered', 1, T0 + 1_000);
        await store.automation.finishDelivery(d.id, d.leaseUntil, {
          ...attempt,
          ...(d.eventId === 'msg_1' ? { status: 'failed' as const, deliveredAt: null } : {}),
        });
      }
      // Too young: nothing goes.
      expect(await other.automation.sweepWebhooks(T0, 10)).toEqual({
        deliveries: 0,
        events: 0,
      });
      const before = T0 + 90 * DAY;
      // Batches of one: the deliveries first, then the events none refers to any more.
      expect(await other.automation.sweepWebhooks(before, 1)).toEqual({ deliveries: 1, events: 1 });
      expect(await other.automation.sweepWebhooks(before, 1)).toEqual({ deliveries: 1, events: 1 });
      expect(await other.automation.sweepWebhooks(before, 1)).toEqual({ deliveries: 0, events: 1 });
      expect(await other.automation.sweepWebhooks(before, 10)).toEqual({
        deliveries: 0,
        events: 0,
      });
      expect((await store.automation.listDeliveries('whe_1', 10)).map((d) => d.eventId)).toEqual([
        'msg_2',
      ]);
      for (const [id, kept] of [
        ['msg_0', false],
        ['msg_1', false],
        ['msg_2', true],
        ['msg_3', false],
        ['msg_4', true],
      ] as const) {
        expect((await store.automation.getOutboxEvent(id)) !== null, id).toBe(kept);
      }
      expect(
        (await store.automation.listAuditRange(T0, T0 + 1, null, 10)).map((e) => e.id),
      ).toContain('evt_old');
    });
  });

  describe('scan marks', () => {
    const mark = (startedAt: number, coveredTo: number, fullAt = T0) => ({
      name: 'subscription.expiring:30d',
      startedAt,
      coveredTo,
      fullAt,
    });

    it('keep the mark of the latest-started finished scan, seen by every process', async () => {
      expect(await store.automation.getScanMark('subscription.expiring:30d')).toBeNull();
      expect(await store.automation.putScanMark(mark(T0, 1_000))).toBe(true);
      expect(await other.automation.getScanMark('subscription.expiring:30d')).toEqual(
        mark(T0, 1_000),
      );
      // A scan that started later moves it on; one that started earlier (a slow process) or
      // at the same time does not move it back.
      expect(await other.automation.putScanMark(mark(T0 + 600_000, 1_600, T0))).toBe(true);
      expect(await store.automation.putScanMark(mark(T0 + 300_000, 1_300))).toBe(false);
      expect(await store.automation.putScanMark(mark(T0 + 600_000, 9_999))).toBe(false);
      expect(await store.automation.getScanMark('subscription.expiring:30d')).toEqual(
        mark(T0 + 600_000, 1_600),
      );
      // Each name is its own mark.
      expect(await store.automation.getScanMark('subscription.expiring:7d')).toBeNull();
      expect(
        await store.automation.putScanMark({ ...mark(T0, 5), name: 'subscription.expiring:7d' }),
      ).toBe(true);
      expect((await other.automation.getScanMark('subscription.expiring:30d'))?.coveredTo).toBe(
        1_600,
      );
    });
  });

  describe('audit export pages', () => {
    it('reads a time range oldest first, page by page, without skipping events of one millisecond', async () => {
      const ats = [T0 - 1, T0, T0, T0 + 1, T0 + 2, T0 + 10];
      for (const [i, at] of ats.entries()) {
        await store.appendAuditEvent({
          id: `evt_${i}`,
          at,
          actor: 'alice',
          action: 'x',
          subjectId: null,
          transactionId: null,
          details: { i },
        });
      }
      const seen: string[] = [];
      let after: { at: number; id: string } | null = null;
      for (;;) {
        const page = await other.automation.listAuditRange(T0, T0 + 10, after, 2);
        if (page.length === 0) break;
        seen.push(...page.map((e) => e.id));
        const last = page[page.length - 1]!;
        after = { at: last.at, id: last.id };
      }
      expect(seen).toEqual(['evt_1', 'evt_2', 'evt_3', 'evt_4']);
    });
  });
}
