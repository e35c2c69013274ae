// The catalogue operations: create, change, archive and restore products and plans. Every
// change is checked first (typed errors naming the field, nothing stored), written over the
// version it was read at, and recorded in the audit log. A plan change raises the plan's
// revision and changes no license: `affected` lists the licenses issued from an older revision.

import { newId } from '@licensor/token';
import { type IssuerContext, nowSeconds } from '../domain/context.js';
import { ConcurrentUpdateError, InputInvalidError } from '../errors.js';
import type { Operator } from '../records.js';
import { decodePlanRevisionCursor, pageOfRows, planRevisionCursor } from '../store/cursors.js';
import { describeChanges, entitlementsOfPlan } from './entitle.js';
import {
  NameTakenError,
  PlanInvalidError,
  PlanNotFoundError,
  ProductInvalidError,
  ProductNotFoundError,
} from './errors.js';
import { normalisePlan, normaliseProduct, type PlanFields } from './rules.js';
import {
  AFFECTED_PAGE,
  AFFECTED_PAGE_MAX,
  type AffectedLicenses,
  type AffectedPage,
  type CatalogApi,
  type CatalogProduct,
  type CatalogStatus,
  type CatalogWrite,
  type Plan,
  type PlanChange,
  type PlanInput,
  type ProductInput,
} from './types.js';

const ATTEMPTS = 8;
const ID = /^(prd|pln)_[A-Za-z0-9_-]{1,60}$/;

/** A product by id or by name (case-insensitive). */
export async function findProduct(
  context: Pick<IssuerContext, 'store'>,
  idOrName: string,
): Promise<CatalogProduct | null> {
  if (typeof idOrName !== 'string' || idOrName.trim() === '') return null;
  if (ID.test(idOrName)) {
    const byId = await context.store.getProduct(idOrName);
    if (byId !== null) return byId;
  }
  return context.store.findProductByName(idOrName);
}

export async function findPlan(
  context: Pick<IssuerContext, 'store'>,
  idOrName: string,
): Promise<Plan | null> {
  if (typeof idOrName !== 'string' || idOrName.trim() === '') return null;
  if (ID.test(idOrName)) {
    const byId = await context.store.getPlan(idOrName);
    if (byId !== null) return byId;
  }
  return context.store.findPlanByName(idOrName);
}

async function requireProduct(context: IssuerContext, idOrName: string) {
  const product = await findProduct(context, idOrName);
  if (product === null) throw new ProductNotFoundError(idOrName);
  return product;
}

export async function requirePlan(context: Pick<IssuerContext, 'store'>, idOrName: string) {
  const plan = await findPlan(context, idOrName);
  if (plan === null) throw new PlanNotFoundError(idOrName);
  return plan;
}

async function audit(
  context: IssuerContext,
  operator: Operator,
  action: string,
  subjectId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await context.store.appendAuditEvent({
    id: newId('evt'),
    at: context.now(),
    actor: operator,
    action,
    subjectId,
    transactionId: null,
    details,
  });
}

function written(outcome: CatalogWrite, what: 'product' | 'plan', name: string): boolean {
  if (outcome === 'name-taken') throw new NameTakenError(what, name);
  return outcome === 'written';
}

/** Plan products given by id or name, resolved to ids of active catalogue products. */
async function resolvePlanProducts(context: IssuerContext, fields: PlanFields): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, ref] of fields.products.entries()) {
    const product = await findProduct(context, ref);
    if (product === null) {
      throw new PlanInvalidError(`products[${i}]`, `("${ref}") is not a product of the catalogue`);
    }
    if (product.status === 'archived') {
      throw new PlanInvalidError(`products[${i}]`, `("${product.name}") is archived`);
    }
    if (ids.includes(product.id)) throw new PlanInvalidError(`products[${i}]`, 'is listed twice');
    ids.push(product.id);
  }
  return ids.sort();
}

