// Contract: products, plans and issuing from them. Run against every adapter by contract.test.ts.

import { Keyring, verifyLicense } from '@licensor/token';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CatalogProduct, Plan, PlanInput } from '../../src/catalog/types.js';
import type { Issuer } from '../../src/facade.js';
import type { Terms } from '../../src/records.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from '../support/adapters.js';
import { DAY_MS, frozenClock, STANDARD_PLAN, T0, TestInstallation } from '../support/fixtures.js';
import { openedIssuer } from '../support/opened-issuer.js';

const STANDARD: PlanInput = STANDARD_PLAN;

const standardTerms = (extra: Partial<Terms> = {}): Terms => ({
  customerName: 'Acme Corp',
  model: 'subscription',
  credentials: 100,
  plan: 'Standard',
  ...extra,
});

/** What a refusal must leave: no license, no transaction, no customer. */
async function nothingStored(store: LicensorStore): Promise<void> {
  expect(await store.listLicenses({})).toEqual([]);
  expect(await store.listTransactions({})).toEqual([]);
  expect(await store.listCustomers()).toEqual([]);
}

async function refusal(action: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await action;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('did not refuse');
}

export function catalogContract(adapter: Adapter): void {
  let store: LicensorStore;
  let issuer: Issuer;
  const clock = frozenClock();
  openedIssuer(adapter, clock, {
    use: (opened) => {
      ({ store, issuer } = opened);
    },
  });

  const keyring = async () => Keyring.fromJwks(await issuer.keys.exportJwks());

  describe('store', () => {
    const product = (over: Partial<CatalogProduct> = {}): CatalogProduct => ({
      id: 'prd_a',
      name: 'vSEC:CMS',
      description: null,
      versions: ['6'],
      status: 'active',
      version: 1,
      createdAt: T0,
      updatedAt: T0,
      ...over,
    });

    it('keeps products with names unique regardless of case, found by id and by name', async () => {
      expect(await store.insertProduct(product())).toBe('written');
      expect(await store.insertProduct(product({ id: 'prd_b', name: 'VSEC:cms' }))).toBe(
        'name-taken',
      );
      expect(await store.getProduct('prd_a')).toEqual(product());
      expect(await store.findProductByName('vsec:CMS')).toEqual(product());
      expect(await store.getProduct('prd_b')).toBeNull();
      expect(await store.insertProduct(product({ id: 'prd_c', name: 'Alpha' }))).toBe('written');
      expect((await store.listProducts()).map((p) => p.name)).toEqual(['Alpha', 'vSEC:CMS']);
    });

    it('writes a product change only over the version it read', async () => {
      await store.insertProduct(product());
      await store.insertProduct(product({ id: 'prd_b', name: 'Other' }));
      const next = product({ description: 'CMS', version: 2 });
      expect(await store.updateProduct(next, 1)).toBe('written');
      expect(await store.updateProduct(product({ description: 'stale', version: 2 }), 1)).toBe(
        'conflict',
      );
      expect(await store.updateProduct(product({ name: 'Other', version: 3 }), 2)).toBe(
        'name-taken',
      );
      expect(await store.getProduct('prd_a')).toEqual(next);
    });

    it('keeps plans the same way', async () => {
      const plan = await issuer.plans.create({ ...STANDARD, products: [] }, 'alice');
      expect(await store.getPlan(plan.id)).toEqual(plan);
      expect(await store.findPlanByName('STANDARD')).toEqual(plan);
      expect(await store.insertPlan({ ...plan, id: 'pln_x' })).toBe('name-taken');
      expect(await store.updatePlan({ ...plan, version: 2, description: 'x' }, 1)).toBe('written');
      expect(await store.updatePlan({ ...plan, version: 2, description: 'y' }, 1)).toBe('conflict');
      expect((await store.listPlans()).map((p) => p.description)).toEqual(['x']);
    });
  });

  describe('catalogue', () => {
    it('creates, renames, archives and restores a product, with audit events', async () => {
      const product = await issuer.products.create(
        { name: ' vSEC:CMS ', versions: ['6', '5.2', '6'] },
        'alice',
      );
      expect(product).toMatchObject({ name: 'vSEC:CMS', versions: ['5.2', '6'], version: 1 });
      const renamed = await issuer.products.update('vsec:cms', { description: 'The CMS' }, 'bob');
      expect(renamed).toMatchObject({ description: 'The CMS', version: 2 });
      expect((await issuer.products.archive(product.id, 'bob')).status).toBe('archived');
      expect((await issuer.products.restore('vSEC:CMS', 'bob')).status).toBe('active');
      const actions = (await issuer.listAuditEvents({ subjectId: product.id })).map(
        (e) => e.action,
      );
      expect(actions.sort()).toEqual([
        'product.archive',
        'product.create',
        'product.restore',
        'product.update',
      ]);
    });

    it('refuses a bad product naming the field, and a taken name, storing nothing', async () => {
      await issuer.products.create({ name: 'vSEC:CMS' }, 'alice');
      await expect(issuer.products.create({ name: 'VSEC:CMS' }, 'alice')).rejects.toMatchObject({
        code: 'ERR_NAME_TAKEN',
      });
      await expect(
        issuer.products.create({ name: 'X', versions: ['6.x'] }, 'alice'),
      ).rejects.toMatchObject({ code: 'ERR_PRODUCT_INVALID', field: 'versions[0]' });
      await expect(issuer.products.create({ name: '' }, 'alice')).rejects.toMatchObject({
        code: 'ERR_PRODUCT_INVALID',
        field: 'name',
      });
      expect((await issuer.products.list()).map((p) => p.name)).toEqual(['vSEC:CMS']);
    });

    it.each([
      ['an add-on that every license already has', { addOns: ['hsm-support'] }, 'addOns[0]'],
      [
        'a default outside its own bounds',
        { credentials: { value: 5, min: 10 } },
        'credentials.value',
      ],
      ['bounds upside down', { credentials: { value: 5, min: 9, max: 1 } }, 'credentials.min'],
      ['a term on a perpetual plan', { model: 'perpetual', termDays: 30 }, 'termDays'],
      [
        'a limit called credentials',
        { limits: [{ name: 'credentials', value: 1 }] },
        'limits[0].name',
      ],
      ['a feature name outside the pattern', { features: ['HSM Support'] }, 'features[0].name'],
      ['a feature named twice', { features: ['a', 'a'] }, 'features'],
      [
        'a limit default outside its bounds',
        { limits: [{ name: 'sites', value: 20, max: 10 }] },
        'limits[0].value',
      ],
      ['a product not in the catalogue', { products: ['Nope'] }, 'products[0]'],
      [
        'grace bounds that allow none',
        { graceDays: { value: 14, min: 0, max: 30 } },
        'graceDays.min',
      ],
    ])('refuses a plan with %s, naming %s, storing nothing', async (_what, change, field) => {
      await issuer.products.create({ name: 'vSEC:CMS' }, 'alice');
      const error = await refusal(
        issuer.plans.create({ ...STANDARD, ...change } as PlanInput, 'alice'),
      );
      expect(error).toMatchObject({ code: 'ERR_PLAN_INVALID', field });
      expect(await issuer.plans.list()).toEqual([]);
    });

    it('refuses a member a plan, a product or a change of either does not have, naming it (and the member it differs from in case), storing nothing', async () => {
      const product = await issuer.products.create({ name: 'vSEC:CMS' }, 'alice');
      for (const [change, field, reason] of [
        [{ addons: ['extra'] }, 'addons', 'did you mean "addOns"?'],
        [{ feature: ['x'] }, 'feature', '(the members: name, description, products, model,'],
        [{ termdays: 30 }, 'termdays', 'did you mean "termDays"?'],
        [
          { credentials: { value: 5, maximum: 9 } },
          'credentials.maximum',
          '(the members: value, min, max)',
        ],
        [{ addOns: [{ name: 'x', Days: 3 }] }, 'addOns[0].Days', 'did you mean "days"?'],
        [
          { limits: [{ name: 'sites', value: 3, mx: 9 }] },
          'limits[0].mx',
          'the members: name, value, min, max, days',
        ],
      ] as const) {
        const error = await refusal(
          issuer.plans.create({ ...STANDARD, ...change } as unknown as PlanInput, 'alice'),
        );
        expect(error).toMatchObject({ code: 'ERR_PLAN_INVALID', field });
        expect(String(error.message)).toContain(`plan: ${field} is not a member here`);
        expect(String(error.message)).toContain(reason);
      }
      expect(await issuer.plans.list()).toEqual([]);
      const plan = await issuer.plans.create(STANDARD, 'alice');
      const audit = await issuer.listAuditEvents();
      expect(
        await refusal(issuer.plans.update(plan.id, { termdays: 30 } as never, 'bob')),
      ).toMatchObject({ code: 'ERR_PLAN_INVALID', field: 'termdays' });
      expect(
        await refusal(issuer.products.update(product.id, { Versions: ['7'] } as never, 'bob')),
      ).toMatchObject({ code: 'ERR_PRODUCT_INVALID', field: 'Versions' });
      expect(
        await refusal(issuer.products.create({ name: 'X', version: ['1'] } as never, 'bob')),
      ).toMatchObject({ code: 'ERR_PRODUCT_INVALID', field: 'version' });
      expect(await issuer.plans.list()).toEqual([plan]);
      expect(await issuer.products.list()).toEqual([product]);
      expect(await issuer.listAuditEvents()).toEqual(audit);
    });

    it('a plan change is a new revision; the same change again writes nothing', async () => {
      await issuer.products.create({ name: 'vSEC:CMS' }, 'alice');
      const plan = await issuer.plans.create(STANDARD, 'alice');
      expect(plan).toMatchObject({ revision: 1, version: 1, status: 'active' });
      const changed = await issuer.plans.update(
        'standard',
        { features: ['hsm-support', 'audit'] },
        'bob',
      );
      expect(changed).toMatchObject({ revision: 2, version: 2 });
      expect(changed.features.map((f) => f.name)).toEqual(['audit', 'hsm-support']);
      const again = await issuer.plans.update(
        plan.id,
        { features: ['audit', 'hsm-support'] },
        'bob',
      );
      expect(again).toEqual(changed);
      const archived = await issuer.plans.archive(plan.id, 'bob');
      expect(archived).toMatchObject({ status: 'archived', revision: 2, version: 3 });
    });
  });

  describe('issuing from a plan', () => {
    let plan: Plan;
    beforeEach(async () => {
      await issuer.products.create({ name: 'vSEC:CMS', versions: ['6'] }, 'alice');
      plan = await issuer.plans.create(STANDARD, 'alice');
    });

    it('a version 2 challenge gets a version 2 key with the plan, products, features and limits', async () => {
      const challenge = new TestInstallation().challenge({ v: 2 });
      const result = await issuer.issue(
        challenge,
        standardTerms({ features: ['mobile-credentials'], limits: [{ name: 'sites', value: 5 }] }),
        'alice',
      );
      const { claims } = verifyLicense(result.token, await keyring());
      const now = Math.floor(T0 / 1000);
      expect(claims).toMatchObject({
        v: 2,
        plan: plan.id,
        products: [{ name: 'vSEC:CMS', versions: ['6'] }],
        features: [
          { name: 'hsm-support' },
          { name: 'mobile-credentials', until: now + 180 * 86_400 },
        ],
        limits: [{ name: 'sites', value: 5 }],
        credentials: 100,
        term: { start: now, end: now + 365 * 86_400, grace: 14 * 86_400 },
      });
      expect(result.license.entitlements).toMatchObject({
        plan: { id: plan.id, name: 'Standard', revision: 1 },
        overrides: { features: ['mobile-credentials'], limits: [{ name: 'sites', value: 5 }] },
        tokenVersion: 2,
      });
      expect(await store.getLicense(result.license.id)).toEqual(result.license);
    });

    it('filters licenses by plan, product and feature', async () => {
      const a = await issuer.issue(
        new TestInstallation().challenge({ v: 2 }),
        standardTerms({ features: ['reporting'] }),
        'alice',
      );
      const b = await issuer.issue(
        new TestInstallation().challenge({ v: 2 }),
        { customerName: 'Beta', model: 'perpetual', credentials: 5, features: ['audit'] },
        'alice',
      );
      const ids = async (filter: Parameters<Issuer['listLicenses']>[0]) =>
        (await issuer.listLicenses(filter)).map((l) => l.id);
      expect(await ids({ planId: plan.id })).toEqual([a.license.id]);
      expect(await ids({ product: 'vSEC:CMS' })).toEqual([a.license.id]);
      expect(await ids({ feature: 'audit' })).toEqual([b.license.id]);
      expect(await ids({ feature: 'reporting' })).toEqual([a.license.id]);
      expect(await ids({ feature: 'hsm-support', planId: plan.id })).toEqual([a.license.id]);
      expect(await ids({ feature: 'nothing' })).toEqual([]);
    });

    it('lists subscriptions ending in a window', async () => {
      const a = await issuer.issue(
        new TestInstallation().challenge({ v: 2 }),
        standardTerms(),
        'alice',
      );
      const end = a.license.term!.end;
      const ids = async (after: number, before: number) =>
        (await issuer.listLicenses({ termEndsAfter: after, termEndsBefore: before })).map(
          (l) => l.id,
        );
      expect(await ids(end - 10, end + 10)).toEqual([a.license.id]);
      expect(await ids(end + 1, end + 100)).toEqual([]);
    });

    it.each([
      [
        'a feature the plan does not offer',
        { features: ['teleport'] },
        'ERR_TERMS_INVALID',
        'features',
      ],
      [
        'a limit above its bound',
        { limits: [{ name: 'sites', value: 11 }] },
        'ERR_TERMS_INVALID',
        'limits.sites',
      ],
      [
        'a limit the plan does not have',
        { limits: [{ name: 'seats', value: 1 }] },
        'ERR_TERMS_INVALID',
        'limits.seats',
      ],
      ['credentials outside the bounds', { credentials: 20 }, 'ERR_TERMS_INVALID', 'credentials'],
      ['another model than the plan', { model: 'perpetual' }, 'ERR_TERMS_INVALID', 'model'],
      ['a term longer than the plan allows', { termDays: 400 }, 'ERR_TERMS_INVALID', 'termDays'],
      [
        'a feature name outside the pattern',
        { features: ['Mobile'] },
        'ERR_TERMS_INVALID',
        'features[0]',
      ],
      ['a plan that does not exist', { plan: 'Gold' }, 'ERR_PLAN_NOT_FOUND', undefined],
    ])('refuses %s (%s), storing nothing', async (_what, change, code, field) => {
      const error = await refusal(
        issuer.issue(
          new TestInstallation().challenge({ v: 2 }),
          standardTerms(change as Partial<Terms>),
          'alice',
        ),
      );
      expect(error.code).toBe(code);
      if (field !== undefined) expect(error.field).toBe(field);
      await nothingStored(store);
    });

    it('refuses a limit below what the installation reports in use, storing nothing', async () => {
      const challenge = new TestInstallation().challenge({
        v: 2,
        limitsInUse: [{ name: 'sites', inUse: 4 }],
      });
      const error = await refusal(issuer.issue(challenge, standardTerms(), 'alice'));
      expect(error).toMatchObject({ code: 'ERR_TERMS_INVALID', field: 'limits.sites' });
      expect(String(error.message)).toContain('below the 4 the installation reports in use');
      await nothingStored(store);
      const ok = await issuer.issue(
        challenge,
        standardTerms({ limits: [{ name: 'sites', value: 4 }] }),
        'alice',
      );
      expect(ok.license.entitlements?.limits).toEqual([{ name: 'sites', value: 4 }]);
    });

    it('refuses a product or version the plan does not cover, storing nothing', async () => {
      for (const product of [
        { name: 'Other', version: '1.0' },
        { name: 'vSEC:CMS', version: '7.0.0' },
      ]) {
        const challenge = new TestInstallation().challenge({ v: 2, product });
        const error = await refusal(issuer.issue(challenge, standardTerms(), 'alice'));
        expect(error).toMatchObject({ code: 'ERR_PRODUCT_NOT_COVERED', field: 'plan' });
      }
      const other = new TestInstallation().challenge({
        v: 2,
        product: { name: 'Other', version: '1' },
      });
      const inspection = await issuer.inspect(other, 'alice');
      expect(inspection.entitlements.product).toBeNull();
      expect(inspection.findings.map((f) => f.kind)).toContain('product-unknown');
      await nothingStored(store);
    });

    it('refuses an archived plan, storing nothing', async () => {
      await issuer.plans.archive('Standard', 'alice');
      const error = await refusal(
        issuer.issue(new TestInstallation().challenge({ v: 2 }), standardTerms(), 'alice'),
      );
      expect(error).toMatchObject({ code: 'ERR_TERMS_INVALID', field: 'plan' });
      await nothingStored(store);
    });

    it('a version 1 challenge gets a version 1 key; the record keeps the plan and says so', async () => {
      const challenge = new TestInstallation().challenge();
      const inspection = await issuer.inspect(challenge, 'alice');
      expect(inspection.entitlements.tokenVersion).toBe(1);
      expect(inspection.findings.map((f) => f.kind)).toContain('sdk-format-1');
      const result = await issuer.issue(challenge, standardTerms(), 'alice');
      const { claims } = verifyLicense(result.token, await keyring());
      expect(claims.v).toBe(1);
      expect(claims).not.toHaveProperty('features');
      expect(result.license.entitlements).toMatchObject({
        tokenVersion: 1,
        features: [{ name: 'hsm-support' }],
      });
    });

    it('a key without plan or entitlements for a version 1 challenge is what it always was', async () => {
      const result = await issuer.issue(
        new TestInstallation().challenge(),
        { customerName: 'Acme Corp', model: 'perpetual', credentials: 5 },
        'alice',
      );
      expect(verifyLicense(result.token, await keyring()).claims.v).toBe(1);
      expect(result.license).not.toHaveProperty('entitlements');
    });

    it('the inspection shows asked features and limits against the plan, and suggests the allowed ones', async () => {
      const installation = new TestInstallation();
      const first = await issuer.issue(installation.challenge({ v: 2 }), standardTerms(), 'alice');
      const challenge = installation.challenge({
        v: 2,
        license: {
          id: first.license.id,
          revision: 1,
          customerName: 'Acme Corp',
          model: 'subscription',
        },
        request: {
          kind: 'license',
          features: ['mobile-credentials', 'teleport'],
          limits: [{ name: 'sites', value: 12 }],
        },
        limitsInUse: [{ name: 'sites', inUse: 2 }],
      });
      const inspection = await issuer.inspect(challenge, 'alice');
      expect(inspection.entitlements.plan).toEqual({ id: plan.id, name: 'Standard', revision: 1 });
      expect(inspection.entitlements.features).toEqual([
        { name: 'hsm-support', asked: false, held: true, allowed: true },
        { name: 'mobile-credentials', asked: true, held: false, allowed: true },
        { name: 'reporting', asked: false, held: false, allowed: true },
        { name: 'teleport', asked: true, held: false, allowed: false },
      ]);
      expect(inspection.entitlements.limits).toEqual([
        { name: 'sites', asked: 12, held: 3, inUse: 2, min: 1, max: 10, allowed: false },
      ]);
      const kinds = inspection.findings.map((f) => f.kind);
      expect(kinds).toEqual(expect.arrayContaining(['features-asked', 'limits-asked']));
      expect(inspection.suggestedTerms).toMatchObject({
        plan: plan.id,
        features: ['mobile-credentials'],
        credentials: 100,
      });
      expect(inspection.suggestedTerms.limits).toBeUndefined();
      // The vendor approves the add-on: the next revision carries it.
      const upgraded = await issuer.issue(challenge, inspection.suggestedTerms, 'alice');
      const { claims } = verifyLicense(upgraded.token, await keyring());
      expect(claims.rev).toBe(2);
      expect(claims.features?.map((f) => f.name)).toEqual(['hsm-support', 'mobile-credentials']);
    });

    it('changing a plan changes no license; affected lists them and a re-issue delivers the change online', async () => {
      const issued = await issuer.issue(
        new TestInstallation().challenge({ v: 2 }),
        standardTerms(),
        'alice',
      );
      clock.advance(DAY_MS);
      await issuer.plans.update(
        'Standard',
        {
          features: ['audit', 'hsm-support'],
          limits: [{ name: 'sites', value: 4, min: 1, max: 10 }],
        },
        'bob',
      );
      const record = await store.getLicense(issued.license.id);
      expect(record).toEqual(issued.license);
      expect(await issuer.plans.affected('Standard')).toEqual({
        items: [
          {
            licenseId: issued.license.id,
            customerName: 'Acme Corp',
            issuedFromRevision: 1,
            changes: ['features: + audit', 'limits.sites: 3 -> 4'],
          },
        ],
        nextCursor: null,
      });
      const reissued = await issuer.reissue(issued.license.id, {}, 'bob');
      const { claims } = verifyLicense(reissued.token, await keyring());
      expect(claims).toMatchObject({
        rev: 2,
        chal: null,
        credentials: 100,
        term: issued.license.term,
      });
      expect(claims.features?.map((f) => f.name)).toEqual(['audit', 'hsm-support']);
      expect((await store.getCheckView(issued.license.id))?.latestToken).toBe(reissued.token);
      expect(await issuer.plans.affected('Standard')).toEqual({ items: [], nextCursor: null });
      expect(reissued.transaction.kind).toBe('reissue');
    });

    it("keeps a time-limited add-on's end through re-issues, renewals and new keys; only a newly added one starts from now", async () => {
      const installation = new TestInstallation();
      const issued = await issuer.issue(
        installation.challenge({ v: 2 }),
        standardTerms({ features: ['mobile-credentials'] }),
        'alice',
      );
      const end = Math.floor(T0 / 1000) + 180 * 86_400;
      const untilOf = (
        entitlements: { features?: { name: string; until?: number }[] } | undefined,
      ) => entitlements?.features?.find((f) => f.name === 'mobile-credentials')?.until;
      expect(untilOf(issued.license.entitlements)).toBe(end);
      clock.advance(10 * DAY_MS);
      const reissued = await issuer.reissue(
        issued.license.id,
        { limits: [{ name: 'sites', value: 4 }] },
        'bob',
      );
      expect(untilOf(verifyLicense(reissued.token, await keyring()).claims)).toBe(end);
      expect(untilOf(reissued.license.entitlements)).toBe(end);
      expect(await issuer.plans.affected('Standard')).toEqual({ items: [], nextCursor: null });
      clock.advance(DAY_MS);
      const again = await issuer.issue(
        installation.challenge({
          v: 2,
          at: clock.now(),
          license: {
            id: issued.license.id,
            revision: 2,
            customerName: 'Acme Corp',
            model: 'subscription',
          },
        }),
        standardTerms({ features: ['mobile-credentials'], limits: [{ name: 'sites', value: 4 }] }),
        'alice',
      );
      expect(untilOf(again.license.entitlements)).toBe(end);
      // A renewal lengthens the term, not the add-on: it ends on its own date.
      const renewed = await issuer.renew(issued.license.id, {}, 'bob');
      expect(renewed.license.term!.end).toBeGreaterThan(issued.license.term!.end);
      expect(untilOf(renewed.license.entitlements)).toBe(end);
      // Dropped, then added again: a new grant, from now.
      const dropped = await issuer.reissue(issued.license.id, { features: [] }, 'bob');
      expect(untilOf(dropped.license.entitlements)).toBeUndefined();
      const added = await issuer.reissue(
        issued.license.id,
        { features: ['mobile-credentials'] },
        'bob',
      );
      expect(untilOf(added.license.entitlements)).toBe(
        Math.floor(clock.now() / 1000) + 180 * 86_400,
      );
    });

    it('affected licenses come a page at a time, each once, oldest revision first; bad pages are refused', async () => {
      const issue = async () =>
        (await issuer.issue(new TestInstallation().challenge({ v: 2 }), standardTerms(), 'alice'))
          .license.id;
      const byId = (ids: string[]) => [...ids].sort();
      const first = [await issue(), await issue(), await issue(), await issue()];
      await issuer.plans.update('Standard', { features: ['audit', 'hsm-support'] }, 'bob');
      const second = [await issue(), await issue(), await issue()];
      // Revoked: no re-issue is due. Issued from the newest revision: not affected.
      await issuer.revoke(first[1]!, 'alice', 'gone');
      await issuer.plans.update('Standard', { features: ['hsm-support'] }, 'bob');
      await issue();
      const expected = [
        ...byId([first[0]!, first[2]!, first[3]!]).map((id) => [id, 1]),
        ...byId(second).map((id) => [id, 2]),
      ];
      for (const limit of [1, 4, 6, 50]) {
        const seen: [string, number][] = [];
        let after: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await issuer.plans.affected(plan.id, {
            limit,
            ...(after === undefined ? {} : { after }),
          });
          pages += 1;
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(
            ...page.items.map((c): [string, number] => [c.licenseId, c.issuedFromRevision]),
          );
          if (page.nextCursor === null) break;
          expect(page.items).toHaveLength(limit);
          after = page.nextCursor;
        }
        expect(seen).toEqual(expected);
        expect(pages).toBe(Math.ceil(expected.length / limit) || 1);
      }
      expect((await issuer.plans.affected('Standard')).items).toHaveLength(6);
      for (const limit of [0, 1001, 2.5]) {
        expect(await refusal(issuer.plans.affected(plan.id, { limit }))).toMatchObject({
          code: 'ERR_INPUT_INVALID',
          field: 'limit',
        });
      }
      for (const after of ['not a cursor', Buffer.from('["x","y"]').toString('base64url')]) {
        expect(await refusal(issuer.plans.affected(plan.id, { after }))).toMatchObject({
          code: 'ERR_INPUT_INVALID',
          field: 'cursor',
        });
      }
    });

    it('renews a plan license by the plan renewal days when no days are given', async () => {
      const issued = await issuer.issue(
        new TestInstallation().challenge({ v: 2 }),
        standardTerms(),
        'alice',
      );
      const renewed = await issuer.renew(issued.license.id, {}, 'alice');
      expect(renewed.license.term!.end).toBe(issued.license.term!.end + 365 * 86_400);
      expect(verifyLicense(renewed.token, await keyring()).claims.v).toBe(2);
      expect(renewed.license.entitlements).toEqual(issued.license.entitlements);
    });

    it('the same challenge and terms give back the same key; other entitlements are refused', async () => {
      const challenge = new TestInstallation().challenge({ v: 2 });
      const first = await issuer.issue(
        challenge,
        standardTerms({ features: ['reporting'] }),
        'alice',
      );
      const again = await issuer.issue(
        challenge,
        standardTerms({ features: ['reporting'] }),
        'alice',
      );
      expect(again).toMatchObject({ token: first.token, replayed: true });
      await expect(
        issuer.issue(challenge, standardTerms({ features: ['mobile-credentials'] }), 'alice'),
      ).rejects.toMatchObject({ code: 'ERR_CHALLENGE_USED' });
    });
  });

  describe('renewal policy', () => {
    beforeEach(async () => {
      await issuer.products.create({ name: 'vSEC:CMS', versions: ['6'] }, 'alice');
    });
    const POLICY: PlanInput = {
      ...STANDARD,
      name: 'Yearly',
      termDays: { value: 365, min: 30, max: 730 },
      graceDays: { value: 14, min: 7, max: 30 },
      renewalDays: 365,
      renewalGraceDays: 21,
      renewalWindowDays: 60,
    };

    it('renews by the policy: only within the window, adding its days and setting its grace', async () => {
      await issuer.plans.create(POLICY, 'alice');
      const issued = await issuer.issue(
        new TestInstallation().challenge({ v: 2 }),
        standardTerms({ plan: 'Yearly' }),
        'alice',
      );
      const end = issued.license.term!.end;
      // Ten months in: more than 60 days before the end.
      clock.advance(300 * DAY_MS);
      const early = await refusal(issuer.renew(issued.license.id, {}, 'alice'));
      expect(early).toMatchObject({ code: 'ERR_RENEWAL_TOO_EARLY', earliest: end - 60 * 86_400 });
      const unchanged = await issuer.getLicense(issued.license.id);
      expect(unchanged?.license).toEqual(issued.license);
      expect(unchanged?.transactions).toHaveLength(1);
      // Days outside the plan's term or grace bounds are refused, changing nothing.
      clock.advance(10 * DAY_MS);
      for (const [options, field] of [
        [{ termDays: 10 }, 'termDays'],
        [{ graceDays: 60 }, 'graceDays'],
      ] as const) {
        expect(await refusal(issuer.renew(issued.license.id, options, 'alice'))).toMatchObject({
          code: 'ERR_TERMS_INVALID',
          field,
        });
      }
      expect((await issuer.getLicense(issued.license.id))?.transactions).toHaveLength(1);
      // Within the window: the plan's days from the end of the term, the plan's renewal grace.
      const renewed = await issuer.renew(issued.license.id, {}, 'alice');
      expect(renewed.license.term).toEqual({
        start: issued.license.term!.start,
        end: end + 365 * 86_400,
        grace: 21 * 86_400,
      });
      // The operator may choose within the plan's bounds.
      clock.set(end * 1000 + 320 * DAY_MS);
      const chosen = await issuer.renew(issued.license.id, { termDays: 30, graceDays: 7 }, 'alice');
      expect(chosen.license.term).toMatchObject({ end: end + 395 * 86_400, grace: 7 * 86_400 });
    });

    it('refuses a policy that contradicts the plan, storing nothing', async () => {
      for (const [input, field] of [
        [{ ...POLICY, renewalGraceDays: 45 }, 'renewalGraceDays'],
        [{ ...POLICY, renewalWindowDays: 0 }, 'renewalWindowDays'],
        [
          { ...POLICY, model: 'perpetual', termDays: null, graceDays: null, renewalDays: null },
          'renewalGraceDays',
        ],
      ] as const) {
        expect(await refusal(issuer.plans.create(input as PlanInput, 'alice'))).toMatchObject({
          code: 'ERR_PLAN_INVALID',
          field,
        });
      }
      expect(await issuer.plans.list()).toEqual([]);
    });

    it('a plan without a policy renews as before: any time, the grace kept', async () => {
      await issuer.plans.create(STANDARD, 'alice');
      const issued = await issuer.issue(
        new TestInstallation().challenge({ v: 2 }),
        standardTerms(),
        'alice',
      );
      const plan = await issuer.plans.get('Standard');
      expect(plan).toMatchObject({ renewalGraceDays: null, renewalWindowDays: null });
      const renewed = await issuer.renew(issued.license.id, {}, 'alice');
      expect(renewed.license.term!.grace).toBe(issued.license.term!.grace);
    });

    it('a plan without renewal days asks for the days, naming the plan, and changes nothing', async () => {
      await issuer.plans.create({ ...STANDARD, renewalDays: null }, 'alice');
      const issued = await issuer.issue(
        new TestInstallation().challenge({ v: 2 }),
        standardTerms(),
        'alice',
      );
      const refused = await refusal(issuer.renew(issued.license.id, {}, 'alice'));
      expect(refused).toMatchObject({ code: 'ERR_TERMS_INVALID', field: 'termDays' });
      expect(refused.message).toMatch(
        /plan "Standard" sets no renewal days\): give the days to add, or set the plan's renewalDays$/,
      );
      expect((await issuer.getLicense(issued.license.id))?.transactions).toHaveLength(1);
    });
  });
}
