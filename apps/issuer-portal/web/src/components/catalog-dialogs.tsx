// The catalogue's forms (Products and plans page, admins): a product's and a plan's create and
// edit dialog, on the shared FormDialog. The page checks what it can (numbers, the feature and
// limit lists' syntax) and marks the field; the issuer checks everything again and names the
// field it refuses (ERR_PRODUCT_INVALID, ERR_PLAN_INVALID, ERR_NAME_TAKEN): that refusal is
// shown inside the dialog, which stays open with what was typed, and nothing is stored.
// Changing a plan makes a new revision; licenses already issued keep what they hold.
import { useState } from 'react';
import { ApiError, api } from '../api';
import type { Plan, Product } from '../types';
import { FormDialog } from './dialog';
import { Select, TextInput } from './ui';

/** `6, 7.1` -> ['6', '7.1']; nothing typed -> null (every version). */
function versionsOf(text: string): string[] | null {
  const list = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  return list.length === 0 ? null : list;
}

/** New product (`product` absent) or a product's edit. */
export function ProductDialog({
  product,
  onClose,
  onSaved,
}: {
  product: Product | null;
  onClose: () => void;
  onSaved: (product: Product) => void;
}) {
  const [name, setName] = useState(product?.name ?? '');
  const [versions, setVersions] = useState(product?.versions?.join(', ') ?? '');
  const [description, setDescription] = useState(product?.description ?? '');
  const submit = async () => {
    const body = {
      name: name.trim(),
      versions: versionsOf(versions),
      description: description.trim() === '' ? null : description.trim(),
    };
    const saved = product
      ? await api.patch<Product>(`/products/${encodeURIComponent(product.id)}`, body)
      : await api.post<Product>('/products', body);
    onSaved(saved);
    onClose();
  };
  return (
    <FormDialog
      open
      title={product ? `Edit product ${product.name}` : 'New product'}
      submitLabel={product ? 'Save product' : 'Create product'}
      errorTitle={product ? 'The product was not changed' : 'The product was not created'}
      onSubmit={submit}
      onClose={onClose}
    >
      <TextInput
        label="Name"
        name="name"
        value={name}
        hint="As the product's SDK reports product.name, e.g. vSEC:CMS. A product with signing keys of its own keeps its name."
        onChange={(e) => setName(e.target.value)}
      />
      <TextInput
        label="Versions covered"
        name="versions"
        value={versions}
        hint="Version prefixes separated by commas (6, 7.1); empty: every version."
        onChange={(e) => setVersions(e.target.value)}
      />
      <TextInput
        label="Description"
        name="description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
      />
    </FormDialog>
  );
}

type Bound = { value: number; min: number; max: number };
type BoundDraft = { value: string; min: string; max: string };
type Entry = { name: string; days?: number | undefined };
type LimitEntry = Entry & Bound;

const NAME = '[a-z][a-z0-9._-]{0,63}';
const FEATURE = new RegExp(`^(${NAME})(?:\\s*\\((\\d{1,5})\\s*days?\\))?$`);
const LIMIT = new RegExp(
  `^(${NAME})\\s*=\\s*(\\d{1,10})(?:\\s*\\((\\d{1,10})\\s*[-–]\\s*(\\d{1,10})\\))?(?:\\s*\\((\\d{1,5})\\s*days?\\))?$`,
);

const daysText = (days?: number) => (days === undefined ? '' : ` (${days} days)`);
/** `hsm-support, mobile-credentials (90 days)`: the card's own notation. */
export const featuresText = (list: Entry[]) =>
  list.map((f) => f.name + daysText(f.days)).join(', ');
/** `sites=3 (1-10), users=5 (30 days)`: a fixed limit has no range. */
export const limitsText = (list: LimitEntry[]) =>
  list
    .map(
      (l) =>
        `${l.name}=${l.value}${l.min === l.value && l.max === l.value ? '' : ` (${l.min}-${l.max})`}${daysText(l.days)}`,
    )
    .join(', ');

const parts = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