export function createCatalog(context: IssuerContext): CatalogApi {
  const products = {
    list: () => context.store.listProducts(),
    get: (idOrName: string) => findProduct(context, idOrName),

    async create(input: ProductInput, operator: Operator): Promise<CatalogProduct> {
      const fields = normaliseProduct(input);
      const at = context.now();
      const product: CatalogProduct = {
        id: newId('prd'),
        ...fields,
        status: 'active',
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      written(await context.store.insertProduct(product), 'product', product.name);
      await audit(context, operator, 'product.create', product.id, { product: fields });
      return product;
    },

    update(idOrName: string, input: Partial<ProductInput>, operator: Operator) {
      return changeProduct(idOrName, operator, 'product.update', (current) => ({
        ...normaliseProduct({ ...productInputOf(current), ...input }),
        status: current.status,
      }));
    },
    archive: (idOrName: string, operator: Operator) =>
      setProductStatus(idOrName, 'archived', operator),
    restore: (idOrName: string, operator: Operator) =>
      setProductStatus(idOrName, 'active', operator),
  };

  /**
   * A product with license keys of its own keeps its name (#12.1): its key sets and JWKS name it
   * as its SDK reports itself, and its installations would refuse the renamed product's keys.
   */
  async function assertNoOwnKeys(product: CatalogProduct): Promise<void> {
    const keys = await context.store.listSigningKeys();
    if (keys.some((key) => key.product === product.id)) {
      throw new ProductInvalidError(
        'name',
        `cannot change: product "${product.name}" has signing keys of its own, which its key sets and its installations name by this name`,
      );
    }
  }

  function setProductStatus(idOrName: string, status: CatalogStatus, operator: Operator) {
    const action = status === 'archived' ? 'product.archive' : 'product.restore';
    return changeProduct(idOrName, operator, action, (current) => ({ ...current, status }));
  }

  async function changeProduct(
    idOrName: string,
    operator: Operator,
    action: string,
    change: (
      current: CatalogProduct,
    ) => Pick<CatalogProduct, 'name' | 'description' | 'versions' | 'status'>,
  ): Promise<CatalogProduct> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await requireProduct(context, idOrName);
      const fields = change(current);
      if (unchanged(current, fields)) return current;
      if (fields.name !== current.name) await assertNoOwnKeys(current);
      const next: CatalogProduct = {
        ...current,
        ...fields,
        version: current.version + 1,
        updatedAt: context.now(),
      };
      if (written(await context.store.updateProduct(next, current.version), 'product', next.name)) {
        await audit(context, operator, action, next.id, { before: current, after: next });
        return next;
      }
    }
    throw new ConcurrentUpdateError(`product ${idOrName}`);
  }

  const plans = {
    list: () => context.store.listPlans(),
    get: (idOrName: string) => findPlan(context, idOrName),

    async create(input: PlanInput, operator: Operator): Promise<Plan> {
      const fields = normalisePlan(input);
      fields.products = await resolvePlanProducts(context, fields);
      const at = context.now();
      const plan: Plan = {
        id: newId('pln'),
        ...fields,
        status: 'active',
        revision: 1,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      written(await context.store.insertPlan(plan), 'plan', plan.name);
      await audit(context, operator, 'plan.create', plan.id, { plan: fields });
      return plan;
    },

    /** Changes a plan (a new revision); licenses issued from it keep what they were issued. */
    async update(idOrName: string, input: Partial<PlanInput>, operator: Operator): Promise<Plan> {
      return changePlan(idOrName, operator, 'plan.update', async (current) => {
        const fields = normalisePlan({ ...planInputOf(current), ...input } as PlanInput);
        fields.products = await resolvePlanProducts(context, fields);
        return { ...fields, status: current.status };
      });
    },
    archive: (idOrName: string, operator: Operator) =>
      setPlanStatus(idOrName, 'archived', operator),
    restore: (idOrName: string, operator: Operator) => setPlanStatus(idOrName, 'active', operator),

    /**
     * Licenses issued from an older revision of the plan, and what a re-issue would change: a
     * page of `limit` (default 50, at most 1,000) by (revision issued from, license id), after
     * the `after` cursor (the nextCursor of the page before).
     */
    async affected(idOrName: string, page: AffectedPage = {}): Promise<AffectedLicenses> {
      const limit = page.limit ?? AFFECTED_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > AFFECTED_PAGE_MAX) {
        throw new InputInvalidError('limit', `is a whole number from 1 to ${AFFECTED_PAGE_MAX}`);
      }
      const after = page.after === undefined ? null : decodePlanRevisionCursor(page.after);
      const plan = await requirePlan(context, idOrName);
      // One more than the page: the next page's cursor only when there is one.
      const licenses = await context.store.listLicensesOfOlderPlanRevision(
        plan.id,
        plan.revision,
        after,
        limit + 1,
      );
      const catalogue = await context.store.listProducts();
      const changes: PlanChange[] = [];
      for (const license of licenses) {
        const held = license.entitlements;
        // The store chose by plan and revision; a record without them is no change of this plan.
        if (held?.plan == null) continue;
        const next = entitlementsOfPlan(
          plan,
          catalogue,
          held.overrides,
          held.tokenVersion,
          nowSeconds(context),
          held,
        );
        changes.push({
          licenseId: license.id,
          customerName: license.customerName,
          issuedFromRevision: held.plan.revision,
          changes: describeChanges(license, next),
        });
      }
      return pageOfRows(changes, limit, (change) =>
        planRevisionCursor({ revision: change.issuedFromRevision, id: change.licenseId }),
      );
    },
  };

  function setPlanStatus(idOrName: string, status: CatalogStatus, operator: Operator) {
    const action = status === 'archived' ? 'plan.archive' : 'plan.restore';
    // Archiving is no change of terms: the revision stays, so no license is "affected".
    return changePlan(
      idOrName,
      operator,
      action,
      async (current) => ({ ...current, status }),
      false,
    );
  }

  async function changePlan(
    idOrName: string,
    operator: Operator,
    action: string,
    change: (current: Plan) => Promise<PlanFields & { status: CatalogStatus }>,
    newRevision = true,
  ): Promise<Plan> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await requirePlan(context, idOrName);
      const fields = await change(current);
      // autoRenew is kept only when true: false (or absent) is the same policy.
      const autoRenew = (plan: { autoRenew?: boolean }) => ({ autoRenew: plan.autoRenew === true });
      if (unchanged({ ...current, ...autoRenew(current) }, { ...fields, ...autoRenew(fields) })) {
        return current;
      }
      const { autoRenew: _was, ...rest } = current;
      const next: Plan = {
        ...rest,
        ...fields,
        revision: current.revision + (newRevision ? 1 : 0),
        version: current.version + 1,
        updatedAt: context.now(),
      };
      const outcome = await context.store.updatePlan(next, current.version);
      if (written(outcome, 'plan', next.name)) {
        await audit(context, operator, action, next.id, { before: current, after: next });
        return next;
      }
    }
    throw new ConcurrentUpdateError(`plan ${idOrName}`);
  }

  return { products, plans };
}

/** True when every field given equals the record's: such a change writes nothing. */
function unchanged(current: object, fields: object): boolean {
  const record = current as Record<string, unknown>;
  return Object.entries(fields).every(
    ([key, value]) => JSON.stringify(record[key]) === JSON.stringify(value),
  );
}

/** A product as the input that would make it (to apply a partial change over it). */
function productInputOf(product: CatalogProduct): ProductInput {
  return { name: product.name, description: product.description, versions: product.versions };
}

/** A plan as the input that would make it (to apply a partial change over it). */
function planInputOf(plan: Plan): PlanInput {
  return {
    name: plan.name,
    description: plan.description,
    products: plan.products,
    model: plan.model,
    credentials: plan.credentials,
    termDays: plan.termDays,
    graceDays: plan.graceDays,
    renewalDays: plan.renewalDays,
    renewalGraceDays: plan.renewalGraceDays ?? null,
    renewalWindowDays: plan.renewalWindowDays ?? null,
    autoRenew: plan.autoRenew === true,
    features: plan.features,
    addOns: plan.addOns,
    limits: plan.limits,
  };
}
