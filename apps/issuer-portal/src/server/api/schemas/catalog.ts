// Schemas of the catalogue (products, plans) and of a license's entitlements, as the API hands
// them out and takes them in. Inputs are checked again by the issuer, which names the field it
// refuses (ERR_PLAN_INVALID, ERR_PRODUCT_INVALID with `field`).
import { MAX_ENTITLEMENTS, VERSION_PREFIX_PATTERN } from '@licensor/token';
import { z } from 'zod';
import { apiSchemas } from '../openapi.js';
import { EntitlementNameSchema, ModelSchema } from './records.js';

const ms = () => z.number().int().describe('Milliseconds since the epoch.');
const count = () => z.number().int().min(0).max(1e9);

const BoundSchema = z
  .object({ value: count(), min: count(), max: count() })
  .register(apiSchemas, { id: 'Bound' });

export const ProductSchema = z
  .object({
    id: z.string(),
    name: z.string().describe("What the product's SDK reports as product.name."),
    description: z.string().nullable(),
    versions: z.array(z.string()).nullable().describe('Version prefixes covered; null = every.'),
    status: z.enum(['active', 'archived']),
    version: z.number().int(),
    createdAt: ms(),
    updatedAt: ms(),
  })
  .register(apiSchemas, { id: 'Product' });

const VERSIONS_RULE = `must be a list of 1 to ${MAX_ENTITLEMENTS} versions, or left out for every version`;

export const ProductInputSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(1000).nullable().optional(),
    versions: z
      .array(
        z
          .string()
          .trim()
          .regex(VERSION_PREFIX_PATTERN, 'must be a version prefix such as "5", "5.2" or "5.2.1"'),
      )
      .min(1, VERSIONS_RULE)
      .max(MAX_ENTITLEMENTS, VERSIONS_RULE)
      .nullable()
      .optional()
      .describe(`Version prefixes covered, 1 to ${MAX_ENTITLEMENTS}; null or left out = every.`),
  })
  .register(apiSchemas, { id: 'ProductInput' });

const PlanFeatureSchema = z.object({
  name: z.string(),
  days: z.number().int().optional().describe('Ends this many days after issue.'),
});
const PlanLimitSchema = z.object({
  name: z.string(),
  value: count(),
  min: count(),
  max: count(),
  days: z.number().int().optional(),
});

export const PlanSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(['active', 'archived']),
    revision: z.number().int().describe('Grows with each change of terms.'),
    version: z.number().int(),
    products: z.array(z.string()).describe('Product ids; empty = any product.'),
    model: ModelSchema,
    credentials: BoundSchema,
    termDays: BoundSchema.nullable(),
    graceDays: BoundSchema.nullable(),
    renewalDays: z.number().int().nullable(),
    renewalGraceDays: z
      .number()
      .int()
      .nullable()
      .default(null)
      .describe('The offline grace a renewal sets; null: the license keeps its own.'),
    renewalWindowDays: z
      .number()
      .int()
      .nullable()
      .default(null)
      .describe('A renewal is refused earlier than this many days before the term ends.'),
    autoRenew: z
      .boolean()
      .optional()
      .describe(
        "true: the portal's auto-renew job renews each active subscription of the plan before its term ends (absent: only the vendor renews).",
      ),
    features: z.array(PlanFeatureSchema),
    addOns: z.array(PlanFeatureSchema),
    limits: z.array(PlanLimitSchema),
    createdAt: ms(),
    updatedAt: ms(),
  })
  .register(apiSchemas, { id: 'Plan' });

const boundInput = z.union([
  count(),
  z.object({ value: count(), min: count().optional(), max: count().optional() }),
]);
const featureInput = z.union([
  EntitlementNameSchema,
  z.object({ name: EntitlementNameSchema, days: z.number().int().min(1).optional() }),
]);

export const PlanInputSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(1000).nullable().optional(),
    products: z.array(z.string().max(100)).max(MAX_ENTITLEMENTS).optional(),
    model: ModelSchema,
    credentials: boundInput,
    termDays: boundInput.nullable().optional(),
    graceDays: boundInput.nullable().optional(),
    renewalDays: z.number().int().nullable().optional(),
    renewalGraceDays: z.number().int().nullable().optional(),
    renewalWindowDays: z.number().int().nullable().optional(),
    autoRenew: z.boolean().optional(),
    features: z.array(featureInput).max(MAX_ENTITLEMENTS).optional(),
    addOns: z.array(featureInput).max(MAX_ENTITLEMENTS).optional(),
    limits: z
      .array(
        z.object({
          name: EntitlementNameSchema,
          value: count(),
          min: count().optional(),
          max: count().optional(),
          days: z.number().int().min(1).optional(),
        }),
      )
      .max(MAX_ENTITLEMENTS)
      .optional(),
  })
  .register(apiSchemas, { id: 'PlanInput' });

export const PlanChangeSchema = z
  .object({
    licenseId: z.string(),
    customerName: z.string(),
    issuedFromRevision: z.number().int(),
    changes: z.array(z.string()),
  })
  .register(apiSchemas, { id: 'PlanChange' });

export const EntitlementsInspectionSchema = z
  .object({
    plan: z.object({ id: z.string(), name: z.string(), revision: z.number().int() }).nullable(),
    product: z.object({ id: z.string(), name: z.string() }).nullable(),
    productCovered: z.boolean(),
    tokenVersion: z.union([z.literal(1), z.literal(2)]),
    features: z.array(
      z.object({ name: z.string(), asked: z.boolean(), held: z.boolean(), allowed: z.boolean() }),
    ),
    limits: z.array(
      z.object({
        name: z.string(),
        asked: z.number().int().nullable(),
        held: z.number().int().nullable(),
        inUse: z.number().int().nullable(),
        min: z.number().int().nullable(),
        max: z.number().int().nullable(),
        allowed: z.boolean(),
      }),
    ),
  })
  .register(apiSchemas, { id: 'EntitlementsInspection' });
