// `licensor-issuer products|plans …`, `reissue`, and the plan, feature and limit options of
// `issue` and `licenses list`: the catalogue on the command line. A plan is given as JSON (the
// PlanInput of the domain API) as text, @FILE or - (stdin); a change names only what changes.

import {
  type CommandSpec,
  type Options,
  text as optionText,
  UsageError,
  wholeNumber,
} from '@licensor/cli-kit';
import { ENTITLEMENT_NAME_PATTERN, type LimitRequest } from '@licensor/token';
import { PlanNotFoundError } from '../catalog/errors.js';
import {
  AFFECTED_PAGE,
  AFFECTED_PAGE_MAX,
  type AffectedLicenses,
  type CatalogProduct,
  type Plan,
  type PlanInput,
} from '../catalog/types.js';
import type { Inspection } from '../facade.js';
import type { Terms } from '../records.js';
import type { LicenseFilter } from '../store/ports.js';
import type { CommandOutput, CommandRun } from './commands.js';
import { table } from './format.js';
import type { ParsedArgs } from './spec.js';

const DAY = 86_400;

/** `--feature` (repeatable) and `--limit NAME=N[,NAME=N]`. */
export const ENTITLEMENT_OPTIONS: Options = {
  plan: { type: 'string', value: 'NAME', help: 'the plan to issue from (id or name)' },
  feature: {
    type: 'string',
    value: 'NAME',
    multiple: true,
    help: 'a feature beyond the plan (an add-on it allows), repeatable',
  },
  limit: {
    type: 'string',
    value: 'NAME=N[,…]',
    help: 'named limits within the plan bounds, e.g. sites=3 or sites=3,seats=20',
  },
};

const productOptions: Options = {
  versions: {
    type: 'string',
    value: 'V[,V…]',
    help: 'version prefixes a license covers (5 or 5.2,6); "any" for every version',
  },
  description: { type: 'string', value: 'TEXT', help: 'a description' },
};

export const CATALOG_COMMANDS: CommandSpec[] = [
  { name: 'products list', summary: 'the product catalogue' },
  {
    name: 'products add',
    args: ['NAME'],
    summary: 'add a product (NAME is what its SDK reports as product.name)',
    options: productOptions,
  },
  {
    name: 'products update',
    args: ['PRODUCT'],
    summary: 'change a product (id or name)',
    options: {
      ...productOptions,
      name: { type: 'string', value: 'NAME', help: 'a new name' },
    },
  },
  { name: 'products archive', args: ['PRODUCT'], summary: 'plans may no longer name it' },
  { name: 'products restore', args: ['PRODUCT'], summary: 'undo an archive' },
  { name: 'plans list', summary: 'plans (templates licenses are issued from)' },
  {
    name: 'plans show',
    args: ['PLAN'],
    summary: 'a plan, and the licenses issued from an older revision of it',
    details:
      'Those licenses a page at a time (oldest revision first): the next page with --cursor and the cursor the page ends with.',
    options: {
      limit: {
        type: 'string',
        value: 'N',
        help: `licenses per page (default ${AFFECTED_PAGE}, at most ${AFFECTED_PAGE_MAX})`,
      },
      cursor: {
        type: 'string',
        value: 'CURSOR',
        help: 'the page after this one (given at the end of a page)',
      },
    },
  },
  {
    name: 'plans add',
    args: ['JSON|@FILE|-'],
    summary: 'add a plan from JSON',
    details:
      'JSON: { "name", "products": [names], "model", "credentials": N | { "value", "min", "max" }, "termDays", "graceDays", "renewalDays", "renewalGraceDays", "renewalWindowDays", "features": [names], "addOns": [names or { "name", "days" }], "limits": [{ "name", "value", "min", "max", "days" }] }. A number fixes a value; min and max are the bounds an issue may choose within.',
  },
  {
    name: 'plans update',
    args: ['PLAN', 'JSON|@FILE|-'],
    summary: 'change a plan (a new revision): JSON with only the members that change',
    details:
      'Licenses already issued keep what they have: `plans show` lists them, `reissue LICENSE` brings one to the new revision.',
  },
  { name: 'plans archive', args: ['PLAN'], summary: 'no new license may be issued from it' },
  { name: 'plans restore', args: ['PLAN'], summary: 'undo an archive' },
  {
    name: 'reissue',
    args: ['LICENSE_ID'],
    summary: "a new key with the plan's current revision, or other entitlements",
    details:
      'Delivered at the next online check (the key answers no challenge). Model, credentials and term stay; --plan, --feature and --limit replace the plan, the add-ons and the limits.',
    options: ENTITLEMENT_OPTIONS,
  },
];

