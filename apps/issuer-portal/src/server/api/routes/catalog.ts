// The catalogue: products and plans (list, create, change, archive, restore), the licenses a
// plan change leaves on an older revision, and re-issuing a license with changed entitlements.
// Reading is for every role; changing the catalogue is the admin's, re-issuing the issuer's.
import { AFFECTED_PAGE, type PlanInput } from '@licensor/issuer';
import { z } from 'zod';
import { NotFoundError } from '../../http/portal-errors.js';
import { definedOnly } from '../deps.js';
import { defineRoute } from '../route.js';
import { cursorQuery, IssueAnswerSchema, listOf, pageOf } from '../schemas/answers.js';
import {
  PlanChangeSchema,
  PlanInputSchema,
  PlanSchema,
  ProductInputSchema,
  ProductSchema,
} from '../schemas/catalog.js';
import { EntitlementNameSchema } from '../schemas/records.js';
import { issueAnswer } from './challenges.js';

const Ref = z.string().trim().min(1).max(100);
const ProductParams = z.object({ product: Ref.describe('Product id or name.') });
const PlanParams = z.object({ plan: Ref.describe('Plan id or name.') });

export const listProducts = defineRoute({
  method: 'get',
  path: '/products',
  operationId: 'listProducts',
  summary: 'The product catalogue, archived products too.',
  tag: 'catalogue',
  access: 'viewer',
  response: listOf(ProductSchema),
  async handle({ deps }) {
    return { items: await deps.issuer.products.list() };
  },
});

export const createProduct = defineRoute({
  method: 'post',
  path: '/products',
  operationId: 'createProduct',
  summary: 'Add a product (its name as its SDK reports product.name).',
  tag: 'catalogue',
  access: 'admin',
  errors: [409, 422],
  body: ProductInputSchema,
  response: ProductSchema,
  status: 201,
  handle({ body, deps, session }) {
    return deps.issuer.products.create(definedOnly(body), session!.userName);
  },
});

export const updateProduct = defineRoute({
  method: 'patch',
  path: '/products/:product',
  operationId: 'updateProduct',
  summary: 'Change a product.',
  tag: 'catalogue',
  access: 'admin',
  errors: [404, 409, 422],
  params: ProductParams,
  body: ProductInputSchema.partial(),
  response: ProductSchema,
  handle({ params, body, deps, session }) {
    return deps.issuer.products.update(params.product, definedOnly(body), session!.userName);
  },
});

function productStatus(action: 'archive' | 'restore') {
  return defineRoute({
    method: 'post',
    path: `/products/:product/${action}`,
    operationId: `${action}Product`,
    summary:
      action === 'archive'
        ? 'Archive a product: plans may no longer name it.'
        : 'Restore an archived product.',
    tag: 'catalogue',
    access: 'admin',
    errors: [404],
    params: ProductParams,
    response: ProductSchema,
    handle({ params, deps, session }) {
      return deps.issuer.products[action](params.product, session!.userName);
    },
  });
}
export const archiveProduct = productStatus('archive');
export const restoreProduct = productStatus('restore');

export const listPlans = defineRoute({
  method: 'get',
  path: '/plans',
  operationId: 'listPlans',
  summary: 'Plans (the templates licenses are issued from), archived ones too.',
  tag: 'catalogue',
  access: 'viewer',
  response: listOf(PlanSchema),
  async handle({ deps }) {
    return { items: await deps.issuer.plans.list() };
  },
});

/** A page of a plan's affected licenses: `limit` (default 50, at most 200) and `cursor`. */
const AffectedQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(AFFECTED_PAGE),
  cursor: cursorQuery,
});

