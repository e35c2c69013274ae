// Response schemas: the records the API hands out, of the issuer's types. Each is registered
// under a name, so the OpenAPI document shows it once as a component. Answers are parsed
// through these before they are sent, which drops anything not declared here. The terms are
// built on the issuer's one set of limits (TERMS_LIMITS) and checked against its `Terms` type
// at compile time.
import { FORK_ACTIONS, TERMS_LIMITS, type Terms } from '@licensor/issuer';
import {
  decodeChallengeUnverified,
  ENTITLEMENT_NAME_PATTERN,
  MAX_COUNT,
  MAX_ENTITLEMENTS,
} from '@licensor/token';
import { z } from 'zod';
import { apiSchemas } from '../openapi.js';

export const ms = () => z.number().int().describe('Milliseconds since the epoch.');

export const ModelSchema = z.enum(['perpetual', 'subscription']).register(apiSchemas, {
  id: 'LicenseModel',
});
export const LicenseStateSchema = z.enum(['active', 'suspended', 'revoked']).register(apiSchemas, {
  id: 'LicenseState',
});
export const RoleSchema = z
  .enum(['viewer', 'issuer', 'admin'])
  .register(apiSchemas, { id: 'Role' });

/** A password a user is given or chooses (adding a user, setting or changing a password). */
export const NewPasswordSchema = z
  .string()
  .min(12, 'Use at least 12 characters.')
  .max(1000)
  .describe('At least 12 characters.');

export const PublicJwkSchema = z
  .object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string() })
  .register(apiSchemas, { id: 'PublicJwk' });

export const TermSchema = z
  .object({
    start: z.number().int().describe('Seconds since the epoch.'),
    end: z.number().int().describe('Seconds since the epoch.'),
    grace: z.number().int().describe('Offline grace, seconds.'),
  })
  .register(apiSchemas, { id: 'Term' });

const { customerName, credentials, termDays, graceDays } = TERMS_LIMITS;

/** A feature or limit name, the token schema's pattern. */
export const EntitlementNameSchema = z
  .string()
  .regex(
    ENTITLEMENT_NAME_PATTERN,
    'a lower-case letter, then lower-case letters, digits, "-", "_" or "."',
  );

/** A term's number of credentials, days, grace days: the issuer's limits, one place. */
export const CredentialsSchema = z.number().int().min(credentials.min).max(credentials.max);
export const TermDaysSchema = z.number().int().min(termDays.min).max(termDays.max);
export const GraceDaysSchema = z.number().int().min(graceDays.min).max(graceDays.max);

const termsShape = {
  customerName: z.string().trim().min(customerName.minLength).max(customerName.maxLength),
  customerId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  model: ModelSchema,
  credentials: CredentialsSchema,
  termDays: TermDaysSchema.optional(),
  graceDays: GraceDaysSchema.optional(),
  plan: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('The plan to issue from (id or name).'),
  features: z
    .array(EntitlementNameSchema)
    .max(MAX_ENTITLEMENTS)
    .optional()
    .describe('Features beyond the plan (add-ons it allows).'),
  limits: z
    .array(z.object({ name: EntitlementNameSchema, value: z.number().int().min(0).max(MAX_COUNT) }))
    .max(MAX_ENTITLEMENTS)
    .optional()
    .describe('Named limits, within the plan bounds.'),
} satisfies Record<keyof Terms, z.ZodType>;

/** Optional members without `| undefined`, as the issuer's types are written. */
type Exact<T> = { [K in keyof T]: Exclude<T[K], undefined> };

export const TermsSchema = z.object(termsShape).register(apiSchemas, { id: 'Terms' });

// The API's terms are the issuer's Terms, member for member: either changing alone fails here.
type ApiTerms = Exact<z.output<typeof TermsSchema>>;
true satisfies ApiTerms extends Exact<Terms>
  ? Exact<Terms> extends ApiTerms
    ? true
    : never
  : never;

export const CustomerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int(),
    createdAt: ms(),
    updatedAt: ms(),
  })
  .register(apiSchemas, { id: 'Customer' });

export const InstallationSchema = z
  .object({
    id: z.string(),
    publicKey: PublicJwkSchema,
    product: z.object({ name: z.string(), version: z.string() }),
    firstSeenAt: ms(),
    lastSeenAt: ms(),
  })
  .register(apiSchemas, { id: 'Installation' });

export const LicenseEntitlementsSchema = z
  .object({
    plan: z.object({ id: z.string(), name: z.string(), revision: z.number().int() }).nullable(),
    products: z
      .array(z.object({ name: z.string(), versions: z.array(z.string()).optional() }))
      .nullable(),
    features: z.array(z.object({ name: z.string(), until: z.number().int().optional() })),
    limits: z.array(
      z.object({ name: z.string(), value: z.number().int(), until: z.number().int().optional() }),
    ),
    overrides: z.object({
      features: z.array(z.string()),
      limits: z.array(z.object({ name: z.string(), value: z.number().int() })),
    }),
    tokenVersion: z.union([z.literal(1), z.literal(2)]),
  })
  .register(apiSchemas, { id: 'LicenseEntitlements' });

