// The events no portal write causes (check.failed, usage.near-cap, check.stopped, keys.changed)
// delivered end to end: found by the dispatcher's event watch in the store, sent to a real
// receiver on 127.0.0.1 that verifies the Standard Webhooks signature. The receiver is down
// while the first portal process finds them; that process is dropped (a restart: its memory
// is gone, the outbox is in the store) and a new one delivers every event exactly once.
import { checkFailureOf } from '@licensor/issuer';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortalApp } from '../src/server/app.js';
import {
  type Fixture,
  issueThroughApi,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
} from './helpers.js';
import { TestReceiver } from './webhook-receiver.js';

const HOUR = 3_600_000;
const events = { checkIntervalMs: HOUR, stoppedScanMs: 0, settleMs: 0, stoppedWindowMs: 10 * HOUR };

let fixture: Fixture;
let alice: LoggedIn;
let ivan: LoggedIn;
let receiver: TestReceiver;

beforeEach(async () => {
  fixture = await makePortal({ webhooks: { timeoutMs: 1_500, events } });
  alice = await loginAs(fixture, 'alice');
  ivan = await loginAs(fixture, 'ivan');
  receiver = new TestReceiver();
  await receiver.up();
});
afterEach(async () => {
  await receiver.down();
  await fixture.webhooks.stop();
  await fixture.close();
});

async function subscribe(types: string[]): Promise<string> {
  const made = await alice.agent
    .post('/api/v1/webhooks')
    .set('X-CSRF-Token', alice.csrf)
    .send({ url: receiver.url, events: types })
    .expect(201);
  receiver.secret = made.body.secret;
  return made.body.endpoint.id;
}

describe('check, usage and key events', () => {
  it('are found in the store, survive a restart of the portal, and arrive once each', async () => {
    const endpoint = await subscribe([
      'check.failed',
      'check.stopped',
      'usage.near-cap',
      'keys.changed',
    ]);
    const installation = newInstallation();
    const issued = await issueThroughApi(ivan, makeChallenge(fixture, installation));
    const licenseId = issued.license.id;
    const { store } = fixture.issuer;
    // Hourly checks, the last two at 95 and 99 of 100 credentials (one crossing of 90 %).
    const usages = [40, 60, 95, 99];
    for (const [i, usage] of usages.entries()) {
      await store.recordChecks([
        {
          id: `chk_hourly_${i}`,
          at: fixture.clock.now,
          licenseId,
          installationId: installation.id,
          sdkVersion: '1.0.0',
          credentialsInUse: usage,
          outcome: 'VALID',
        },
      ]);
      if (i < usages.length - 1) fixture.advance(HOUR);
    }
    // What the verify service records when it refuses a forged check of this license.
    await store.recordCheckFailures([
      checkFailureOf({
        licenseId,
        installationId: installation.id,
        reason: 'ERR_SIGNATURE_INVALID',
        at: fixture.clock.now,
      }),
    ]);
    await fixture.issuer.keys.rotate('status', 'alice');
    // Then silence: past two intervals, the installation has stopped checking.
    fixture.advance(2 * HOUR + 1);

    await receiver.down();
    await fixture.webhooks.runOnce();
    // (Read from the store: the sessions have idled out over the hours this test spans.)
    const pending = await store.automation.listDeliveries(endpoint, 100);
    expect(pending.map((d) => d.eventType).sort()).toEqual([
      'check.failed',
      'check.stopped',
      'keys.changed',
      'keys.changed',
      'usage.near-cap',
    ]);
    expect(pending.every((d) => d.status === 'pending' && d.attempts === 1)).toBe(true);
    await fixture.webhooks.stop();

    // A new portal process on the same store: nothing in memory, everything in the outbox.
    const restarted = createPortalApp({
      issuer: fixture.issuer,
      now: () => fixture.clock.now,
      logger: pino({ level: 'silent' }),
      webRoot: null,
      webhooks: { timeoutMs: 1_500, events },
    });
    await receiver.up();
    fixture.advance(5_000);
    await restarted.webhooks.runOnce();
    await restarted.webhooks.runOnce();
    await fixture.webhooks.runOnce();
    await restarted.webhooks.stop();
    const delivered = await store.automation.listDeliveries(endpoint, 100);
    expect(delivered.every((d) => d.status === 'delivered' && d.attempts === 2)).toBe(true);

    expect(receiver.forged).toEqual([]);
    expect(receiver.deliveries).toHaveLength(5);
    const byType = new Map([...receiver.events.values()].map((e) => [e.type, e.data]));
    expect(byType.get('usage.near-cap')).toMatchObject({
      licenseId,
      credentialsInUse: 95,
      threshold: 90,
      credentials: 100,
    });
    expect(byType.get('check.failed')).toMatchObject({
      licenseId,
      reason: 'ERR_SIGNATURE_INVALID',
    });
    expect(byType.get('check.stopped')).toMatchObject({
      licenseId,
      installationId: installation.id,
      expectedIntervalMs: HOUR,
      checksBefore: 4,
    });
    const keys = [...receiver.events.values()].filter((e) => e.type === 'keys.changed');
    expect(keys.map((e) => (e.data.changes as { to: string }[])[0]?.to).sort()).toEqual([
      'active',
      'next',
    ]);
  });
});