function parseFeatures(text: string): Entry[] | string {
  const out: Entry[] = [];
  for (const part of parts(text)) {
    const match = FEATURE.exec(part);
    if (!match) {
      return `"${part}" is not a feature: a lower-case name (hsm-support), optionally "(90 days)".`;
    }
    out.push(match[2] ? { name: match[1]!, days: Number(match[2]) } : { name: match[1]! });
  }
  return out;
}

function parseLimits(text: string): LimitEntry[] | string {
  const out: LimitEntry[] = [];
  for (const part of parts(text)) {
    const match = LIMIT.exec(part);
    if (!match) {
      return `"${part}" is not a limit: write name=default (min-max), e.g. sites=3 (1-10).`;
    }
    const value = Number(match[2]);
    out.push({
      name: match[1]!,
      value,
      min: match[3] ? Number(match[3]) : value,
      max: match[4] ? Number(match[4]) : value,
      ...(match[5] ? { days: Number(match[5]) } : {}),
    });
  }
  return out;
}

const boundDraft = (b: Bound | null, fallback: number): BoundDraft =>
  b === null
    ? { value: String(fallback), min: '', max: '' }
    : { value: String(b.value), min: String(b.min), max: String(b.max) };
const text = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));
const wholeNumber = (s: string) => /^\d{1,10}$/.test(s.trim());

interface PlanDraft {
  name: string;
  description: string;
  products: string[];
  model: 'perpetual' | 'subscription';
  credentials: BoundDraft;
  termDays: BoundDraft;
  graceDays: BoundDraft;
  renewalDays: string;
  renewalGraceDays: string;
  renewalWindowDays: string;
  autoRenew: boolean;
  features: string;
  addOns: string;
  limits: string;
}

function draftOf(plan: Plan | null): PlanDraft {
  return {
    name: plan?.name ?? '',
    description: plan?.description ?? '',
    products: plan?.products ?? [],
    model: plan?.model ?? 'subscription',
    credentials: boundDraft(plan?.credentials ?? null, 100),
    termDays: boundDraft(plan?.termDays ?? null, 365),
    graceDays: boundDraft(plan?.graceDays ?? null, 30),
    renewalDays: text(plan?.renewalDays),
    renewalGraceDays: text(plan?.renewalGraceDays),
    renewalWindowDays: text(plan?.renewalWindowDays),
    autoRenew: plan?.autoRenew === true,
    features: featuresText(plan?.features ?? []),
    addOns: featuresText(plan?.addOns ?? []),
    limits: limitsText(plan?.limits ?? []),
  };
}

type PlanBody = Record<string, unknown>;

/** The body to send, or the fields to fix (by field name). */
export function planBodyOf(
  draft: PlanDraft,
): { ok: true; body: PlanBody } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const bound = (field: 'credentials' | 'termDays' | 'graceDays') => {
    const b = draft[field];
    for (const key of ['value', 'min', 'max'] as const) {
      const typed = b[key].trim();
      if ((key === 'value' || typed !== '') && !wholeNumber(typed)) {
        errors[`${field}.${key}`] = 'Enter a whole number.';
      }
    }
    return {
      value: Number(b.value),
      ...(b.min.trim() === '' ? {} : { min: Number(b.min) }),
      ...(b.max.trim() === '' ? {} : { max: Number(b.max) }),
    };
  };
  const optionalDays = (field: 'renewalDays' | 'renewalGraceDays' | 'renewalWindowDays') => {
    const typed = draft[field].trim();
    if (typed === '') return null;
    if (!wholeNumber(typed)) errors[field] = 'Enter a whole number of days, or leave it empty.';
    return Number(typed);
  };
  const subscription = draft.model === 'subscription';
  const features = parseFeatures(draft.features);
  if (typeof features === 'string') errors.features = features;
  const addOns = parseFeatures(draft.addOns);
  if (typeof addOns === 'string') errors.addOns = addOns;
  const limits = parseLimits(draft.limits);
  if (typeof limits === 'string') errors.limits = limits;
  const body: PlanBody = {
    name: draft.name.trim(),
    description: draft.description.trim() === '' ? null : draft.description.trim(),
    products: draft.products,
    model: draft.model,
    credentials: bound('credentials'),
    termDays: subscription ? bound('termDays') : null,
    graceDays: subscription ? bound('graceDays') : null,
    renewalDays: subscription ? optionalDays('renewalDays') : null,
    renewalGraceDays: subscription ? optionalDays('renewalGraceDays') : null,
    renewalWindowDays: subscription ? optionalDays('renewalWindowDays') : null,
    autoRenew: subscription && draft.autoRenew,
    features,
    addOns,
    limits,
  };
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body };
}

