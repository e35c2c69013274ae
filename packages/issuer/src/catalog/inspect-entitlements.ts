// The inspection's view of entitlements: what the installation asks for (features, limits)
// against what it holds and what the plan allows, whether the plan covers its product and
// version, and which key format its SDK reads. Adds the findings a vendor must see.

import { coversProduct } from '@licensor/token';
import type { ChallengeAnalysis } from '../domain/analyse-challenge.js';
import type { IssuerContext } from '../domain/context.js';
import type { EntitlementsInspection, Finding } from '../facade.js';
import type { Terms } from '../records.js';
import { findPlan } from './catalog.js';
import { describeProducts, entitlementsOfPlan } from './entitle.js';
import type { Plan } from './types.js';

export interface EntitlementsView {
  entitlements: EntitlementsInspection;
  findings: Finding[];
  /** Plan and entitlement terms to prefill: the license's, plus what is asked and allowed. */
  suggested: Pick<Terms, 'plan' | 'features' | 'limits'>;
}

export async function inspectEntitlements(
  context: IssuerContext,
  analysis: ChallengeAnalysis,
): Promise<EntitlementsView> {
  const { claims } = analysis.verified;
  const license = analysis.license;
  const held = license?.entitlements;
  const findings: Finding[] = [];
  const note = (kind: Finding['kind'], message: string) => findings.push({ kind, message });

  const catalogue = await context.store.listProducts();
  const product = catalogue.find((p) => p.name === claims.product.name) ?? null;
  if (product === null && catalogue.length > 0) {
    note(
      'product-unknown',
      `the installation runs "${claims.product.name}", which is not a product of the catalogue`,
    );
  }
  const plan: Plan | null = held?.plan ? await findPlan(context, held.plan.id) : null;
  const grants = plan
    ? entitlementsOfPlan(plan, catalogue, held!.overrides, 2, 0).products
    : (held?.products ?? null);
  const productCovered = coversProduct(grants ?? undefined, claims.product);
  if (!productCovered) {
    note(
      'product-not-covered',
      `the installation runs ${claims.product.name} ${claims.product.version}; the license covers ${describeProducts(grants)}`,
    );
  }
  if (claims.v === 1 && (held !== undefined || catalogue.length > 0)) {
    note(
      'sdk-format-1',
      'the installation reads license format 1: its key carries no features, limits or products (the record keeps them); update its Licensor SDK to use them',
    );
  }

  const askedFeatures = claims.request.features ?? [];
  const heldFeatures = held?.features.map((f) => f.name) ?? [];
  const planFeatures = plan ? [...plan.features, ...plan.addOns].map((f) => f.name) : null;
  const featureNames = [...new Set([...askedFeatures, ...heldFeatures, ...(planFeatures ?? [])])];
  const features = featureNames.sort().map((name) => ({
    name,
    asked: askedFeatures.includes(name),
    held: heldFeatures.includes(name),
    allowed: planFeatures === null || planFeatures.includes(name),
  }));
  const askedNew = features.filter((f) => f.asked && !f.held);
  if (askedNew.length > 0) {
    const refused = askedNew.filter((f) => !f.allowed).map((f) => f.name);
    note(
      'features-asked',
      `the installation asks for ${askedNew.map((f) => f.name).join(', ')}` +
        (refused.length > 0 ? ` (not allowed by plan "${plan!.name}": ${refused.join(', ')})` : ''),
    );
  }

  const askedLimits = claims.request.limits ?? [];
  const usage = claims.usage.limits ?? [];
  const limitNames = new Set([
    ...askedLimits.map((l) => l.name),
    ...(held?.limits.map((l) => l.name) ?? []),
    ...(plan?.limits.map((l) => l.name) ?? []),
    ...usage.map((l) => l.name),
  ]);
  const limits = [...limitNames].sort().map((name) => {
    const bound = plan?.limits.find((l) => l.name === name);
    const asked = askedLimits.find((l) => l.name === name)?.value ?? null;
    return {
      name,
      asked,
      held: held?.limits.find((l) => l.name === name)?.value ?? null,
      inUse: usage.find((l) => l.name === name)?.inUse ?? null,
      min: bound?.min ?? null,
      max: bound?.max ?? null,
      allowed:
        plan === null ||
        (bound !== undefined && (asked === null || (asked >= bound.min && asked <= bound.max))),
    };
  });
  const askedChanges = limits.filter((l) => l.asked !== null && l.asked !== l.held);
  if (askedChanges.length > 0) {
    note(
      'limits-asked',
      `the installation asks for ${askedChanges.map((l) => `${l.name} ${l.asked}${l.allowed ? '' : ' (outside the plan)'}`).join(', ')}`,
    );
  }

  const suggested: Pick<Terms, 'plan' | 'features' | 'limits'> = {};
  if (plan !== null) suggested.plan = plan.id;
  const addOns = [
    ...new Set([
      ...(held?.overrides.features ?? []),
      ...features.filter((f) => f.asked && f.allowed).map((f) => f.name),
    ]),
  ].sort();
  if (addOns.length > 0) suggested.features = addOns;
  const limitTerms = limits
    .map((l) => ({
      name: l.name,
      value:
        l.asked !== null && l.allowed
          ? l.asked
          : held?.overrides.limits.find((o) => o.name === l.name)?.value,
    }))
    .filter((l): l is { name: string; value: number } => l.value !== undefined);
  if (limitTerms.length > 0) suggested.limits = limitTerms;

  return {
    entitlements: {
      plan: plan === null ? null : { id: plan.id, name: plan.name, revision: plan.revision },
      product: product === null ? null : { id: product.id, name: product.name },
      productCovered,
      tokenVersion: claims.v,
      features,
      limits,
    },
    findings,
    suggested,
  };
}
