// Licenses: the list with its filters, one license with everything known about it, and the
// changes an issuer makes to it afterwards (revoke, suspend, resume, renew).
import { licenseCursor, pageOfRows } from '@licensor/issuer';
import { z } from 'zod';
import { NotFoundError } from '../../http/portal-errors.js';
import { definedOnly } from '../deps.js';
import { defineRoute } from '../route.js';
import {
  cursorQuery,
  IssueAnswerSchema,
  LicenseChangeSchema,
  LicenseDetailSchema,
  pageOf,
} from '../schemas/answers.js';
import {
  GraceDaysSchema,
  LicenseSchema,
  LicenseStateSchema,
  ModelSchema,
  TermDaysSchema,
} from '../schemas/records.js';
import { issueAnswer } from './challenges.js';

const LicenseIdParams = z.object({ licenseId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
const ReasonBody = z.object({ reason: z.string().trim().max(500).optional() });

/** The list's filters, shared by the list and its export. */
export const LicenseFilterQuery = z.object({
  q: z.string().max(200).optional().describe('License id or part of the customer name.'),
  customerId: z.string().max(64).optional(),
  state: LicenseStateSchema.optional(),
  model: ModelSchema.optional(),
  planId: z.string().max(64).optional().describe('Only licenses issued from this plan.'),
  product: z.string().max(100).optional().describe('Only licenses covering this product.'),
  feature: z.string().max(64).optional().describe('Only licenses granting this feature.'),
  expiringWithinDays: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .optional()
    .describe('Only subscriptions whose term ends within this many days (and has not ended).'),
});

/** The store's filter for the list's query (`expiringWithinDays` counted from `now`). */
export function licenseFilterOf(query: z.output<typeof LicenseFilterQuery>, now: number) {
  const { expiringWithinDays, ...rest } = query;
  const seconds = Math.floor(now / 1000);
  const expiring = expiringWithinDays !== undefined;
  // Ending soon: within the window and not ended yet.
  const termEndsBefore = expiring ? seconds + expiringWithinDays * 86_400 : undefined;
  const termEndsAfter = expiring ? seconds : undefined;
  return definedOnly({ ...rest, termEndsBefore, termEndsAfter });
}

export const listLicenses = defineRoute({
  method: 'get',
  path: '/licenses',
  operationId: 'listLicenses',
  summary: 'Licenses, newest change first, filtered.',
  tag: 'licenses',
  access: 'viewer',
  query: LicenseFilterQuery.extend({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: cursorQuery,
    before: z
      .string()
      .max(2048)
      .optional()
      .describe(
        'The prevCursor of the page after: the page before it (Previous), by cursor. Not with ' +
          'cursor or offset.',
      ),
    offset: z.coerce
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Deprecated: reads every skipped license; use cursor.'),
  }),
  response: pageOf(LicenseSchema).extend({
    prevCursor: z
      .string()
      .nullable()
      .describe('Pass as `before` for the page before this one; null: this is the first page.'),
  }),
  async handle({ query, deps }) {
    const { limit, offset, cursor, before, ...filters } = query;
    const filter = licenseFilterOf(filters, deps.now());
    if (before !== undefined) {
      // Read back from the cursor: one more than a page says whether a page comes before.
      const rows = await deps.issuer.listLicenses({
        ...filter,
        limit: limit + 1,
        before,
        ...(cursor === undefined ? {} : { after: cursor }),
        ...(offset === 0 ? {} : { offset }),
      });
      const items = rows.slice(-limit);
      const first = items[0];
      const last = items[items.length - 1];
      return {
        items,
        nextCursor: last === undefined ? null : licenseCursor(last),
        prevCursor: rows.length > limit && first !== undefined ? licenseCursor(first) : null,
      };
    }
    const rows = await deps.issuer.listLicenses({
      ...filter,
      limit: limit + 1,
      ...(cursor === undefined ? { offset } : { after: cursor }),
    });
    const page = pageOfRows(rows, limit, licenseCursor);
    // A page after the first has one before it: back from its first license.
    const first = page.items[0];
    const later = cursor !== undefined || offset > 0;
    return { ...page, prevCursor: later && first !== undefined ? licenseCursor(first) : null };
  },
});

export const getLicense = defineRoute({
  method: 'get',
  path: '/licenses/:licenseId',
  operationId: 'getLicense',
  summary: 'One license: its customer, installation, transactions, requests and recent checks.',
  tag: 'licenses',
  access: 'viewer',
  errors: [404],
  params: LicenseIdParams,
  response: LicenseDetailSchema,
  async handle({ params, deps }) {
    const detail = await deps.issuer.getLicense(params.licenseId);
    if (!detail) throw new NotFoundError(`License ${params.licenseId}`);
    const checks = await deps.issuer.listChecks(params.licenseId, 50);
    return { ...detail, checks };
  },
});

function stateChange(action: 'revoke' | 'suspend' | 'resume', summary: string) {
  return defineRoute({
    method: 'post',
    path: `/licenses/:licenseId/${action}`,
    operationId: `${action}License`,
    summary,
    tag: 'licenses',
    access: 'issuer',
    errors: [404, 409],
    params: LicenseIdParams,
    body: ReasonBody,
    response: LicenseChangeSchema,
    handle({ params, body, deps, session }) {
      return deps.issuer[action](params.licenseId, session!.userName, body.reason);
    },
  });
}

export const revokeLicense = stateChange(
  'revoke',
  'Revoke a license for good; online checks answer REVOKED.',
);
export const suspendLicense = stateChange(
  'suspend',
  'Suspend a license; online checks answer SUSPENDED until it is resumed.',
);
export const resumeLicense = stateChange('resume', 'Resume a suspended license.');

export const renewLicense = defineRoute({
  method: 'post',
  path: '/licenses/:licenseId/renew',
  operationId: 'renewLicense',
  summary:
    'Extend a subscription: a new token with a longer term, delivered to the installation by ' +
    'its next online check (and shown here, to send by hand).',
  tag: 'licenses',
  access: 'issuer',
  errors: [404, 409, 422, 503],
  params: LicenseIdParams,
  body: z.object({
    termDays: TermDaysSchema.optional().describe("Default: the plan's renewal days."),
    graceDays: GraceDaysSchema.optional(),
  }),
  response: IssueAnswerSchema,
  status: 201,
  async handle({ params, body, deps, session }) {
    const result = await deps.issuer.renew(params.licenseId, definedOnly(body), session!.userName);
    return {
      ...issueAnswer(result.token, result.transaction.id, result.keysets),
      license: result.license,
      replayed: result.replayed,
    };
  },
});
