// Webhooks end to end in one process: real receivers on 127.0.0.1 verifying Standard Webhooks
// signatures, the dispatcher driven round by round on a frozen clock.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, Socket } from 'node:net';
import type { ApprovalRequest, License, LicensorStore, OutboxEvent } from '@licensor/issuer';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type DispatcherOptions,
  expiringMarkName,
  WebhookDispatcher,
} from '../src/server/webhooks/dispatcher.js';
import type { ResolveAll } from '../src/server/webhooks/sender.js';
import { addressRefusal } from '../src/server/webhooks/url-rules.js';
import {
  type Fixture,
  issueThroughApi,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
  SUBSCRIPTION_TERMS,
} from './helpers.js';
import { TestReceiver } from './webhook-receiver.js';

let fixture: Fixture;
let alice: LoggedIn;
let ivan: LoggedIn;
const receivers: TestReceiver[] = [];

/** Names the tests answer themselves, as their own DNS server would; others go to dns.lookup. */
const answers = new Map<string, LookupAddress[]>();
const lookup: ResolveAll = (hostname, options, callback) => {
  const answer = answers.get(hostname);
  if (answer === undefined) return dnsLookup(hostname, { ...options, all: true }, callback);
  process.nextTick(callback, null, answer);
};

beforeEach(async () => {
  answers.clear();
  fixture = await makePortal({ webhooks: { timeoutMs: 1_500, lookup } });
  alice = await loginAs(fixture, 'alice');
  ivan = await loginAs(fixture, 'ivan');
});
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.down();
  await fixture.webhooks.stop();
  await fixture.close();
});

async function receiverFor(events: string[]): Promise<{ receiver: TestReceiver; id: string }> {
  const receiver = new TestReceiver();
  receivers.push(receiver);
  await receiver.up();
  const made = await alice.agent
    .post('/api/v1/webhooks')
    .set('X-CSRF-Token', alice.csrf)
    .send({ url: receiver.url, events })
    .expect(201);
  receiver.secret = made.body.secret;
  return { receiver, id: made.body.endpoint.id };
}

async function issueOne(): Promise<string> {
  const issued = await issueThroughApi(ivan, makeChallenge(fixture, newInstallation()));
  return issued.license.id;
}