function text(args: ParsedArgs, name: string): string | undefined {
  return optionText(args.values, name);
}

function list(args: ParsedArgs, name: string): string[] | undefined {
  const value = args.values[name];
  return Array.isArray(value) ? value : undefined;
}

function entitlementName(value: string, flag: string): string {
  if (!ENTITLEMENT_NAME_PATTERN.test(value)) {
    throw new UsageError(
      `${flag} ${JSON.stringify(value)} is not a name: a lower-case letter, then lower-case letters, digits, "-", "_" or "." (up to 64)`,
    );
  }
  return value;
}

/** `sites=3,seats=20` as `[{ name, value }]`. */
export function limitsOf(value: string | undefined): LimitRequest[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError('--limit takes NAME=N, e.g. --limit sites=3');
    const name = entitlementName(pair.slice(0, at).trim(), '--limit');
    return { name, value: wholeNumber(pair.slice(at + 1).trim(), `--limit ${name}`, { min: 0 })! };
  });
}

/** The plan, feature and limit options of `issue` and `reissue`. */
export function entitlementTerms(args: ParsedArgs): Pick<Terms, 'plan' | 'features' | 'limits'> {
  const plan = text(args, 'plan');
  const features = list(args, 'feature')?.map((f) => entitlementName(f, '--feature'));
  const limits = limitsOf(text(args, 'limit'));
  return {
    ...(plan === undefined ? {} : { plan }),
    ...(features === undefined ? {} : { features }),
    ...(limits === undefined ? {} : { limits }),
  };
}

/**
 * `issue --plan NAME` may leave out --model and --credentials: the plan's model and default
 * credentials apply (the issuer checks every value against the plan's bounds).
 */
export async function planDefaults(
  run: CommandRun,
): Promise<Partial<Pick<Terms, 'model' | 'credentials'>>> {
  const ref = text(run.args, 'plan');
  if (ref === undefined) return {};
  const plan = await run.issuer.plans.get(ref);
  if (plan === null) throw new PlanNotFoundError(ref);
  return { model: plan.model, credentials: plan.credentials.value };
}

/** `licenses list --plan --product --feature --expiring DAYS`. */
export async function licenseFilterOf(run: CommandRun, nowMs: number): Promise<LicenseFilter> {
  const args = run.args;
  const filter: LicenseFilter = {};
  const planRef = text(args, 'plan');
  if (planRef !== undefined) {
    const plan = await run.issuer.plans.get(planRef);
    if (plan === null) throw new PlanNotFoundError(planRef);
    filter.planId = plan.id;
  }
  const product = text(args, 'product');
  if (product !== undefined) filter.product = product;
  const features = list(args, 'feature');
  if (features !== undefined) {
    if (features.length > 1) throw new UsageError('licenses list takes one --feature');
    filter.feature = entitlementName(features[0]!, '--feature');
  }
  const days = wholeNumber(text(args, 'expiring'), '--expiring', { min: 1, max: 36_600 });
  if (days !== undefined) {
    const now = Math.floor(nowMs / 1000);
    filter.termEndsAfter = now;
    filter.termEndsBefore = now + days * DAY;
  }
  return filter;
}

function versionsOf(value: string | undefined): string[] | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'any') return null;
  return value.split(',').map((v) => v.trim());
}

async function planJson(run: CommandRun, argument: string): Promise<Partial<PlanInput>> {
  const source = await run.readArgument(argument);
  try {
    const value = JSON.parse(source) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
    return value as Partial<PlanInput>;
  } catch {
    throw new UsageError('the plan must be a JSON object, e.g. {"name":"Standard",…}');
  }
}

const out = (value: unknown, shown: string): CommandOutput => ({ value, text: shown });

function formatProducts(products: CatalogProduct[]): string {
  if (products.length === 0) return 'no products\n';
  return table([
    ['PRODUCT', 'NAME', 'VERSIONS', 'STATUS'],
    ...products.map((p) => [p.id, p.name, p.versions?.join(',') ?? 'any', p.status]),
  ]);
}

