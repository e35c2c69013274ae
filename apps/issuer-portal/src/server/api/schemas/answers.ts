// Response schemas of single operations, built from the records.

import { z } from 'zod';
import { apiSchemas } from '../openapi.js';
import { EntitlementsInspectionSchema } from './catalog.js';
import {
  ApprovalRequestSchema,
  ChallengeRequestSchema,
  CheckRecordSchema,
  CustomerSchema,
  ForkActionSchema,
  ForkSchema,
  InstallationSchema,
  LastCheckSchema,
  LicenseSchema,
  ModelSchema,
  PublicJwkSchema,
  RoleSchema,
  TransactionSchema,
} from './records.js';

export const SessionInfoSchema = z
  .object({
    user: z.object({ id: z.string(), name: z.string(), role: RoleSchema }),
    csrfToken: z.string().describe('Send it as X-CSRF-Token on every state change.'),
    idleExpiresAt: z.number().int(),
    absoluteExpiresAt: z.number().int(),
    passwordChangeRequired: z
      .boolean()
      .optional()
      .describe(
        'The user logged in with a one-time password (generated, or set by an admin): only the session, logout and POST /auth/password answer until they choose their own.',
      ),
    twoFactorEnrolmentRequired: z
      .boolean()
      .optional()
      .describe(
        'The 2FA policy requires a second factor of this user, who has none: only the session, logout and /auth/2fa routes answer until they enrol.',
      ),
  })
  .register(apiSchemas, { id: 'SessionInfo' });

/** Terms to prefill: like Terms, but the customer name may be empty (the challenge named none). */
export const SuggestedTermsSchema = z
  .object({
    customerName: z.string(),
    customerId: z.string().optional(),
    model: ModelSchema,
    credentials: z.number().int(),
    termDays: z.number().int().optional(),
    graceDays: z.number().int().optional(),
    plan: z.string().optional(),
    features: z.array(z.string()).optional(),
    limits: z.array(z.object({ name: z.string(), value: z.number().int() })).optional(),
  })
  .register(apiSchemas, { id: 'SuggestedTerms' });

export const FindingSchema = z.object({ kind: z.string(), message: z.string() });

export const InspectionSchema = z
  .object({
    challengeId: z.string(),
    installationId: z.string(),
    installationKey: PublicJwkSchema,
    product: z.object({ name: z.string(), version: z.string() }),
    usage: z.object({
      credentialsInUse: z.number().int(),
      limits: z.array(z.object({ name: z.string(), inUse: z.number().int() })).optional(),
    }),
    claimedLicense: z
      .object({
        id: z.string(),
        revision: z.number().int(),
        customerName: z.string(),
        model: ModelSchema,
      })
      .nullable(),
    asked: ChallengeRequestSchema,
    issuedAt: z.number().int().describe('Seconds.'),
    expiresAt: z.number().int().describe('Seconds.'),
    expired: z.boolean(),
    license: LicenseSchema.nullable(),
    customer: CustomerSchema.nullable(),
    installation: InstallationSchema.nullable(),
    findings: z.array(FindingSchema),
    suggestedTerms: SuggestedTermsSchema,
    transaction: TransactionSchema.nullable(),
    approvalRequest: ApprovalRequestSchema.nullable(),
    entitlements: EntitlementsInspectionSchema,
  })
  .register(apiSchemas, { id: 'Inspection' });

export const IssueAnswerSchema = z
  .object({
    licenseKey: z.string().describe('The compact license token to send to the customer.'),
    armoured: z
      .string()
      .describe(
        'The same key in BEGIN/END armour, for e-mail or a .txt file; when `keysets` is not empty, ' +
          'preceded by one LICENSOR KEY SET block per version (the offline bundle the CMS applies whole).',
      ),
    keysets: z
      .array(z.string())
      .optional()
      .describe(
        'The signed key set versions the installation lacks, oldest first (empty when up to ' +
          'date). Issue and approval: those after the version the challenge says its installation ' +
          'trusts (SDK format 2; absent for a version 1 challenge). Renewal and re-issue (delivered ' +
          'online): those after the version the installation last reported (absent for a version 1 ' +
          'license).',
      ),
    transactionId: z.string(),
    license: LicenseSchema,
    replayed: z.boolean().describe('True when this repeats an earlier identical issue.'),
    request: ApprovalRequestSchema.optional(),
  })
  .register(apiSchemas, { id: 'IssueAnswer' });

export const LicenseChangeSchema = z
  .object({ license: LicenseSchema, transaction: TransactionSchema })
  .register(apiSchemas, { id: 'LicenseChange' });

export const LicenseDetailSchema = z
  .object({
    license: LicenseSchema,
    customer: CustomerSchema.nullable(),
    installation: InstallationSchema.nullable(),
    transactions: z.array(TransactionSchema),
    requests: z.array(ApprovalRequestSchema),
    checks: z
      .array(CheckRecordSchema)
      .describe('Recent online checks, newest first (raw records: the retention window only).'),
    lastCheck: LastCheckSchema.nullable().describe(
      'The newest online check, also after its raw record was rolled up; null: never checked.',
    ),
    forks: z.array(ForkSchema).describe('Possible copies the verify service saw, newest first.'),
    forkPolicy: ForkActionSchema.nullable().describe(
      "The fork policy set on this license; null: none (its plan's, else the verify service's default, warn).",
    ),
    forkPolicyInForce: z
      .object({ action: ForkActionSchema, source: z.enum(['license', 'plan']) })
      .nullable()
      .describe(
        "The policy a fork follows and where it is set; null: the verify service's default (warn).",
      ),
  })
  .register(apiSchemas, { id: 'LicenseDetail' });

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** A page of a long list: the next one is asked for with `cursor=<nextCursor>`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .describe('Pass as `cursor` for the next page; null: this is the last page.'),
  });

/** The `cursor` query parameter of a paged list. */
export const cursorQuery = z
  .string()
  .max(2048)
  .optional()
  .describe('The nextCursor of the page before (keyset paging: every page costs the same).');