describe('webhooks', () => {
  it('survives a receiver that is down for a while: every event arrives, exactly once by id', async () => {
    const { receiver, id } = await receiverFor(['license.issued', 'license.revoked']);
    const first = await issueOne();
    await fixture.webhooks.runOnce();
    expect([...receiver.events.values()].map((e) => e.type)).toEqual(['license.issued']);

    await receiver.down();
    const second = await issueOne();
    await ivan.agent
      .post(`/api/v1/licenses/${first}/revoke`)
      .set('X-CSRF-Token', ivan.csrf)
      .send({ reason: 'refund' })
      .expect(200);
    await fixture.webhooks.runOnce();
    const log = await alice.agent.get(`/api/v1/webhooks/${id}/deliveries`).expect(200);
    const failing = log.body.items.filter((d: { status: string }) => d.status === 'pending');
    expect(failing).toHaveLength(2);
    expect(failing[0]).toMatchObject({ attempts: 1, lastStatus: null });
    expect(failing[0].lastError).toMatch(/ECONNREFUSED/);
    // Not due before the first backoff step (5 s), retried after it, still down.
    await fixture.webhooks.runOnce();
    fixture.advance(5_000);
    await fixture.webhooks.runOnce();
    const again = await alice.agent.get(`/api/v1/webhooks/${id}/deliveries`).expect(200);
    expect(again.body.items.filter((d: { attempts: number }) => d.attempts === 2)).toHaveLength(2);

    await receiver.up();
    fixture.advance(5 * 60_000);
    await fixture.webhooks.runOnce();
    await fixture.webhooks.runOnce();

    const expected = (await fixture.issuer.listTransactions({})).map((t) => `msg_${t.id.slice(4)}`);
    expect([...receiver.events.keys()].sort()).toEqual(expected.sort());
    expect(receiver.deliveries).toHaveLength(expected.length);
    expect(receiver.forged).toEqual([]);
    const byType = [...receiver.events.values()].map((e) => [e.type, e.data.licenseId]);
    expect(byType).toEqual(
      expect.arrayContaining([
        ['license.issued', first],
        ['license.issued', second],
        ['license.revoked', first],
      ]),
    );
    const done = await alice.agent.get(`/api/v1/webhooks/${id}/deliveries`).expect(200);
    expect(done.body.items.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
  });

  it('sends each endpoint only the events it chose, signed with its own secret', async () => {
    const issued = await receiverFor(['license.issued']);
    const revoked = await receiverFor(['license.revoked']);
    const licenseId = await issueOne();
    await ivan.agent
      .post(`/api/v1/licenses/${licenseId}/revoke`)
      .set('X-CSRF-Token', ivan.csrf)
      .send({})
      .expect(200);
    await fixture.webhooks.runOnce();
    expect([...issued.receiver.events.values()].map((e) => e.type)).toEqual(['license.issued']);
    expect([...revoked.receiver.events.values()].map((e) => e.type)).toEqual(['license.revoked']);
    expect(issued.receiver.forged).toEqual([]);
  });

  it('times out a receiver that never answers without holding up another', async () => {
    const slow = await receiverFor(['license.issued']);
    slow.receiver.hang = true;
    const fast = await receiverFor(['license.issued']);
    await issueOne();
    await fixture.webhooks.runOnce();
    const slowLog = await alice.agent.get(`/api/v1/webhooks/${slow.id}/deliveries`).expect(200);
    const fastLog = await alice.agent.get(`/api/v1/webhooks/${fast.id}/deliveries`).expect(200);
    expect(slowLog.body.items[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatus: null,
    });
    expect(slowLog.body.items[0].lastError).toMatch(/no answer within 1500 ms/);
    expect(fastLog.body.items[0]).toMatchObject({ status: 'delivered', lastStatus: 204 });
    expect(fastLog.body.items[0].lastDurationMs).toBeLessThan(1_500);
  });

  it('gives up after the last retry, more than a day later, and an admin can resend', async () => {
    const { receiver, id } = await receiverFor(['license.issued']);
    await receiver.down();
    await issueOne();
    let elapsed = 0;
    for (let round = 0; round < 12; round++) {
      await fixture.webhooks.runOnce();
      fixture.advance(10 * 3_600_000);
      elapsed += 10 * 3_600_000;
    }
    alice = await loginAs(fixture, 'alice'); // the session ended on its absolute timeout meanwhile
    const log = await alice.agent.get(`/api/v1/webhooks/${id}/deliveries`).expect(200);
    const delivery = log.body.items[0];
    expect(delivery).toMatchObject({ status: 'failed', attempts: 8 });
    expect(delivery.lastAttemptAt - delivery.createdAt).toBeGreaterThan(24 * 3_600_000);
    expect(elapsed).toBeGreaterThan(delivery.lastAttemptAt - delivery.createdAt);

    await receiver.up();
    await alice.agent
      .post(`/api/v1/webhooks/${id}/deliveries/${delivery.id}/resend`)
      .set('X-CSRF-Token', alice.csrf)
      .expect(200);
    await fixture.webhooks.runOnce();
    expect(receiver.events.get(delivery.eventId)?.type).toBe('license.issued');
    const after = await alice.agent.get(`/api/v1/webhooks/${id}/deliveries`).expect(200);
    expect(after.body.items[0]).toMatchObject({ status: 'delivered', attempts: 9 });
  });
});

describe('subscription.expiring', () => {
  it('announces a subscription term once, 30 days before it ends; a renewal moves the end, so nothing more for now', async () => {
    const { receiver } = await receiverFor(['subscription.expiring']);
    const issued = await issueThroughApi(
      ivan,
      makeChallenge(fixture, newInstallation()),
      SUBSCRIPTION_TERMS,
    );
    await issueOne(); // perpetual: never announced
    await fixture.webhooks.runOnce();
    expect(receiver.deliveries).toEqual([]);
    fixture.advance((365 - 30) * 86_400_000 + 60_000);
    await fixture.webhooks.runOnce();
    fixture.advance(11 * 60_000);
    await fixture.webhooks.runOnce();
    fixture.advance(86_400_000);
    await fixture.webhooks.runOnce();
    expect(receiver.deliveries.map((d) => [d.type, d.data.licenseId, d.data.daysLeft])).toEqual([
      ['subscription.expiring', issued.license.id, 30],
    ]);
    ivan = await loginAs(fixture, 'ivan');
    await ivan.agent
      .post(`/api/v1/licenses/${issued.license.id}/renew`)
      .set('X-CSRF-Token', ivan.csrf)
      .send({ termDays: 365 })
      .expect(201);
    fixture.advance(11 * 60_000);
    await fixture.webhooks.runOnce();
    expect(receiver.deliveries).toHaveLength(1);
  });
});

describe('subscription.expiring, scanned incrementally from a mark in the store', () => {
  const DAY = 86_400_000;
  const MINUTE = 60_000;
  const RULES = { selfHosts: [], selfPorts: [], denyPrivate: false, hostAddresses: () => [] };

  /** The store as another process would hold it, its license reads counted, appends failing. */
  function watched(failAppendAt = 0) {
    const store = fixture.issuer.store;
    const seen = { read: 0, appends: 0 };
    const automation = new Proxy(store.automation, {
      get(target, property) {
        if (property === 'appendOutboxEvents') {
          return async (events: OutboxEvent[]) => {
            seen.appends += 1;
            if (seen.appends === failAppendAt) throw new Error('store went away');
            return target.appendOutboxEvents(events);
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const proxy = new Proxy(store, {
      get(target, property) {
        if (property === 'automation') return automation;
        if (property === 'listLicenses' || property === 'listSubscriptionsEnding') {
          const method = Reflect.get(target, property) as (...a: unknown[]) => Promise<License[]>;
          return async (...args: unknown[]) => {
            const licenses = await method.apply(target, args);
            seen.read += licenses.length;
            return licenses;
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as LicensorStore;
    return { store: proxy, seen };
  }

  /** A portal process's dispatcher; a full scan only when a test asks for it. */
  function dispatcher(
    store: LicensorStore = fixture.issuer.store,
    options: Partial<DispatcherOptions> = {},
  ): WebhookDispatcher {
    return new WebhookDispatcher({
      store,
      now: () => fixture.clock.now,
      rules: RULES,
      expiringFullScanMs: 1_000 * DAY,
      ...options,
    });
  }

  async function subscription(termDays: number): Promise<License> {
    const terms = { customerName: 'Globex', model: 'subscription', credentials: 5 } as const;
    const issued = await fixture.issuer.issue(
      makeChallenge(fixture, newInstallation()),
      { ...terms, termDays, graceDays: 1 },
      'ivan',
    );
    return issued.license;
  }

  /** The subscription.expiring events in the outbox: [license, term end] each. */
  async function announced(): Promise<[string, number][]> {
    const events = await fixture.issuer.store.automation.listUnfannedOutboxEvents(10_000);
    return events
      .filter((e) => e.type === 'subscription.expiring')
      .map(
        (e) =>
          [e.data.licenseId as string, (e.data.term as { end: number }).end] as [string, number],
      )
      .sort(([a], [b]) => a.localeCompare(b));
  }

  const termOf = (l: License): [string, number] => [l.id, l.term!.end];
  const sorted = (...terms: [string, number][]) => terms.sort(([a], [b]) => a.localeCompare(b));
  const mark = () => fixture.issuer.store.automation.getScanMark(expiringMarkName(30));

  it('announces each term once across scans, processes and a restart, carrying on from the mark', async () => {
    const inside = await subscription(20);
    const outside = await subscription(365);
    await subscription(365).then((l) => fixture.issuer.revoke(l.id, 'ivan'));
    const first = watched();
    const one = dispatcher(first.store);
    expect(await one.scanExpiring()).toBe(1); // the first scan reads the whole window
    expect(await announced()).toEqual([termOf(inside)]);
    const written = await mark();
    expect(written).toMatchObject({ startedAt: fixture.clock.now, fullAt: fixture.clock.now });
    // Another process at the same time finds a fresh mark and leaves the scan to the first.
    const other = watched();
    expect(await dispatcher(other.store).scanExpiring()).toBe(0);
    expect(other.seen.read).toBe(0);
    // Ten minutes on, either process scans only what moved: here the license issued just
    // before the last scan (read again, its event already there), nothing else.
    fixture.advance(10 * MINUTE + 1);
    const two = dispatcher(other.store);
    await two.scanExpiring();
    expect(other.seen.read).toBe(1);
    expect(await announced()).toEqual([termOf(inside)]);
    // Once the issue is further back than the last scan's start and the slack, nothing is read.
    fixture.advance(10 * MINUTE + 1);
    await two.scanExpiring();
    fixture.advance(10 * MINUTE + 1);
    first.seen.read = 0;
    await one.scanExpiring();
    expect(first.seen.read).toBe(0);
    expect((await mark())!.startedAt).toBe(fixture.clock.now);
    // Both processes die; days later a new one (nothing in memory) carries on from the mark:
    // the term that came into the window meanwhile is announced, reading that license alone.
    fixture.advance(335 * DAY);
    const restarted = watched();
    expect(await dispatcher(restarted.store).scanExpiring()).toBe(1);
    expect(restarted.seen.read).toBe(1);
    expect(await announced()).toEqual(sorted(termOf(inside), termOf(outside)));
    expect((await mark())!.fullAt).toBe(written!.fullAt);
    // The scans go on: nothing is announced twice.
    for (let i = 0; i < 3; i++) {
      fixture.advance(10 * MINUTE + 1);
      await dispatcher().scanExpiring();
    }
    expect(await announced()).toEqual(sorted(termOf(inside), termOf(outside)));
  });

  it('announces a license issued into the window at the next scan, reading what changed only', async () => {
    await subscription(365); // outside the window: never read by the scans below
    const scanner = watched();
    const process = dispatcher(scanner.store);
    await process.scanExpiring();
    fixture.advance(MINUTE);
    const issued = await subscription(20);
    fixture.advance(10 * MINUTE);
    scanner.seen.read = 0;
    expect(await process.scanExpiring()).toBe(1);
    expect(scanner.seen.read).toBe(1);
    expect(await announced()).toEqual([termOf(issued)]);
  });

  it('announces a renewal when its new end comes into the window, once', async () => {
    const license = await subscription(20);
    const process = dispatcher();
    await process.scanExpiring();
    fixture.advance(MINUTE);
    const renewed = await fixture.issuer.renew(license.id, { termDays: 365, graceDays: 1 }, 'ivan');
    const newEnd = renewed.license.term!.end;
    expect(newEnd).toBeGreaterThan(license.term!.end);
    fixture.advance(10 * MINUTE);
    await process.scanExpiring();
    expect(await announced()).toEqual([termOf(license)]);
    // Scans every 10 minutes (the mark moves on) until a minute after the end is 30 days away.
    const due = newEnd * 1000 - 30 * DAY;
    while (fixture.clock.now < due - 10 * MINUTE) {
      fixture.advance(Math.min(10 * DAY, due - 10 * MINUTE - fixture.clock.now) + 1);
      await process.scanExpiring();
    }
    expect(await announced()).toEqual([termOf(license)]);
    fixture.advance(due + MINUTE - fixture.clock.now);
    expect(await process.scanExpiring()).toBe(1);
    expect(await announced()).toEqual(sorted(termOf(license), [license.id, newEnd]));
    fixture.advance(10 * MINUTE + 1);
    await process.scanExpiring();
    expect(await announced()).toHaveLength(2);
  });

  it('announces no license revoked or suspended before its scan; one resumed, at the next', async () => {
    const process = dispatcher();
    await process.scanExpiring();
    const revoked = await subscription(20);
    const suspended = await subscription(20);
    const later = await subscription(365);
    await fixture.issuer.revoke(revoked.id, 'ivan');
    await fixture.issuer.suspend(suspended.id, 'ivan');
    await fixture.issuer.suspend(later.id, 'ivan');
    fixture.advance(10 * MINUTE + 1);
    expect(await process.scanExpiring()).toBe(0);
    // The suspended one's end enters the window: still nothing.
    fixture.advance(336 * DAY);
    expect(await process.scanExpiring()).toBe(0);
    expect(await announced()).toEqual([]);
    // Resumed, it is a change: the next scan finds it and announces its term.
    await fixture.issuer.resume(later.id, 'ivan');
    fixture.advance(10 * MINUTE + 1);
    expect(await process.scanExpiring()).toBe(1);
    expect(await announced()).toEqual([termOf(later)]);
  });

  it('redoes a scan whose append failed half-way: the mark stays where it was', async () => {
    await dispatcher().scanExpiring(); // the mark of an empty window
    const before = await mark();
    fixture.advance(MINUTE);
    const issued = [await subscription(20), await subscription(21), await subscription(22)];
    fixture.advance(10 * MINUTE);
    // One license a page: the second page's append fails, after the first was written.
    const failing = watched(2);
    await expect(dispatcher(failing.store, { expiringPageSize: 1 }).scanExpiring()).rejects.toThrow(
      'store went away',
    );
    expect(await announced()).toHaveLength(1);
    expect(await mark()).toEqual(before);
    // The next scan (this process ten minutes on, or another at once) does it again, whole.
    expect(await dispatcher(fixture.issuer.store, { expiringPageSize: 1 }).scanExpiring()).toBe(3);
    expect(await announced()).toEqual(sorted(...issued.map(termOf)));
    expect((await mark())!.startedAt).toBe(fixture.clock.now);
  });

  it('redoes a first scan that failed half-way, whole, from nothing', async () => {
    const issued = [await subscription(20), await subscription(21), await subscription(22)];
    const failing = watched(3);
    await expect(dispatcher(failing.store, { expiringPageSize: 1 }).scanExpiring()).rejects.toThrow(
      'store went away',
    );
    expect(await mark()).toBeNull();
    fixture.advance(10 * MINUTE + 1);
    expect(await dispatcher().scanExpiring()).toBe(3);
    expect(await announced()).toEqual(sorted(...issued.map(termOf)));
  });

  it('does not trust a mark from the future (a fast clock): it reads the whole window', async () => {
    const license = await subscription(20);
    const now = fixture.clock.now;
    await fixture.issuer.store.automation.putScanMark({
      name: expiringMarkName(30),
      startedAt: now + DAY,
      coveredTo: Math.floor(now / 1000) + 31 * 86_400,
      fullAt: now + DAY,
    });
    expect(await dispatcher().scanExpiring()).toBe(1);
    expect(await announced()).toEqual([termOf(license)]);
  });

  it('reads the whole window again once a day: a term a scan missed is announced then', async () => {
    const license = await subscription(365);
    fixture.advance(340 * DAY);
    // A mark claiming the window is covered, though the license was never announced (as if an
    // older change had been committed after the scan that wrote it, past the slack).
    const now = fixture.clock.now;
    await fixture.issuer.store.automation.putScanMark({
      name: expiringMarkName(30),
      startedAt: now - 11 * MINUTE,
      coveredTo: Math.floor(now / 1000) + 30 * 86_400,
      fullAt: now - 23 * 3_600_000,
    });
    const process = dispatcher(fixture.issuer.store, { expiringFullScanMs: DAY });
    expect(await process.scanExpiring()).toBe(0);
    fixture.advance(3_600_000);
    expect(await process.scanExpiring()).toBe(1);
    expect(await announced()).toEqual([termOf(license)]);
    expect((await mark())!.fullAt).toBe(fixture.clock.now);
  });
});

describe('rotating a webhook secret', () => {
  it('signs with the new and the replaced secret through the overlap, then the new one alone; reads and rotations are audited', async () => {
    const { receiver, id } = await receiverFor(['license.issued']);
    const old = receiver.secret;
    const rotated = await alice.agent
      .post(`/api/v1/webhooks/${id}/secret/rotate`)
      .set('X-CSRF-Token', alice.csrf)
      .send({ overlapHours: 2 })
      .expect(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    expect(rotated.body.previousSecretUntil).toBe(fixture.clock.now + 2 * 3_600_000);
    const read = await alice.agent.get(`/api/v1/webhooks/${id}/secret`).expect(200);
    expect(read.body.secret).toBe(fresh);
    // No answer carries either secret.
    const listed = JSON.stringify((await alice.agent.get('/api/v1/webhooks').expect(200)).body);
    expect(listed).not.toContain(old);
    expect(listed).not.toContain(fresh);

    // In the overlap: two signatures, a receiver with either secret verifies.
    await issueOne();
    await fixture.webhooks.runOnce();
    const during = receiver.raw.at(-1)!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [old, fresh]) {
      expect(() => new Webhook(secret).verify(during.body, during.headers)).not.toThrow();
    }
    // After it: the new secret alone; the old one no longer verifies.
    fixture.advance(2 * 3_600_000 + 1);
    alice = await loginAs(fixture, 'alice');
    ivan = await loginAs(fixture, 'ivan');
    receiver.secret = fresh;
    await issueOne();
    await fixture.webhooks.runOnce();
    const after = receiver.raw.at(-1)!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(fresh).verify(after.body, after.headers)).not.toThrow();
    expect(() => new Webhook(old).verify(after.body, after.headers)).toThrow();
    expect(receiver.forged).toEqual([]);

    const actions = (await fixture.issuer.listAuditEvents({ subjectId: id })).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['webhook.create', 'webhook.secret-rotate', 'webhook.secret-read']),
    );
  });

  it('refuses a rotation of an unknown endpoint, an overlap beyond a week, or by a non-admin, changing nothing', async () => {
    const { id } = await receiverFor(['license.issued']);
    const before = await fixture.issuer.store.automation.getWebhookEndpoint(id);
    await alice.agent
      .post('/api/v1/webhooks/whe_nobody/secret/rotate')
      .set('X-CSRF-Token', alice.csrf)
      .send({})
      .expect(404);
    await alice.agent
      .post(`/api/v1/webhooks/${id}/secret/rotate`)
      .set('X-CSRF-Token', alice.csrf)
      .send({ overlapHours: 169 })
      .expect(400);
    await ivan.agent
      .post(`/api/v1/webhooks/${id}/secret/rotate`)
      .set('X-CSRF-Token', ivan.csrf)
      .send({})
      .expect(403);
    expect(await fixture.issuer.store.automation.getWebhookEndpoint(id)).toEqual(before);
  });
});

describe('registering webhook endpoints', () => {
  it.each([
    ['ftp://crm.example.com/hook', /only http and https/],
    ['http://127.0.0.1/api/v1/licenses', null],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['https://user:pw@crm.example.com/hook', /user name or password/],
  ])('refuses %s and stores nothing', async (url, message) => {
    const response = await alice.agent
      .post('/api/v1/webhooks')
      .set('X-CSRF-Token', alice.csrf)
      .set('Host', '127.0.0.1')
      .send({ url, events: ['license.issued'] })
      .expect(422);
    expect(response.body.error.code).toBe('ERR_WEBHOOK_URL_INVALID');
    if (message !== null) expect(response.body.error.message).toMatch(message);
    else expect(response.body.error.message).toMatch(/this portal/);
    expect(await fixture.issuer.store.automation.listWebhookEndpoints()).toEqual([]);
  });

  // Address forms that reach somewhere a vendor's receiver does not live, or carry an IPv4
  // address that does: refused in every form, by default (no LICENSOR_WEBHOOK_DENY_PRIVATE).
  const ELSEWHERE: [string, RegExp][] = [
    ['http://[2002:a9fe:a9fe::1]/latest/meta-data/', /link-local/], // 6to4 of 169.254.169.254
    ['http://[2002:7f00:1::1]:4000/api/v1/tokens', /this portal/], // 6to4 of 127.0.0.1
    ['http://[64:ff9b:1::a9fe:a9fe]/', /NAT64 local-use/],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', /Teredo/],
    ['http://100.100.100.200/latest/meta-data/', /cloud metadata/],
    ['http://224.0.0.1/', /multicast/],
    ['http://255.255.255.255/', /reserved/],
    ['http://240.0.0.1/', /reserved/],
    ['http://198.18.0.1/', /benchmarking/],
    ['http://192.0.0.170/', /IETF protocol/],
    ['http://203.0.113.7/hook', /documentation address \(.*203\.0\.113\.0\/24/],
    ['http://[2001:db8::1]/hook', /documentation address \(.*2001:db8::\/32/],
    ['http://[::ffff:c633:6401]/hook', /documentation address/], // 198.51.100.1 as IPv4-mapped
    ['http://[ff02::1]/', /multicast/],
    ['http://[fec0::1]/', /site-local/],
    ['http://[100::1]/', /discard/],
  ];

  /** An endpoint written behind the route's back (an older release, a restored backup). */
  async function storeEndpoint(id: string, url: string, secret: string): Promise<void> {
    await fixture.issuer.store.automation.insertWebhookEndpoint({
      id,
      url,
      description: '',
      events: ['license.issued'],
      secret,
      enabled: true,
      createdAt: fixture.clock.now,
      createdBy: 'test',
      updatedAt: fixture.clock.now,
    });
  }

  /** The endpoint's one delivery failed at its first attempt, unanswered, as `error` says; its error. */
  async function refusedOnce(endpointId: string, error: RegExp): Promise<string> {
    const log = await alice.agent.get(`/api/v1/webhooks/${endpointId}/deliveries`).expect(200);
    expect(log.body.items).toHaveLength(1);
    expect(log.body.items[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatus: null,
      lastError: expect.stringMatching(error),
    });
    return log.body.items[0].lastError;
  }

  it.each([
    ['http://[::ffff:169.254.169.254]/latest/meta-data/', /link-local/],
    ['http://[::ffff:127.0.0.1]:4000/api/v1/tokens', /this portal/],
    ...ELSEWHERE,
  ])(
    'refuses %s, registered or as a change, with the same error and stores nothing',
    async (url, message) => {
      fixture.webhookRules.selfPorts.push(4000); // as the CLI does with the port it listens on
      const kept = await alice.agent
        .post('/api/v1/webhooks')
        .set('X-CSRF-Token', alice.csrf)
        .send({ url: 'https://crm.example.com/hook', events: ['license.issued'] })
        .expect(201);
      const before = await fixture.issuer.store.automation.listWebhookEndpoints();
      const response = await alice.agent
        .post('/api/v1/webhooks')
        .set('X-CSRF-Token', alice.csrf)
        .send({ url, events: ['license.issued'] })
        .expect(422);
      expect(response.body.error).toMatchObject({
        code: 'ERR_WEBHOOK_URL_INVALID',
        message: expect.stringMatching(message),
      });
      // Nor through a change of a stored endpoint's URL.
      await alice.agent
        .patch(`/api/v1/webhooks/${kept.body.endpoint.id}`)
        .set('X-CSRF-Token', alice.csrf)
        .send({ url })
        .expect(422);
      expect(await fixture.issuer.store.automation.listWebhookEndpoints()).toEqual(before);
    },
  );

  it('judges a URL sent without a Host header (HTTP/1.0) as usual; the portal’s own address is still refused', async () => {
    const server = fixture.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    type RawAnswer = { error?: { code: string; message: string }; endpoint?: { id: string } };
    /** One HTTP/1.0 request with alice's session and no Host; answers the status and JSON body. */
    const raw = (method: string, path: string, body: object) =>
      new Promise<{ status: number; body: RawAnswer }>((resolve, reject) => {
        const text = JSON.stringify(body);
        const socket = new Socket();
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk;
        });
        socket.on('error', reject);
        socket.on('close', () => {
          const status = Number(answer.split(' ')[1]);
          const json = answer.slice(answer.indexOf('\r\n\r\n') + 4);
          resolve({ status, body: json === '' ? {} : (JSON.parse(json) as RawAnswer) });
        });
        socket.connect(port, '127.0.0.1', () => {
          socket.end(
            `${method} ${path} HTTP/1.0\r\nCookie: ${alice.cookie}\r\nX-CSRF-Token: ${alice.csrf}\r\n` +
              `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
          );
        });
      });
    try {
      const made = await raw('POST', '/api/v1/webhooks', {
        url: 'https://crm.example.com/hook',
        events: ['license.issued'],
      });
      expect(made.status).toBe(201);
      const own = `http://127.0.0.1:${port}/api/v1/tokens`;
      const refused = await raw('POST', '/api/v1/webhooks', {
        url: own,
        events: ['license.issued'],
      });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({
        code: 'ERR_WEBHOOK_URL_INVALID',
        message: expect.stringMatching(/this portal/),
      });
      const id = made.body.endpoint!.id;
      const changed = await raw('PATCH', `/api/v1/webhooks/${id}`, {
        url: 'https://crm.example.com/other-hook',
      });
      expect(changed.status).toBe(200);
      const unchanged = await raw('PATCH', `/api/v1/webhooks/${id}`, { url: own });
      expect(unchanged.status).toBe(422);
      const stored = await fixture.issuer.store.automation.listWebhookEndpoints();
      expect(stored.map((e) => e.url)).toEqual(['https://crm.example.com/other-hook']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('never opens a connection for a stored URL of those forms, and records why', async () => {
    const receiver = new TestReceiver();
    receivers.push(receiver);
    await receiver.up();
    receiver.secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    fixture.webhookRules.selfPorts.push(4000);
    const stored = [...ELSEWHERE.map(([url]) => url), receiver.url];
    for (const [n, url] of stored.entries()) {
      await storeEndpoint(`whe_elsewhere${n}`, url, receiver.secret);
    }
    await issueOne();
    // Every socket the process opens while the dispatcher sends (the allowed receiver's only).
    const connect = vi.spyOn(Socket.prototype, 'connect');
    try {
      await fixture.webhooks.runOnce();
      const targets = connect.mock.calls.map(([first]) => {
        // net.createConnection hands connect() its normalised [options, callback] pair.
        const { host, port } = (Array.isArray(first) ? first[0] : first) as {
          host?: string;
          port?: number;
        };
        return `${host}:${port}`;
      });
      const { port } = new URL(receiver.url);
      expect(targets).toEqual([`127.0.0.1:${port}`]);
    } finally {
      connect.mockRestore();
    }
    expect(receiver.deliveries).toHaveLength(1);
    for (const [n, [, message]] of ELSEWHERE.entries()) {
      expect(await refusedOnce(`whe_elsewhere${n}`, /^refused: /)).toMatch(message);
    }
  });

  it('never connects to a stored URL whose IP literal the rules refuse, and records why', async () => {
    // A receiver standing in for the portal itself, counting every connection it gets.
    let hits = 0;
    const portal = createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    portal.on('connection', () => hits++);
    await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve));
    const { port } = portal.address() as AddressInfo;
    fixture.webhookRules.selfPorts.push(port);
    try {
      // Stored behind the route's back (an older release, a restored backup, a direct write).
      for (const [n, url] of [
        `http://[::ffff:127.0.0.1]:${port}/hooks`,
        `http://[::ffff:7f00:1]:${port}/hooks`,
        `http://127.0.0.1:${port}/hooks`,
      ].entries()) {
        await storeEndpoint(
          `whe_literal${n}`,
          url,
          `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
        );
      }
      await issueOne();
      await fixture.webhooks.runOnce();
      expect(hits).toBe(0);
      for (const n of [0, 1, 2]) {
        await refusedOnce(`whe_literal${n}`, /refused: it points at this portal/);
      }
      // A literal never resolves to anything else: no retry is scheduled.
      fixture.advance(86_400_000);
      await fixture.webhooks.runOnce();
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => portal.close(resolve));
    }
  });

  /**
   * What the client sockets opened while `run` runs did: the addresses a lookup gave them to
   * connect to, the lookups that failed (their errors), and the connections made.
   */
  async function watchSockets(
    run: () => Promise<void>,
  ): Promise<{ given: string[]; failed: string[]; connected: number }> {
    const emit = vi.spyOn(Socket.prototype, 'emit');
    try {
      await run();
      // 'lookup' is emitted as (error, address, family, host); 'connect' once connected.
      const events = emit.mock.calls as unknown as [string, Error | null, string?][];
      return {
        given: events
          .filter(([name, error]) => name === 'lookup' && !error)
          .map(([, , address]) => String(address)),
        failed: events
          .filter(([name, error]) => name === 'lookup' && error)
          .map(([, error]) => String(error?.message)),
        connected: events.filter(([name]) => name === 'connect').length,
      };
    } finally {
      emit.mockRestore();
    }
  }

  /** A server standing in for the portal, listening on every address (as compose runs it). */
  async function standInPortal(): Promise<{
    port: number;
    hits: () => number;
    close(): Promise<void>;
  }> {
    let hits = 0;
    const portal = createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    portal.on('connection', () => hits++);
    await new Promise<void>((resolve) => portal.listen(0, resolve));
    const { port } = portal.address() as AddressInfo;
    fixture.webhookRules.selfPorts.push(port); // as the CLI does with the port it listens on
    return {
      port,
      hits: () => hits,
      close: () => new Promise((resolve) => portal.close(() => resolve())),
    };
  }

  /** Registers `url` through the API (names are resolved at delivery, not here): its id. */
  async function register(url: string): Promise<string> {
    const made = await alice.agent
      .post('/api/v1/webhooks')
      .set('X-CSRF-Token', alice.csrf)
      .send({ url, events: ['license.issued'] })
      .expect(201);
    return made.body.endpoint.id;
  }

  /** The endpoint's deliveries: one, unanswered, `attempts` made, the last refused as `error`. */
  async function refusedByName(endpointId: string, attempts: number, error: string): Promise<void> {
    const log = await alice.agent.get(`/api/v1/webhooks/${endpointId}/deliveries`).expect(200);
    expect(log.body.items).toHaveLength(1);
    // A name may resolve elsewhere later: retried on schedule (a refused literal fails at once).
    expect(log.body.items[0]).toMatchObject({
      status: 'pending',
      attempts,
      lastStatus: null,
      deliveredAt: null,
      lastError: `refused: ${error}`,
    });
  }

  it("resolves a name at delivery: one that resolves to loopback on the portal's port is the portal, never connected", async () => {
    const portal = await standInPortal();
    const receiver = new TestReceiver();
    receivers.push(receiver);
    await receiver.up();
    answers.set('crm.test', [{ address: '127.0.0.1', family: 4 }]);
    answers.set('self.test', [{ address: '127.0.0.1', family: 4 }]);
    try {
      // localhost is loopback by definition (RFC 6761): refused when registered, nothing stored.
      for (const host of ['localhost', 'app.localhost', 'LocalHost.']) {
        const refused = await alice.agent
          .post('/api/v1/webhooks')
          .set('X-CSRF-Token', alice.csrf)
          .send({ url: `http://${host}:${portal.port}/hook`, events: ['license.issued'] })
          .expect(422);
        expect(refused.body.error).toMatchObject({
          code: 'ERR_WEBHOOK_URL_INVALID',
          message: 'The webhook URL is refused: it points at this portal.',
        });
      }
      expect((await alice.agent.get('/api/v1/webhooks').expect(200)).body.items).toEqual([]);
      // Accepted when registered: any other name is no address until it is resolved.
      const self = await register(`http://self.test:${portal.port}/hook`);
      const crm = await register(`http://crm.test:${receiver.port}/hooks/licensor`);
      receiver.secret = (
        await alice.agent.get(`/api/v1/webhooks/${crm}/secret`).expect(200)
      ).body.secret;
      await issueOne();
      const sockets = await watchSockets(() => fixture.webhooks.runOnce());
      // Only the allowed receiver's socket got an address and connected.
      expect(sockets).toEqual({
        given: ['127.0.0.1'],
        failed: ['refused: it points at this portal'],
        connected: 1,
      });
      expect(portal.hits()).toBe(0);
      expect(receiver.deliveries).toHaveLength(1);
      await refusedByName(self, 1, 'it points at this portal');
      // Retried on schedule, refused again, still never connected.
      fixture.advance(5_000);
      const again = await watchSockets(() => fixture.webhooks.runOnce());
      expect(again).toEqual({
        given: [],
        failed: ['refused: it points at this portal'],
        connected: 0,
      });
      await refusedByName(self, 2, 'it points at this portal');
      expect(portal.hits()).toBe(0);
    } finally {
      await portal.close();
    }
  });

  it('refuses a name that resolves to a link-local address (cloud metadata) before any socket connects', async () => {
    answers.set('metadata.test', [{ address: '169.254.169.254', family: 4 }]);
    // One address refused is enough, whatever else the name resolves to.
    answers.set('mixed.test', [
      { address: '93.184.216.34', family: 4 },
      { address: 'fe80::a9fe:a9fe', family: 6 },
    ]);
    const metadata = await register('http://metadata.test/latest/meta-data/');
    const mixed = await register('http://mixed.test/hook');
    await issueOne();
    const sockets = await watchSockets(() => fixture.webhooks.runOnce());
    expect(sockets.given).toEqual([]);
    expect(sockets.connected).toBe(0);
    expect(sockets.failed.sort()).toEqual([
      'refused: 169.254.169.254 is link-local (cloud metadata lives there)',
      'refused: fe80::a9fe:a9fe is link-local (cloud metadata lives there)',
    ]);
    await refusedByName(metadata, 1, '169.254.169.254 is link-local (cloud metadata lives there)');
    await refusedByName(mixed, 1, 'fe80::a9fe:a9fe is link-local (cloud metadata lives there)');
  });

  it("refuses a name that resolves to one of this host's own addresses on the portal's port", async () => {
    const portal = await standInPortal();
    // This host's addresses, and those a compose container shows on its network's bridge.
    const real = fixture.webhookRules.hostAddresses;
    fixture.webhookRules.hostAddresses = () => [
      ...(real() ?? []),
      '172.18.0.5',
      'fd12:3456:789a::5',
    ];
    answers.set('portal.internal', [{ address: '172.18.0.5', family: 4 }]);
    answers.set('portal6.internal', [{ address: 'fd12:3456:789a::5', family: 6 }]);
    answers.set('mapped.internal', [{ address: '::ffff:172.18.0.5', family: 6 }]);
    // Every address this host really has (its LAN or container address among them): all of
    // them reach the stand-in, which listens on them all.
    const own = (real() ?? []).filter((a) => !/^(127\.|::1$|fe80:)/i.test(a));
    for (const [n, address] of own.entries()) {
      answers.set(`own${n}.internal`, [{ address, family: address.includes(':') ? 6 : 4 }]);
    }
    try {
      const names = ['portal.internal', 'portal6.internal', 'mapped.internal'];
      names.push(...own.map((_a, n) => `own${n}.internal`));
      const ids = [];
      for (const name of names) ids.push(await register(`http://${name}:${portal.port}/hook`));
      await issueOne();
      const sockets = await watchSockets(() => fixture.webhooks.runOnce());
      expect(sockets.given).toEqual([]);
      expect(sockets.connected).toBe(0);
      expect(sockets.failed).toHaveLength(names.length);
      expect(portal.hits()).toBe(0);
      const addresses = ['172.18.0.5', 'fd12:3456:789a::5', '::ffff:172.18.0.5', ...own];
      for (const [n, id] of ids.entries()) {
        const address = addresses[n]!;
        // An address refused whatever the port (this sandbox's eth0 may be a documentation one)
        // keeps that reason; every other one is this host's.
        const elsewhere = addressRefusal(address, 80, { ...fixture.webhookRules, selfPorts: [] });
        const why = elsewhere ?? `it points at this portal (${address} is this host's own address)`;
        await refusedByName(id, 1, why);
      }
    } finally {
      await portal.close();
    }
  });

  it('is for admins with a session only, and never shows the secret in the list', async () => {
    await ivan.agent
      .post('/api/v1/webhooks')
      .set('X-CSRF-Token', ivan.csrf)
      .send({ url: 'https://crm.example.com/hook', events: ['license.issued'] })
      .expect(403);
    const made = await alice.agent
      .post('/api/v1/webhooks')
      .set('X-CSRF-Token', alice.csrf)
      .send({ url: 'https://crm.example.com/hook', events: ['license.issued'] })
      .expect(201);
    expect(made.body.secret).toMatch(/^whsec_/);
    const listed = await alice.agent.get('/api/v1/webhooks').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(made.body.secret);
    const disabled = await alice.agent
      .patch(`/api/v1/webhooks/${made.body.endpoint.id}`)
      .set('X-CSRF-Token', alice.csrf)
      .send({ enabled: false })
      .expect(200);
    expect(disabled.body.enabled).toBe(false);
    const events = await fixture.issuer.listAuditEvents({ actor: 'alice' });
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['webhook.create', 'webhook.update']),
    );
  });
});

describe('webhooks when receivers, processes and the store misbehave', () => {
  const deliveriesOf = async (endpointId: string) =>
    (await alice.agent.get(`/api/v1/webhooks/${endpointId}/deliveries`).expect(200)).body.items;

  /** An endpoint at a receiver of our own making (any URL); its secret is not checked. */
  async function endpointAt(url: string, events: string[]): Promise<string> {
    const made = await alice.agent
      .post('/api/v1/webhooks')
      .set('X-CSRF-Token', alice.csrf)
      .send({ url, events })
      .expect(201);
    return made.body.endpoint.id;
  }

  it('counts a 101 Switching Protocols answer as a failed attempt, retried on schedule', async () => {
    let posts = 0;
    const sockets: Socket[] = [];
    const server = createTcpServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => {
        posts += 1;
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const id = await endpointAt(`http://127.0.0.1:${port}/hook`, ['license.issued']);
      await issueOne();
      const started = Date.now();
      await fixture.webhooks.runOnce(); // settles: before the fix it never did
      expect(Date.now() - started).toBeLessThan(1_500 + 1_000);
      const [delivery] = await deliveriesOf(id);
      expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 101 });
      expect(delivery.lastError).toMatch(/101/);
      expect(delivery.nextAttemptAt).toBe(fixture.clock.now + 5_000);
      // Nothing is re-sent when the lease runs out: the attempt is over, the retry is at 5 s.
      fixture.advance(fixture.webhooks.leaseMs - 5_000 - 1);
      await fixture.webhooks.runOnce();
      expect(posts).toBe(1);
      await fixture.webhooks.stop();
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  /** A receiver whose first answer is a slow 500, every later one a quick 204. */
  async function slowFirst(delayMs: number) {
    const received: string[] = [];
    const server = createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      req.resume();
      if (received.length === 1) setTimeout(() => res.writeHead(500).end(), delayMs);
      else res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    return { url, received, close: () => server.close() };
  }

  it('never lets an attempt that outlived its lease overwrite the outcome of a newer one', async () => {
    const receiver = await slowFirst(800);
    try {
      const id = await endpointAt(receiver.url, ['license.issued']);
      await issueOne();
      const first = fixture.webhooks.runOnce(); // attempt 1: answered 500, 800 ms on
      await vi.waitFor(() => expect(receiver.received).toHaveLength(1));
      // The first attempt's lease runs out (a paused process): another round takes it over.
      fixture.advance(fixture.webhooks.leaseMs);
      await fixture.webhooks.runOnce(); // attempt 2: delivered
      expect(await deliveriesOf(id)).toMatchObject([{ status: 'delivered', lastStatus: 204 }]);
      await first; // attempt 1's 500 lands now: recorded nowhere
      const [delivery] = await deliveriesOf(id);
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 204 });
      fixture.advance(60_000);
      await fixture.webhooks.runOnce();
      expect(receiver.received).toHaveLength(2);
    } finally {
      receiver.close();
    }
  });

  it('answers a resend during an attempt with 409 and when to try again; the attempt counts', async () => {
    const receiver = await slowFirst(800);
    try {
      const id = await endpointAt(receiver.url, ['license.issued']);
      await issueOne();
      const first = fixture.webhooks.runOnce();
      await vi.waitFor(() => expect(receiver.received).toHaveLength(1));
      const [held] = await deliveriesOf(id);
      const refused = await alice.agent
        .post(`/api/v1/webhooks/${id}/deliveries/${held.id}/resend`)
        .set('X-CSRF-Token', alice.csrf)
        .expect(409);
      expect(JSON.stringify(refused.body)).toMatch(/being sent right now: try again in \d+ s/);
      await fixture.webhooks.runOnce(); // claims nothing: the lease is live
      await first;
      expect(receiver.received).toHaveLength(1);
      expect((await deliveriesOf(id))[0]).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastStatus: 500,
      });
      // Now it is no attempt in flight: the resend goes through and is sent at once.
      await alice.agent
        .post(`/api/v1/webhooks/${id}/deliveries/${held.id}/resend`)
        .set('X-CSRF-Token', alice.csrf)
        .expect(200);
      await fixture.webhooks.runOnce();
      expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(receiver.received).toHaveLength(2);
    } finally {
      receiver.close();
    }
  });

  it('keeps the events of a disabled endpoint, and its due retries, for when it is enabled', async () => {
    const { receiver, id } = await receiverFor(['license.issued']);
    await receiver.down(); // the first attempt fails: retried 5 s on
    const first = await issueOne();
    await fixture.webhooks.runOnce();
    expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'pending', attempts: 1 });
    const enable = (enabled: boolean) =>
      alice.agent
        .patch(`/api/v1/webhooks/${id}`)
        .set('X-CSRF-Token', alice.csrf)
        .send({ enabled })
        .expect(200);
    await enable(false); // the receiver's maintenance
    const second = await issueOne(); // while disabled
    fixture.advance(5_000); // the retry is due, the endpoint disabled
    await fixture.webhooks.runOnce();
    fixture.advance(60_000);
    await fixture.webhooks.runOnce();
    const waiting = await deliveriesOf(id);
    expect(waiting.map((d: { status: string }) => d.status)).toEqual(['pending', 'pending']);
    expect(waiting.map((d: { attempts: number }) => d.attempts).sort()).toEqual([0, 1]);
    await receiver.up();
    await enable(true);
    await fixture.webhooks.runOnce();
    const log = await deliveriesOf(id);
    expect(log.map((d: { status: string }) => d.status)).toEqual(['delivered', 'delivered']);
    const licenses = [...receiver.events.values()].map((e) => e.data.licenseId);
    expect(licenses.sort()).toEqual([first, second].sort());
  });

  it('delivers license.issued when the event watch fails every round', async () => {
    const { receiver } = await receiverFor(['license.issued']);
    const failing = vi
      .spyOn(fixture.webhooks.watch, 'run')
      .mockRejectedValue(new Error('the store cannot answer this query'));
    const scan = vi
      .spyOn(fixture.webhooks, 'scanExpiring')
      .mockRejectedValue(new Error('the store cannot answer this query either'));
    const licenseId = await issueOne();
    await fixture.webhooks.runOnce();
    expect([...receiver.events.values()].map((e) => e.data.licenseId)).toEqual([licenseId]);
    // The loop of `serve` too.
    const later = await issueOne();
    fixture.webhooks.start(20);
    await vi.waitFor(() => expect(receiver.events.size).toBe(2), { timeout: 5_000 });
    expect(receiver.events.has(`msg_${later}`)).toBe(false); // ids are the transaction's
    expect(failing).toHaveBeenCalled();
    expect(scan).toHaveBeenCalled();
  });

  it('makes a lost request.created good at start and every 10 minutes after, once', async () => {
    const pending: ApprovalRequest[] = [];
    const store = new Proxy(fixture.issuer.store, {
      get(target, property) {
        if (property === 'listRequests') return async () => pending;
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as LicensorStore;
    const dispatcher = new WebhookDispatcher({
      store,
      now: () => fixture.clock.now,
      rules: { selfHosts: [], selfPorts: [], denyPrivate: false, hostAddresses: () => [] },
    });
    const request = (n: number) =>
      ({
        id: `req_${n}`,
        kind: 'issue',
        status: 'pending',
        licenseId: `lic_${n}`,
        installationId: `ins_${n}`,
        challenge: 'x',
        challengeHash: `${n}`.repeat(43).slice(0, 43),
        asked: null,
        createdAt: fixture.clock.now,
        createdBy: { id: 'op-1', name: 'Olivia' },
        decidedAt: null,
        decidedBy: null,
        reason: null,
        transactionId: null,
      }) as unknown as ApprovalRequest;
    const created = async () => {
      const found: unknown[] = [];
      for (const r of pending) {
        const event = await fixture.issuer.store.automation.getOutboxEvent(
          `msg_rq_${r.challengeHash}`,
        );
        if (event !== null) found.push(event.data.requestId);
      }
      return found;
    };
    pending.push(request(1));
    await dispatcher.runOnce(); // the first round reconciles
    expect(await created()).toEqual(['req_1']);
    // A request whose event was lost later (MongoDB: a crash between the two writes).
    pending.push(request(2));
    fixture.advance(9 * 60_000);
    await dispatcher.runOnce();
    expect(await created()).toEqual(['req_1']);
    fixture.advance(60_000);
    await dispatcher.runOnce();
    expect(await created()).toEqual(['req_1', 'req_2']);
    fixture.advance(10 * 60_000);
    await dispatcher.runOnce();
    expect(await created()).toEqual(['req_1', 'req_2']);
  });

  it('sweeps delivered deliveries and their events after the retention; pending ones stay', async () => {
    const { receiver, id } = await receiverFor(['license.issued']);
    const dispatcher = new WebhookDispatcher({
      store: fixture.issuer.store,
      now: () => fixture.clock.now,
      rules: fixture.webhookRules,
      lookup,
      expiringDays: 5,
      retentionDays: 10,
      sweepBatch: 1,
    });
    expect(
      () =>
        new WebhookDispatcher({ store: fixture.issuer.store, rules: RULES_ANY, retentionDays: 7 }),
    ).toThrow(RangeError);
    // The portal passes its setting on (LICENSOR_WEBHOOK_RETENTION_DAYS through the CLI).
    const { createPortalApp } = await import('../src/server/app.js');
    expect(() =>
      createPortalApp({ issuer: fixture.issuer, webRoot: null, webhooks: { retentionDays: 7 } }),
    ).toThrow(/retentionDays must be more than 30/);
    await issueOne();
    await issueOne();
    await dispatcher.runOnce();
    await receiver.down();
    await issueOne(); // fails, stays pending
    await dispatcher.runOnce();
    const log = await deliveriesOf(id);
    expect(log.map((d: { status: string }) => d.status).sort()).toEqual([
      'delivered',
      'delivered',
      'pending',
    ]);
    const auditBefore = (await fixture.issuer.listAuditEvents({})).map((e) => e.id);
    fixture.advance(10 * 86_400_000 + 3_600_000);
    await dispatcher.runOnce();
    alice = await loginAs(fixture, 'alice'); // the session ended meanwhile
    const kept = await deliveriesOf(id);
    expect(kept.map((d: { status: string }) => d.status)).toEqual(['pending']);
    const store = fixture.issuer.store.automation;
    for (const d of log) {
      expect((await store.getOutboxEvent(d.eventId)) !== null).toBe(d.status === 'pending');
    }
    const auditAfter = (await fixture.issuer.listAuditEvents({})).map((e) => e.id);
    expect(auditAfter).toEqual(expect.arrayContaining(auditBefore));
  });
});

const RULES_ANY = { selfHosts: [], selfPorts: [], denyPrivate: false, hostAddresses: () => [] };