function BoundFields({
  label,
  unit,
  value,
  errors,
  field,
  onChange,
}: {
  label: string;
  unit: string;
  value: BoundDraft;
  errors: Record<string, string>;
  field: string;
  onChange: (value: BoundDraft) => void;
}) {
  return (
    <fieldset className="field entitlement-set plan-bound">
      <legend>{label}</legend>
      <div className="form-grid">
        <TextInput
          label={`${label}: default`}
          name={`${field}.value`}
          inputMode="numeric"
          value={value.value}
          error={errors[`${field}.value`] ?? null}
          hint={unit}
          onChange={(e) => onChange({ ...value, value: e.target.value })}
        />
        <TextInput
          label={`${label}: least`}
          name={`${field}.min`}
          inputMode="numeric"
          value={value.min}
          error={errors[`${field}.min`] ?? null}
          hint="Empty: as the default"
          onChange={(e) => onChange({ ...value, min: e.target.value })}
        />
        <TextInput
          label={`${label}: most`}
          name={`${field}.max`}
          inputMode="numeric"
          value={value.max}
          error={errors[`${field}.max`] ?? null}
          hint="Empty: as the default"
          onChange={(e) => onChange({ ...value, max: e.target.value })}
        />
      </div>
    </fieldset>
  );
}

/** New plan (`plan` absent) or a plan's edit (a new revision). */
export function PlanDialog({
  plan,
  products,
  onClose,
  onSaved,
}: {
  plan: Plan | null;
  products: Product[];
  onClose: () => void;
  onSaved: (plan: Plan) => void;
}) {
  const [draft, setDraftState] = useState<PlanDraft>(() => draftOf(plan));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const setDraft = (next: Partial<PlanDraft>) => {
    setDraftState((current) => ({ ...current, ...next }));
    setErrors({});
  };
  const subscription = draft.model === 'subscription';
  // Active products, and any archived one the plan already names.
  const offered = products.filter(
    (product) => product.status === 'active' || draft.products.includes(product.id),
  );
  const submit = async () => {
    const result = planBodyOf(draft);
    if (!result.ok) {
      setErrors(result.errors);
      throw new ApiError(400, 'ERR_REQUEST_INVALID', 'Fix the fields marked below.', null);
    }
    const saved = plan
      ? await api.patch<Plan>(`/plans/${encodeURIComponent(plan.id)}`, result.body)
      : await api.post<Plan>('/plans', result.body);
    onSaved(saved);
    onClose();
  };
  return (
    <FormDialog
      open
      title={plan ? `Edit plan ${plan.name}` : 'New plan'}
      submitLabel={plan ? 'Save plan' : 'Create plan'}
      errorTitle={plan ? 'The plan was not changed' : 'The plan was not created'}
      onSubmit={submit}
      onClose={onClose}
    >
      {plan ? (
        <p className="muted">
          Saving makes revision {plan.revision + 1}. Licenses already issued keep what they hold;
          this page then lists them with a Re-issue.
        </p>
      ) : null}
      <div className="form-grid">
        <TextInput
          label="Name"
          name="name"
          value={draft.name}
          onChange={(e) => setDraft({ name: e.target.value })}
        />
        <Select
          label="Model"
          name="model"
          value={draft.model}
          onChange={(e) => setDraft({ model: e.target.value as PlanDraft['model'] })}
        >
          <option value="subscription">subscription</option>
          <option value="perpetual">perpetual</option>
        </Select>
      </div>
      <TextInput
        label="Description"
        name="description"
        value={draft.description}
        onChange={(e) => setDraft({ description: e.target.value })}
      />
      <fieldset className="field entitlement-set">
        <legend>Products</legend>
        {offered.length === 0 ? <p className="muted">No products in the catalogue.</p> : null}
        {offered.map((product) => (
          <label key={product.id} className="checkbox">
            <input
              type="checkbox"
              name={`product-${product.name}`}
              checked={draft.products.includes(product.id)}
              onChange={(e) =>
                setDraft({
                  products: e.target.checked
                    ? [...draft.products, product.id]
                    : draft.products.filter((id) => id !== product.id),
                })
              }
            />{' '}
            {product.name}
            {product.status === 'archived' ? ' (archived)' : ''}
          </label>
        ))}
        <p className="muted">None ticked: the plan is for any product.</p>
      </fieldset>
      <BoundFields
        label="Credentials"
        unit="credentials"
        field="credentials"
        value={draft.credentials}
        errors={errors}
        onChange={(credentials) => setDraft({ credentials })}
      />
      {subscription ? (
        <>
          <BoundFields
            label="Term"
            unit="days"
            field="termDays"
            value={draft.termDays}
            errors={errors}
            onChange={(termDays) => setDraft({ termDays })}
          />
          <BoundFields
            label="Grace"
            unit="days offline after the term"
            field="graceDays"
            value={draft.graceDays}
            errors={errors}
            onChange={(graceDays) => setDraft({ graceDays })}
          />
          <fieldset className="field entitlement-set plan-bound">
            <legend>Renewals</legend>
            <div className="form-grid">
              <TextInput
                label="Renewal adds (days)"
                name="renewalDays"
                inputMode="numeric"
                value={draft.renewalDays}
                error={errors.renewalDays ?? null}
                hint="Empty: the vendor chooses at each renewal"
                onChange={(e) => setDraft({ renewalDays: e.target.value })}
              />
              <TextInput
                label="Renewal grace (days)"
                name="renewalGraceDays"
                inputMode="numeric"
                value={draft.renewalGraceDays}
                error={errors.renewalGraceDays ?? null}
                hint="Empty: the license keeps its own"
                onChange={(e) => setDraft({ renewalGraceDays: e.target.value })}
              />
              <TextInput
                label="Renewable from (days before the end)"
                name="renewalWindowDays"
                inputMode="numeric"
                value={draft.renewalWindowDays}
                error={errors.renewalWindowDays ?? null}
                hint="Empty: any time"
                onChange={(e) => setDraft({ renewalWindowDays: e.target.value })}
              />
            </div>
            <label className="checkbox">
              <input
                type="checkbox"
                name="autoRenew"
                checked={draft.autoRenew}
                onChange={(e) => setDraft({ autoRenew: e.target.checked })}
              />{' '}
              Renew automatically before the term ends (needs "Renewal adds")
            </label>
          </fieldset>
        </>
      ) : null}
      <TextInput
        label="Features (included)"
        name="features"
        value={draft.features}
        error={errors.features ?? null}
        hint="In every license of the plan, separated by commas: hsm-support, audit (90 days)."
        onChange={(e) => setDraft({ features: e.target.value })}
      />
      <TextInput
        label="Add-ons"
        name="addOns"
        value={draft.addOns}
        error={errors.addOns ?? null}
        hint="Features a license of the plan may be given: mobile-credentials."
        onChange={(e) => setDraft({ addOns: e.target.value })}
      />
      <TextInput
        label="Limits"
        name="limits"
        value={draft.limits}
        error={errors.limits ?? null}
        hint="name=default (least-most), separated by commas: sites=3 (1-10). Without a range the limit is fixed."
        onChange={(e) => setDraft({ limits: e.target.value })}
      />
    </FormDialog>
  );
}
