// Usage you can see: a license's daily usage against its cap (the chart on the license page),
// and the dashboard of what needs a look (licenses near their cap, checks that stopped,
// subscriptions ending soon, open forks).
import { DASHBOARD_DEFAULTS, DASHBOARD_LIMITS, type DashboardThreshold } from '@licensor/issuer';
import { z } from 'zod';
import { NotFoundError, RequestInvalidError } from '../../http/portal-errors.js';
import { definedOnly } from '../deps.js';
import { defineRoute } from '../route.js';
import { DashboardSchema, LicenseUsageSchema } from '../schemas/usage.js';

const DAY_MS = 86_400_000;
const dayName = (at: number) => new Date(at).toISOString().slice(0, 10);
/** A real UTC day from 1970 on (Date.parse takes 2026-02-31 as 2026-03-03: it must read back). */
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a real UTC day, YYYY-MM-DD, from 1970-01-01 on')
  .refine(
    (day) =>
      /^\d{4}-\d{2}-\d{2}$/.test(day) &&
      day >= '1970-01-01' &&
      dayName(Date.parse(`${day}T00:00:00Z`) || 0) === day,
    'must be a real UTC day, YYYY-MM-DD, from 1970-01-01 on',
  );
/** A dashboard threshold: the issuer's range and default (DASHBOARD_LIMITS, one place). */
const threshold = (name: DashboardThreshold, what: string) =>
  z.coerce
    .number()
    .int()
    .min(DASHBOARD_LIMITS[name].min)
    .max(DASHBOARD_LIMITS[name].max)
    .optional()
    .describe(`${what}; default ${DASHBOARD_DEFAULTS[name]}.`);

export const getLicenseUsage = defineRoute({
  method: 'get',
  path: '/licenses/:licenseId/usage',
  operationId: 'getLicenseUsage',
  summary:
    'Credentials in use per UTC day (lowest, highest, last) and checks per outcome, with the ' +
    "license's cap. Default: the last 90 days (`days` for another span).",
  tag: 'licenses',
  access: 'viewer',
  errors: [404],
  params: z.object({ licenseId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
  query: z.object({
    from: Day.optional().describe('First day (UTC); default `days` - 1 days before `to`.'),
    to: Day.optional().describe('Last day (UTC); default today.'),
    days: z.coerce
      .number()
      .int()
      .min(1)
      .max(3660)
      .optional()
      .describe('Days shown, ending at `to`, when `from` is not given; default 90.'),
  }),
  response: LicenseUsageSchema,
  async handle({ params, query, deps }) {
    const license = await deps.issuer.store.getLicense(params.licenseId);
    if (license === null) throw new NotFoundError(`License ${params.licenseId}`);
    const to = query.to ?? dayName(deps.now());
    const span = query.days ?? 90;
    const from = query.from ?? dayName(Date.parse(`${to}T00:00:00Z`) - (span - 1) * DAY_MS);
    if (from > to) {
      const why = `from ${from} is after to ${to}${query.to === undefined ? ' (today)' : ''}`;
      throw new RequestInvalidError(`Invalid query: ${why}; give a from on or before to.`, [
        { path: 'query.from', message: why },
      ]);
    }
    const days = await deps.issuer.dailyUsage(params.licenseId, { from, to });
    return { licenseId: license.id, credentials: license.credentials, from, to, days };
  },
});

export const getDashboard = defineRoute({
  method: 'get',
  path: '/dashboard',
  operationId: 'getDashboard',
  summary:
    'What needs a look: licenses near their credential cap (by their newest check), ' +
    'subscriptions whose installation stopped checking, subscriptions ending soon, open forks. ' +
    'Counts are of all found; each list shows the most urgent first.',
  tag: 'licenses',
  access: 'viewer',
  errors: [422],
  query: z.object({
    nearCapPercent: threshold('nearCapPercent', 'Near the cap from this percent in use'),
    stoppedAfterDays: threshold('stoppedAfterDays', 'Stopped: no check for this many days'),
    lookbackDays: threshold('lookbackDays', 'Days of checks read'),
    expiringWithinDays: threshold('expiringWithinDays', 'Ending within this many days'),
    limit: threshold('limit', 'Entries listed per section'),
  }),
  response: DashboardSchema,
  handle({ query, deps }) {
    return deps.issuer.dashboard(definedOnly(query));
  },
});
