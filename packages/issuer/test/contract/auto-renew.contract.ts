// Contract: the auto-renew job (#12.3), under a frozen clock. Run against every adapter by
// contract.test.ts.

import { Keyring, verifyLicense } from '@licensor/token';
import { beforeEach, expect, it } from 'vitest';
import { AUTO_RENEW_OPERATOR } from '../../src/domain/auto-renew.js';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { frozenClock, STANDARD_PLAN, T0, TestInstallation } from '../support/fixtures.js';
import { openedIssuer } from '../support/opened-issuer.js';

const DAY_MS = 86_400_000;

export function autoRenewContract(adapter: Adapter): void {
  let store: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();
  openedIssuer(adapter, clock, {
    use: (opened) => {
      ({ store, issuer } = opened);
    },
  });
  beforeEach(async () => {
    await issuer.products.create({ name: 'vSEC:CMS' }, 'alice');
    await issuer.plans.create({ ...STANDARD_PLAN, name: 'Auto', autoRenew: true }, 'alice');
    await issuer.plans.create(STANDARD_PLAN, 'alice');
  });

  const issueOn = (plan: string) =>
    issuer.issue(
      new TestInstallation().challenge({ v: 2, at: clock.now() }),
      { customerName: 'Acme Corp', model: 'subscription', credentials: 100, plan },
      'alice',
    );
  const renewals = async (licenseId: string) =>
    (await issuer.listTransactions({ licenseId })).filter((t) => t.kind === 'renew');

  it('renews a due subscription of an auto-renew plan once, audited, with its webhook, for online delivery', async () => {
    const auto = await issueOn('Auto');
    const manual = await issueOn('Standard');
    const end = auto.license.term!.end;
    // Not due yet: 300 days into a 365-day term.
    clock.set(T0 + 300 * DAY_MS);
    expect((await issuer.autoRenew()).renewed).toEqual([]);
    // Due: within the 7 days before the end.
    clock.set(T0 + 360 * DAY_MS);
    const run = await issuer.autoRenew();
    expect(run.renewed.map((r) => r.licenseId)).toEqual([auto.license.id]);
    expect(run.renewed[0]!.termEnd).toBe(end + 365 * 86_400);
    expect(await renewals(manual.license.id)).toEqual([]);

    const [renewal] = await renewals(auto.license.id);
    expect(renewal).toMatchObject({
      operator: AUTO_RENEW_OPERATOR,
      reason: 'automatic renewal (plan "Auto")',
    });
    // Delivered online: the check view relays the renewed token at the next check.
    const view = await store.getCheckView(auto.license.id);
    expect(view?.latestToken).toBe(renewal!.token);
    const keyring = Keyring.fromJwks(await issuer.keys.exportJwks());
    expect(verifyLicense(view!.latestToken!, keyring).claims).toMatchObject({
      chal: null,
      term: { end: end + 365 * 86_400 },
      plan: expect.any(String),
    });
    const audited = await issuer.listAuditEvents({ subjectId: auto.license.id });
    expect(audited.find((e) => e.action === 'license.renew')).toMatchObject({
      actor: AUTO_RENEW_OPERATOR,
    });
    expect(await store.automation.getOutboxEvent(`msg_${renewal!.id.slice(4)}`)).toMatchObject({
      type: 'license.renewed',
      data: { operator: AUTO_RENEW_OPERATOR, reason: 'automatic renewal (plan "Auto")' },
    });

    // Idempotent: a second run renews nothing more.
    expect((await issuer.autoRenew()).renewed).toEqual([]);
    expect(await renewals(auto.license.id)).toHaveLength(1);
  });

  it('two processes running the job at once renew a term once', async () => {
    const auto = await issueOn('Auto');
    const other = await openIssuer({ store, now: clock.now, passphrase: '' });
    clock.set(T0 + 362 * DAY_MS);
    const [a, b] = await Promise.all([issuer.autoRenew(), other.autoRenew()]);
    expect(a.renewed.length + b.renewed.length).toBe(1);
    expect(a.failed).toEqual([]);
    expect(b.failed).toEqual([]);
    expect(await renewals(auto.license.id)).toHaveLength(1);
  });

  it('leaves suspended licenses, ended terms and plans without the policy alone; bounded per run', async () => {
    const suspended = await issueOn('Auto');
    await issuer.suspend(suspended.license.id, 'alice');
    clock.set(T0 + DAY_MS);
    const first = await issueOn('Auto');
    const second = await issueOn('Auto');
    // 366 days: the suspended license's term ended yesterday (and it is suspended anyway).
    clock.set(T0 + 366 * DAY_MS);
    const bounded = await issuer.autoRenew({ maxRenewals: 1 });
    expect(bounded.renewed).toHaveLength(1);
    expect(bounded.more).toBe(true);
    const rest = await issuer.autoRenew({ maxRenewals: 1 });
    expect(rest.renewed).toHaveLength(1);
    expect([...bounded.renewed, ...rest.renewed].map((r) => r.licenseId).sort()).toEqual(
      [first.license.id, second.license.id].sort(),
    );
    expect((await issuer.autoRenew()).renewed).toEqual([]);
    expect(await renewals(suspended.license.id)).toEqual([]);
    // Switching the policy off stops it.
    await issuer.plans.update('Auto', { autoRenew: false }, 'alice');
    expect((await issuer.plans.get('Auto'))?.autoRenew).toBeUndefined();
    const late = await issueOn('Auto');
    clock.set(T0 + 366 * DAY_MS + 360 * DAY_MS);
    expect((await issuer.autoRenew()).renewed.map((r) => r.licenseId)).not.toContain(
      late.license.id,
    );
  });

  it('refuses an automatic renewal a plan cannot do, naming the field, and stores nothing', async () => {
    const before = await issuer.plans.list();
    const { autoRenew: _a, ...standard } = { ...STANDARD_PLAN, autoRenew: true };
    const refusals: [object, string][] = [
      [{ name: 'Perpetual', model: 'perpetual', credentials: 10, autoRenew: true }, 'autoRenew'],
      [{ ...standard, name: 'No days', renewalDays: null, autoRenew: true }, 'autoRenew'],
      [{ ...standard, name: 'Not boolean', autoRenew: 'yes' }, 'autoRenew'],
    ];
    for (const [input, field] of refusals) {
      await expect(
        issuer.plans.create(input as Parameters<Issuer['plans']['create']>[0], 'alice'),
      ).rejects.toMatchObject({ code: 'ERR_PLAN_INVALID', field });
    }
    expect(await issuer.plans.list()).toEqual(before);
  });
}