export const getPlan = defineRoute({
  method: 'get',
  path: '/plans/:plan',
  operationId: 'getPlan',
  summary:
    'A plan, and the first page of the licenses issued from an older revision of it with what a ' +
    're-issue changes (the next pages: GET /plans/{plan}/affected?cursor=affectedNextCursor).',
  tag: 'catalogue',
  access: 'viewer',
  errors: [404],
  params: PlanParams,
  response: z.object({
    plan: PlanSchema,
    affected: z
      .array(PlanChangeSchema)
      .describe(`The first ${AFFECTED_PAGE}, oldest revision first, then by license id.`),
    affectedNextCursor: z
      .string()
      .nullable()
      .describe('Pass as `cursor` to GET /plans/{plan}/affected for the next page; null: no more.'),
  }),
  async handle({ params, deps }) {
    const plan = await deps.issuer.plans.get(params.plan);
    if (plan === null) throw new NotFoundError(`Plan ${params.plan}`);
    const page = await deps.issuer.plans.affected(plan.id);
    return { plan, affected: page.items, affectedNextCursor: page.nextCursor };
  },
});

export const listAffectedLicenses = defineRoute({
  method: 'get',
  path: '/plans/:plan/affected',
  operationId: 'listAffectedLicenses',
  summary:
    'The licenses issued from an older revision of a plan (revoked ones aside) with what a ' +
    're-issue changes, a page at a time: oldest revision first, then by license id.',
  tag: 'catalogue',
  access: 'viewer',
  errors: [404],
  params: PlanParams,
  query: AffectedQuery,
  response: pageOf(PlanChangeSchema),
  async handle({ params, query, deps }) {
    const plan = await deps.issuer.plans.get(params.plan);
    if (plan === null) throw new NotFoundError(`Plan ${params.plan}`);
    return deps.issuer.plans.affected(plan.id, {
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { after: query.cursor }),
    });
  },
});

export const createPlan = defineRoute({
  method: 'post',
  path: '/plans',
  operationId: 'createPlan',
  summary: 'Add a plan.',
  tag: 'catalogue',
  access: 'admin',
  errors: [409, 422],
  body: PlanInputSchema,
  response: PlanSchema,
  status: 201,
  handle({ body, deps, session }) {
    return deps.issuer.plans.create(definedOnly(body) as PlanInput, session!.userName);
  },
});

export const updatePlan = defineRoute({
  method: 'patch',
  path: '/plans/:plan',
  operationId: 'updatePlan',
  summary:
    'Change a plan: a new revision. Licenses already issued keep what they have (see getPlan).',
  tag: 'catalogue',
  access: 'admin',
  errors: [404, 409, 422],
  params: PlanParams,
  body: PlanInputSchema.partial(),
  response: PlanSchema,
  handle({ params, body, deps, session }) {
    return deps.issuer.plans.update(
      params.plan,
      definedOnly(body) as Partial<PlanInput>,
      session!.userName,
    );
  },
});

function planStatus(action: 'archive' | 'restore') {
  return defineRoute({
    method: 'post',
    path: `/plans/:plan/${action}`,
    operationId: `${action}Plan`,
    summary:
      action === 'archive'
        ? 'Archive a plan: nothing new is issued from it.'
        : 'Restore an archived plan.',
    tag: 'catalogue',
    access: 'admin',
    errors: [404],
    params: PlanParams,
    response: PlanSchema,
    handle({ params, deps, session }) {
      return deps.issuer.plans[action](params.plan, session!.userName);
    },
  });
}
export const archivePlan = planStatus('archive');
export const restorePlan = planStatus('restore');

export const reissueLicense = defineRoute({
  method: 'post',
  path: '/licenses/:licenseId/reissue',
  operationId: 'reissueLicense',
  summary:
    "A new key of a license with its plan's current revision, another plan, or other add-ons " +
    'and limits; delivered at its next online check. Model, credentials and term stay.',
  tag: 'licenses',
  access: 'issuer',
  errors: [404, 409, 422, 503],
  params: z.object({ licenseId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
  body: z.object({
    plan: Ref.optional(),
    features: z.array(EntitlementNameSchema).max(64).optional(),
    limits: z
      .array(z.object({ name: EntitlementNameSchema, value: z.number().int().min(0).max(1e9) }))
      .max(64)
      .optional(),
  }),
  response: IssueAnswerSchema,
  status: 201,
  async handle({ params, body, deps, session }) {
    const result = await deps.issuer.reissue(
      params.licenseId,
      definedOnly(body),
      session!.userName,
    );
    return {
      ...issueAnswer(result.token, result.transaction.id, result.keysets),
      license: result.license,
      replayed: result.replayed,
    };
  },
});
