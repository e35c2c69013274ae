// The auto-renew job (#12.3): every active subscription of an active plan whose renewal policy
// renews automatically (`autoRenew`) is renewed by the plan's renewalDays before its term ends.
// A license is due from `leadDays` before its term ends (never earlier than the plan's renewal
// window allows) until the end itself; a term that ended before the job saw it is left to the
// vendor. Each renewal is an ordinary `renew` transaction (operator `auto-renew`, audited as
// license.renew with its reason, the license.renewed webhook from the outbox), its token
// delivered online at the installation's next check. Bounded: at most `batchSize` licenses
// read per page and `maxRenewals` renewals per run. Idempotent: a renewal holds only over the
// term end it was decided on, so two portal processes (or a run repeated after a crash) renew
// a term once; the renewed term ends after the window, so the license is no longer due.

import { isLicensorError } from '@licensor/token';
import type { AutoRenewOptions, AutoRenewResult, Issuer } from '../facade.js';
import { type PeriodicJob, startPeriodicJob } from '../periodic-job.js';
import { licensePages } from '../store/cursors.js';
import { type IssuerContext, nowSeconds } from './context.js';
import { RenewalOvertaken, renew } from './renew.js';

const DAY = 86_400;
/** The operator the job's renewals are recorded under. */
export const AUTO_RENEW_OPERATOR = 'auto-renew';

export async function autoRenew(
  context: IssuerContext,
  options: AutoRenewOptions = {},
): Promise<AutoRenewResult> {
  const leadDays = options.leadDays ?? 7;
  const batchSize = options.batchSize ?? 100;
  const maxRenewals = options.maxRenewals ?? 500;
  const result: AutoRenewResult = { renewed: [], overtaken: 0, failed: [], more: false };
  const plans = (await context.store.listPlans()).filter(
    (plan) => plan.autoRenew === true && plan.status === 'active' && plan.model === 'subscription',
  );
  for (const plan of plans) {
    const now = nowSeconds(context);
    const lead = Math.min(leadDays, plan.renewalWindowDays ?? leadDays);
    const filter = {
      planId: plan.id,
      state: 'active' as const,
      model: 'subscription' as const,
      termEndsAfter: now,
      termEndsBefore: now + lead * DAY,
    };
    for await (const page of licensePages(
      (f) => context.store.listLicenses(f),
      filter,
      batchSize,
    )) {
      for (const license of page) {
        if (license.term === null || license.installationId === null) continue;
        if (result.renewed.length >= maxRenewals) {
          result.more = true;
          return result;
        }
        try {
          const renewed = await renew(context, license.id, {}, AUTO_RENEW_OPERATOR, {
            termEnd: license.term.end,
            reason: `automatic renewal (plan "${plan.name}")`,
          });
          result.renewed.push({
            licenseId: license.id,
            transactionId: renewed.transaction.id,
            termEnd: renewed.license.term?.end ?? null,
          });
        } catch (error) {
          if (error instanceof RenewalOvertaken) {
            result.overtaken += 1;
            continue;
          }
          if (!isLicensorError(error)) throw error;
          // One license the policy cannot renew (its plan's bounds changed, the HSM is away)
          // does not stop the others; the next run tries it again while it is due.
          result.failed.push({ licenseId: license.id, code: error.code, message: error.message });
        }
      }
    }
  }
  return result;
}

export type AutoRenewJob = PeriodicJob<AutoRenewResult>;

export interface AutoRenewJobOptions extends AutoRenewOptions {
  issuer: Pick<Issuer, 'autoRenew'>;
  /** Between runs (default one hour); the first run starts at once. */
  intervalMs?: number;
  /** Each run's result, or the error that ended it. */
  onRun?: (result: AutoRenewResult | Error) => void;
}

/** Runs the auto-renew job in this process: now, then every `intervalMs`, one run at a time. */
export function startAutoRenew(options: AutoRenewJobOptions): AutoRenewJob {
  const { issuer, intervalMs = 3_600_000, onRun, ...run } = options;
  return startPeriodicJob(() => issuer.autoRenew(run), intervalMs, onRun);
}