export const LicenseSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    customerName: z.string(),
    state: LicenseStateSchema,
    model: ModelSchema,
    credentials: z.number().int(),
    revision: z.number().int(),
    term: TermSchema.nullable(),
    installationId: z.string().nullable(),
    latestTransactionId: z.string(),
    stateReason: z.string().nullable(),
    createdAt: ms(),
    updatedAt: ms(),
    entitlements: LicenseEntitlementsSchema.optional().describe(
      'The plan it was issued from and the entitlements of its newest key.',
    ),
  })
  .register(apiSchemas, { id: 'License' });

export const TransactionSchema = z
  .object({
    id: z.string(),
    kind: z.string().describe('issue, renew, model-switch, rehost, revoke, suspend, resume, …'),
    at: ms(),
    operator: z.string(),
    licenseId: z.string().nullable(),
    customerId: z.string().nullable(),
    installationId: z.string().nullable(),
    revision: z.number().int().nullable(),
    challengeId: z.string().nullable(),
    requestId: z.string().nullable(),
    token: z.string().nullable().describe('The license key this transaction signed, if any.'),
    kid: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .register(apiSchemas, { id: 'Transaction' });

export const ChallengeRequestSchema = z
  .object({
    kind: z.enum(['license', 'model-switch']),
    credentials: z.number().int().optional(),
    model: ModelSchema.optional(),
    customerName: z.string().optional(),
    features: z.array(z.string()).optional(),
    limits: z.array(z.object({ name: z.string(), value: z.number().int() })).optional(),
  })
  .register(apiSchemas, { id: 'ChallengeRequest' });

/** The challenge id (`chl_…`, its `jti`) the CMS names a request by, read from the stored challenge. */
function challengeIdOf(request: unknown): unknown {
  if (typeof request !== 'object' || request === null) return request;
  const { challenge } = request as { challenge?: unknown };
  if (typeof challenge !== 'string') return request;
  try {
    return { ...request, challengeId: decodeChallengeUnverified(challenge).claims.jti };
  } catch {
    return { ...request, challengeId: null };
  }
}

const ApprovalRequestObject = z.object({
  id: z.string(),
  challengeId: z
    .string()
    .nullable()
    .describe('The challenge id (chl_…) the CMS shows for the request (`licensor requests`).'),
  kind: z.enum(['model-switch', 'rehost']),
  status: z.enum(['pending', 'approved', 'rejected']),
  licenseId: z.string(),
  installationId: z.string(),
  asked: ChallengeRequestSchema,
  createdAt: ms(),
  createdBy: z.string(),
  decidedAt: ms().nullable(),
  decidedBy: z.string().nullable(),
  reason: z.string().nullable(),
  transactionId: z.string().nullable(),
});

export const ApprovalRequestSchema = z
  .preprocess(challengeIdOf, ApprovalRequestObject)
  .register(apiSchemas, { id: 'ApprovalRequest' });

export const CheckRecordSchema = z
  .object({
    id: z.string(),
    at: ms(),
    licenseId: z.string(),
    installationId: z.string(),
    sdkVersion: z.string(),
    credentialsInUse: z.number().int(),
    outcome: z.enum(['VALID', 'EXPIRED', 'SUSPENDED', 'REVOKED', 'UNKNOWN']),
  })
  .register(apiSchemas, { id: 'CheckRecord' });

export const LastCheckSchema = z
  .object({
    at: ms(),
    outcome: z
      .enum(['VALID', 'EXPIRED', 'SUSPENDED', 'REVOKED', 'UNKNOWN'])
      .nullable()
      .describe('Null only for a day rolled up by an older Licensor that had several outcomes.'),
    credentialsInUse: z.number().int(),
    source: z
      .enum(['raw', 'roll-up'])
      .describe('A check record still kept raw, or the daily roll-up kept after the window.'),
  })
  .register(apiSchemas, { id: 'LastCheck' });

const ChainEvidenceSchema = z
  .object({
    at: ms(),
    address: z.string().nullable().describe('The client address, when known.'),
    credentialsInUse: z.number().int(),
    sdkVersion: z.string(),
    presented: z.string().nullable().describe('The check chain value the check presented.'),
  })
  .register(apiSchemas, { id: 'ChainEvidence' });

export const ForkActionSchema = z
  .enum(FORK_ACTIONS as unknown as ['warn', 'suspend', 'suspend-both'])
  .describe(
    'warn: record and tell the copy; suspend: the copy is answered SUSPENDED; suspend-both: the installation that continues the chain too, while the fork is open.',
  );

export const ForkSchema = z
  .object({
    id: z.string(),
    licenseId: z.string(),
    installationId: z.string(),
    status: z.enum(['open', 'closed']),
    detectedAt: ms(),
    lastSeenAt: ms(),
    divergentChecks: z.number().int().describe('Checks that did not continue the chain.'),
    copy: ChainEvidenceSchema.describe('The newest check that did not continue the chain.'),
    original: ChainEvidenceSchema.nullable().describe(
      'The newest check that continued it, when the fork was detected.',
    ),
    action: ForkActionSchema.describe('The fork policy in force at its newest divergent check.'),
    closedAt: ms().nullable(),
    closedBy: z.string().nullable(),
    closeReason: z.string().nullable(),
  })
  .describe('A possible copy: checks of one installation that left one chain (issue #17).')
  .register(apiSchemas, { id: 'Fork' });

export const SigningKeySchema = z
  .object({
    kid: z.string(),
    purpose: z.enum(['license', 'status']),
    publicKey: PublicJwkSchema,
    /** next: trusted, not signing yet; active: signs; retired: verifies what it signed; revoked: trusted by nobody. */
    status: z.enum(['next', 'active', 'retired', 'revoked']),
    protection: z
      .enum(['encrypted', 'file', 'pkcs11'])
      .describe('encrypted: sealed in the store; file: a plain 0600 file; pkcs11: in an HSM.'),
    hsm: z
      .object({ token: z.string(), label: z.string() })
      .optional()
      .describe('For a key in an HSM: the label of its token and its own label there.'),
    product: z
      .string()
      .optional()
      .describe(
        "A license key of one product (its catalogue id): it signs that product's licenses only. Absent: the vendor's own key.",
      ),
    createdAt: ms(),
    activatedAt: ms().nullable(),
    retiredAt: ms().nullable(),
    revokedAt: ms().nullable(),
  })
  .register(apiSchemas, { id: 'SigningKey' });

export const KeysetSchema = z
  .object({
    seq: z.number().int(),
    token: z.string(),
    signedBy: z.string(),
    kids: z.array(z.string()),
    createdAt: ms(),
  })
  .register(apiSchemas, { id: 'Keyset' });

export const KeyActivationSchema = SigningKeySchema.extend({
  alreadyActive: z
    .boolean()
    .describe(
      'true: the key was active and its activation complete: no audit entry, no key set; only the licenses the retired key still signs (an issue committed late) are re-signed (resigned).',
    ),
  resigned: z
    .number()
    .int()
    .min(0)
    .describe(
      'Licenses this call re-signed with the key: every license in force on an activation, those the retired key still signed when alreadyActive; 0 for a status key.',
    ),
}).register(apiSchemas, { id: 'KeyActivation' });

export const KeyRevocationSchema = z
  .object({
    key: SigningKeySchema,
    dependents: z.array(
      z.object({
        licenseId: z.string(),
        customerName: z.string(),
        model: z.enum(['perpetual', 'subscription']),
        installationId: z.string().nullable(),
        latestKid: z.string().nullable(),
        lastCheckAt: ms().nullable(),
        remedy: z.enum(['online', 'challenge']),
      }),
    ),
  })
  .register(apiSchemas, { id: 'KeyRevocation' });

export const SigningKeyUsageSchema = SigningKeySchema.extend({
  tokens: z
    .number()
    .int()
    .describe(
      'License tokens it signed: issues, renewals, re-issues, approvals and re-signings (0 for a status key).',
    ),
  licenses: z.number().int().describe('Distinct licenses among them.'),
}).register(apiSchemas, { id: 'SigningKeyUsage' });

export const KeyUsageSchema = z
  .object({
    keys: z.array(SigningKeyUsageSchema),
    newestKeyset: z.number().int().describe('The newest published key set version (0: none).'),
    keysets: z
      .array(
        z.object({
          seq: z.number().int().describe('0: the keys installations shipped with.'),
          installations: z
            .number()
            .int()
            .describe('Installations whose newest check or challenge reported trusting it.'),
          publishedAt: ms().nullable(),
        }),
      )
      .describe('Version 0 and every published version, oldest first.'),
    installationsReporting: z
      .number()
      .int()
      .describe('Installations that reported a version (SDK format 2; format 1 reports none).'),
    installationsOnNewest: z.number().int(),
  })
  .register(apiSchemas, { id: 'KeyUsage' });

export const UserSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    disabled: z.boolean(),
    createdAt: ms(),
    updatedAt: ms(),
    passwordOneTime: z
      .literal(true)
      .optional()
      .describe(
        'Their password was set by someone else (an admin, or generated): they must choose their own at the next login.',
      ),
  })
  .register(apiSchemas, { id: 'User' });

export const AuditEventSchema = z
  .object({
    id: z.string(),
    at: ms(),
    actor: z.string(),
    action: z.string(),
    subjectId: z.string().nullable(),
    transactionId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .register(apiSchemas, { id: 'AuditEvent' });

export const JwksSchema = z
  .object({
    keys: z.array(
      PublicJwkSchema.extend({
        kid: z.string(),
        alg: z.literal('EdDSA'),
        use: z.literal('sig'),
        purpose: z.enum(['license', 'status']),
        product: z
          .string()
          .optional()
          .describe("A license key of one product: the product's name (its SDK's)."),
      }),
    ),
  })
  .register(apiSchemas, { id: 'Jwks' });