function bound(b: { value: number; min: number; max: number } | null, unit = ''): string {
  if (b === null) return '-';
  return b.min === b.max ? `${b.value}${unit}` : `${b.value}${unit} (${b.min}..${b.max})`;
}

function formatPlans(plans: Plan[]): string {
  if (plans.length === 0) return 'no plans\n';
  return table([
    ['PLAN', 'NAME', 'REV', 'MODEL', 'CREDENTIALS', 'FEATURES', 'ADD-ONS', 'LIMITS', 'STATUS'],
    ...plans.map((p) => [
      p.id,
      p.name,
      String(p.revision),
      p.model,
      bound(p.credentials),
      p.features.map((f) => f.name).join(',') || '-',
      p.addOns.map((f) => f.name).join(',') || '-',
      p.limits.map((l) => `${l.name}=${bound(l)}`).join(' ') || '-',
      p.status,
    ]),
  ]);
}

function formatPlan(plan: Plan, products: CatalogProduct[], page: AffectedLicenses): string {
  const affected = page.items;
  const names = plan.products.map((id) => products.find((p) => p.id === id)?.name ?? id);
  const days = (d: number | undefined) => (d === undefined ? '' : ` (${d} days)`);
  const lines = [
    `Plan:          ${plan.name} (${plan.id}), revision ${plan.revision}, ${plan.status}`,
    `Products:      ${names.join(', ') || 'any'}`,
    `Model:         ${plan.model}`,
    `Credentials:   ${bound(plan.credentials)}`,
  ];
  if (plan.model === 'subscription') {
    lines.push(
      `Term:          ${bound(plan.termDays, ' days')}, grace ${bound(plan.graceDays, ' days')}, renewals ${renewalText(plan)}`,
    );
  }
  lines.push(
    `Features:      ${plan.features.map((f) => f.name + days(f.days)).join(', ') || '-'}`,
    `Add-ons:       ${plan.addOns.map((f) => f.name + days(f.days)).join(', ') || '-'}`,
    `Limits:        ${plan.limits.map((l) => `${l.name} ${bound(l)}${days(l.days)}`).join(', ') || '-'}`,
  );
  if (affected.length > 0) {
    lines.push('', `Issued from an older revision (reissue LICENSE to bring one up to date):`);
    for (const change of affected) {
      lines.push(
        `  ${change.licenseId}  ${change.customerName}  rev ${change.issuedFromRevision}: ${change.changes.join('; ') || 'no change to its entitlements'}`,
      );
    }
    if (page.nextCursor !== null) {
      lines.push(`  … more: plans show ${plan.name} --cursor ${page.nextCursor}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The inspection's entitlement lines: asked against held and what the plan allows. */
export function formatEntitlementInspection(inspection: Inspection): string {
  const e = inspection.entitlements;
  const lines: string[] = [];
  lines.push(
    `Plan:          ${e.plan === null ? 'none' : `${e.plan.name} (revision ${e.plan.revision})`}${e.productCovered ? '' : ' - does NOT cover this product/version'}`,
  );
  if (e.features.length > 0) {
    lines.push(
      `Features:      ${e.features
        .map(
          (f) =>
            `${f.name} [${[f.held ? 'held' : null, f.asked ? 'asked' : null, f.allowed ? 'allowed' : 'NOT allowed'].filter((x) => x !== null).join(', ')}]`,
        )
        .join(', ')}`,
    );
  }
  if (e.limits.length > 0) {
    lines.push(
      `Limits:        ${e.limits
        .map((l) => {
          const parts = [
            l.held === null ? null : `held ${l.held}`,
            l.asked === null ? null : `asked ${l.asked}`,
            l.inUse === null ? null : `in use ${l.inUse}`,
            l.min === null ? null : `plan ${l.min}..${l.max}`,
            l.allowed ? null : 'NOT allowed',
          ].filter((x) => x !== null);
          return `${l.name} [${parts.join(', ')}]`;
        })
        .join(', ')}`,
    );
  }
  const t = inspection.suggestedTerms;
  const flags = [
    t.plan === undefined ? null : `--plan ${t.plan}`,
    ...(t.features ?? []).map((f) => `--feature ${f}`),
    t.limits === undefined
      ? null
      : `--limit ${t.limits.map((l) => `${l.name}=${l.value}`).join(',')}`,
  ].filter((x) => x !== null);
  if (flags.length > 0) lines.push(`Suggested:     ${flags.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

type Handler = (run: CommandRun, first: string, second: string) => Promise<CommandOutput>;

export const CATALOG_HANDLERS: Record<string, Handler> = {
  async 'products list'(run) {
    const products = await run.issuer.products.list();
    return out(products, formatProducts(products));
  },
  async 'products add'(run, name) {
    const versions = versionsOf(text(run.args, 'versions'));
    const description = text(run.args, 'description');
    const product = await run.issuer.products.create(
      {
        name,
        ...(versions === undefined ? {} : { versions }),
        ...(description === undefined ? {} : { description }),
      },
      run.operator,
    );
    return out(product, `added product ${product.name} (${product.id})\n`);
  },
  async 'products update'(run, ref) {
    const versions = versionsOf(text(run.args, 'versions'));
    const description = text(run.args, 'description');
    const name = text(run.args, 'name');
    const product = await run.issuer.products.update(
      ref,
      {
        ...(name === undefined ? {} : { name }),
        ...(versions === undefined ? {} : { versions }),
        ...(description === undefined ? {} : { description }),
      },
      run.operator,
    );
    return out(
      product,
      `product ${product.name} (${product.id}) is at version ${product.version}\n`,
    );
  },
  async 'products archive'(run, ref) {
    const product = await run.issuer.products.archive(ref, run.operator);
    return out(product, `product ${product.name} is archived\n`);
  },
  async 'products restore'(run, ref) {
    const product = await run.issuer.products.restore(ref, run.operator);
    return out(product, `product ${product.name} is active\n`);
  },
  async 'plans list'(run) {
    const plans = await run.issuer.plans.list();
    return out(plans, formatPlans(plans));
  },
  async 'plans show'(run, ref) {
    const plan = await run.issuer.plans.get(ref);
    if (plan === null) throw new PlanNotFoundError(ref);
    const limit = wholeNumber(text(run.args, 'limit'), '--limit', {
      min: 1,
      max: AFFECTED_PAGE_MAX,
    });
    const cursor = text(run.args, 'cursor');
    const [products, page] = await Promise.all([
      run.issuer.products.list(),
      run.issuer.plans.affected(plan.id, {
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { after: cursor }),
      }),
    ]);
    return out(
      { plan, affected: page.items, nextCursor: page.nextCursor },
      formatPlan(plan, products, page),
    );
  },
  async 'plans add'(run, json) {
    const plan = await run.issuer.plans.create(
      (await planJson(run, json)) as PlanInput,
      run.operator,
    );
    return out(plan, `added plan ${plan.name} (${plan.id})\n`);
  },
  async 'plans update'(run, ref, json) {
    const plan = await run.issuer.plans.update(ref, await planJson(run, json), run.operator);
    // The first page: how many, up to a page, and whether there are more.
    const affected = await run.issuer.plans.affected(plan.id);
    const count = `${affected.nextCursor === null ? '' : 'more than '}${affected.items.length}`;
    run.io.stderr(
      `plan ${plan.name} is at revision ${plan.revision}; ${count} license(s) issued from an older revision keep what they have (see \`plans show ${plan.name}\`)\n`,
    );
    return out(plan, formatPlan(plan, await run.issuer.products.list(), affected));
  },
  async 'plans archive'(run, ref) {
    const plan = await run.issuer.plans.archive(ref, run.operator);
    return out(plan, `plan ${plan.name} is archived\n`);
  },
  async 'plans restore'(run, ref) {
    const plan = await run.issuer.plans.restore(ref, run.operator);
    return out(plan, `plan ${plan.name} is active\n`);
  },
  async reissue(run, id) {
    const result = await run.issuer.reissue(id, entitlementTerms(run.args), run.operator);
    run.io.stderr(
      `re-issued ${result.license.id} revision ${result.license.revision}; the installation receives it at its next online check\n`,
    );
    return out(result, `${result.token}\n`);
  },
};

/**
 * The plan's renewal policy in a line: `365 days, grace 21 days, from 60 days before the end`, or
 * `by the days each renewal gives` when the plan sets none.
 */
function renewalText(plan: Plan): string {
  const parts = [
    plan.renewalDays === null ? 'by the days each renewal gives' : `${plan.renewalDays} days`,
  ];
  if (plan.renewalGraceDays != null) parts.push(`grace ${plan.renewalGraceDays} days`);
  if (plan.renewalWindowDays != null) {
    parts.push(`from ${plan.renewalWindowDays} days before the end`);
  }
  return parts.join(', ');
}
