// The entitlement part of a form: with a plan, its included features (fixed), its add-ons as
// checkboxes and its limits as numbers within the plan's bounds; without a plan, any features
// and limits typed as lists. The server checks everything again against the plan
// (ERR_TERMS_INVALID naming the field) and stores nothing it refuses.
import { ApiError } from '../api';
import type { Plan } from '../types';
import { TextInput } from './ui';

/** Named limit as the API takes it. */
export interface LimitValue {
  name: string;
  value: number;
}

/** What the fields hold while the operator edits them. */
export interface EntitlementDraft {
  /** Add-ons chosen (with a plan). */
  addOns: string[];
  /** Limit values typed (with a plan), by name. */
  limitValues: Record<string, string>;
  /** Without a plan: `hsm-support, mobile-credentials`. */
  featuresText: string;
  /** Without a plan: `sites=3, users=10`. */
  limitsText: string;
}

const NAME = /^[a-z][a-z0-9._-]{0,63}$/;

/** A draft prefilled from what a license holds or an inspection suggests. */
export function draftOf(
  plan: Plan | null,
  features: readonly string[] = [],
  limits: readonly LimitValue[] = [],
): EntitlementDraft {
  const limitValues: Record<string, string> = {};
  for (const limit of plan?.limits ?? []) {
    const held = limits.find((l) => l.name === limit.name);
    limitValues[limit.name] = String(held?.value ?? limit.value);
  }
  return {
    addOns: plan ? features.filter((f) => plan.addOns.some((a) => a.name === f)) : [],
    limitValues,
    featuresText: plan ? '' : features.join(', '),
    limitsText: plan ? '' : limits.map((l) => `${l.name}=${l.value}`).join(', '),
  };
}

/** Errors without those of the entitlement fields (they are re-checked when the draft changes). */
function withoutEntitlementErrors(errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(errors).filter(
      ([field]) => !field.startsWith('limit-') && field !== 'features' && field !== 'limits',
    ),
  );
}

/**
 * What a dialog with these fields throws when one is wrong: shown above its buttons (under the
 * fields), while each field says what to fix.
 */
export function entitlementFieldsInvalid(): ApiError {
  return new ApiError(400, 'ERR_REQUEST_INVALID', 'Fix the fields marked above.', null);
}

export type EntitlementResult =
  | { ok: true; features: string[]; limits: LimitValue[] }
  | { ok: false; errors: Record<string, string> };

/** The features and limits to send, or what is wrong with the draft (by field name). */
export function entitlementsOf(plan: Plan | null, draft: EntitlementDraft): EntitlementResult {
  const errors: Record<string, string> = {};
  if (plan) {
    const limits: LimitValue[] = [];
    for (const limit of plan.limits) {
      const text = draft.limitValues[limit.name] ?? String(limit.value);
      const value = Number(text);
      if (
        text.trim() === '' ||
        !Number.isInteger(value) ||
        value < limit.min ||
        value > limit.max
      ) {
        errors[`limit-${limit.name}`] =
          `Enter a whole number from ${limit.min.toLocaleString()} to ${limit.max.toLocaleString()}.`;
      } else if (value !== limit.value) {
        limits.push({ name: limit.name, value });
      }
    }
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    return { ok: true, features: [...draft.addOns].sort(), limits };
  }
  const features = draft.featuresText
    .split(/[\s,]+/)
    .map((f) => f.trim())
    .filter(Boolean);
  const badFeature = features.find((f) => !NAME.test(f));
  if (badFeature !== undefined) {
    errors.features = `"${badFeature}" is not a feature name: a lower-case letter, then lower-case letters, digits, ".", "_" or "-".`;
  }
  const limits: LimitValue[] = [];
  for (const part of draft.limitsText.split(/[\s,]+/).filter(Boolean)) {
    const match = /^([^=]+)=(\d{1,10})$/.exec(part);
    if (!match || !NAME.test(match[1] as string)) {
      errors.limits = `"${part}" is not a limit: write name=number, e.g. sites=3.`;
      break;
    }
    limits.push({ name: match[1] as string, value: Number(match[2]) });
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, features: [...new Set(features)], limits };
}

export function EntitlementFields({
  plan,
  draft,
  onChange: setDraft,
  errors,
  setErrors,
}: {
  plan: Plan | null;
  draft: EntitlementDraft;
  onChange: (draft: EntitlementDraft) => void;
  errors: Record<string, string>;
  /** The form's errors: those of these fields are dropped when they change (checked again). */
  setErrors: (update: (errors: Record<string, string>) => Record<string, string>) => void;
}) {
  const onChange = (next: EntitlementDraft) => {
    setDraft(next);
    setErrors(withoutEntitlementErrors);
  };
  if (!plan) {
    return (
      <>
        <TextInput
          label="Features"
          name="features"
          value={draft.featuresText}
          error={errors.features ?? null}
          hint="Without a plan, any features: names separated by commas (hsm-support, mobile-credentials)."
          onChange={(e) => onChange({ ...draft, featuresText: e.target.value })}
        />
        <TextInput
          label="Limits"
          name="limits"
          value={draft.limitsText}
          error={errors.limits ?? null}
          hint="Named limits beside the credentials: sites=3, users=10."
          onChange={(e) => onChange({ ...draft, limitsText: e.target.value })}
        />
      </>
    );
  }
  const toggle = (name: string, on: boolean) =>
    onChange({
      ...draft,
      addOns: on ? [...draft.addOns, name] : draft.addOns.filter((a) => a !== name),
    });
  return (
    <>
      <fieldset className="field entitlement-set">
        <legend>Features</legend>
        {plan.features.length > 0 ? (
          <p className="muted">
            Included in {plan.name}: {plan.features.map((f) => f.name).join(', ')}
          </p>
        ) : null}
        {plan.addOns.length === 0 ? (
          <p className="muted">The plan offers no add-ons.</p>
        ) : (
          plan.addOns.map((addOn) => (
            <label key={addOn.name} className="checkbox">
              <input
                type="checkbox"
                name={`addon-${addOn.name}`}
                checked={draft.addOns.includes(addOn.name)}
                onChange={(e) => toggle(addOn.name, e.target.checked)}
              />{' '}
              Add-on {addOn.name}
              {addOn.days ? ` (${addOn.days} days)` : ''}
            </label>
          ))
        )}
      </fieldset>
      {plan.limits.map((limit) => (
        <TextInput
          key={limit.name}
          label={`Limit ${limit.name}`}
          name={`limit-${limit.name}`}
          type="number"
          min={limit.min}
          max={limit.max}
          value={draft.limitValues[limit.name] ?? String(limit.value)}
          error={errors[`limit-${limit.name}`] ?? null}
          hint={
            limit.min === limit.max
              ? `Fixed by the plan at ${limit.value}.`
              : `Plan default ${limit.value}; ${limit.min} to ${limit.max}.`
          }
          onChange={(e) =>
            onChange({
              ...draft,
              limitValues: { ...draft.limitValues, [limit.name]: e.target.value },
            })
          }
        />
      ))}
    </>
  );
}
