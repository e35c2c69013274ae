// The terms of a key: customer, plan, model, credentials and, for a subscription, term and grace,
// and the entitlements (the plan's add-ons and limits, or any without a plan). Prefilled from the
// inspection; choosing a plan fills in its defaults. The server validates again with the same
// schema and against the plan's bounds.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { ApiError } from '../api';
import {
  DEFAULT_GRACE_DAYS,
  DEFAULT_TERM_DAYS,
  rangeProblem,
  rangeText,
  TERMS_LIMITS,
} from '../terms-limits';
import type { Plan, Terms } from '../types';
import {
  draftOf,
  type EntitlementDraft,
  EntitlementFields,
  entitlementsOf,
} from './entitlement-fields';
import { Button, Select, TextInput } from './ui';

type PlanBound = { value: number; min: number; max: number } | null;
/** The plan's bound in a hint: `Standard: 10 to 100.` or `Fixed by Standard: 25.` */
const boundHint = (bound: PlanBound, plan: Plan | null, unit = '') =>
  plan && bound && bound.min !== bound.max
    ? ` ${plan.name}: ${bound.min.toLocaleString('en-US')} to ${bound.max.toLocaleString('en-US')}${unit}.`
    : plan && bound
      ? ` Fixed by ${plan.name}: ${bound.value.toLocaleString('en-US')}${unit}.`
      : '';
/** True when the plan leaves no choice: the field shows its value and cannot be changed. */
const fixed = (bound: PlanBound): boolean => bound !== null && bound.min === bound.max;
/** What is wrong with a value the plan bounds, in the words of the hint, or null. */
function boundProblem(bound: PlanBound, plan: Plan | null, text: string, unit = ''): string | null {
  if (!plan || !bound) return null;
  const value = Number(text);
  if (Number.isInteger(value) && value >= bound.min && value <= bound.max) return null;
  return fixed(bound)
    ? `Fixed by ${plan.name}: ${bound.value.toLocaleString('en-US')}${unit}.`
    : `Enter a whole number from ${bound.min.toLocaleString('en-US')} to ${bound.max.toLocaleString('en-US')}${unit} (${plan.name}).`;
}

/** The form's fields as typed (kept across a session's end: web/src/drafts.ts). */
export interface TermsDraft {
  planId: string;
  entitlements: EntitlementDraft;
  customerName: string;
  model: Terms['model'];
  credentials: string;
  termDays: string;
  graceDays: string;
}

/**
 * Where in this form the server's refusal belongs, in the form's words: `terms: graceDays must
 * be …` at Grace as `Must be …`; null when it names no field of the form (an add-on of a plan).
 */
export function refusalAtField(
  refusal: ApiError,
  withPlan: boolean,
): { field: string; message: string } | null {
  if (refusal.code !== 'ERR_TERMS_INVALID' || refusal.field === null) return null;
  const named = refusal.field;
  const field = ['customerName', 'credentials', 'termDays', 'graceDays'].includes(named)
    ? named
    : !withPlan && /^(features|limits)\b/.test(named)
      ? named.startsWith('features')
        ? 'features'
        : 'limits'
      : null;
  if (field === null) return null;
  const reason = refusal.message.replace(/^terms: /, '').replace(`${named} `, '');
  return { field, message: `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.` };
}

export function TermsForm({
  initial,
  busy,
  submitLabel,
  onSubmit,
  approval = false,
  plans = [],
  saved,
  onDraft,
  refusal = null,
}: {
  initial: Terms;
  busy: boolean;
  submitLabel: string;
  onSubmit: (terms: Terms) => void;
  /** Approving a request: the customer and the model come from the license and the request. */
  approval?: boolean;
  /** Plans to issue from (active ones are offered); none: no plan field. */
  plans?: Plan[];
  /** Fields typed before (a session that ended): shown instead of `initial`'s. */
  saved?: TermsDraft | null;
  /** Told the fields after each change, to keep them. */
  onDraft?: (draft: TermsDraft) => void;
  /** The server's refusal of these terms (ERR_TERMS_INVALID naming a field): shown at it. */
  refusal?: ApiError | null;
}) {
  const offered = plans.filter((p) => p.status === 'active' || p.id === initial.plan);
  const [planId, setPlanId] = useState(saved?.planId ?? initial.plan ?? '');
  const plan = offered.find((p) => p.id === planId || p.name === planId) ?? null;
  const [draft, setDraft] = useState<EntitlementDraft>(
    () => saved?.entitlements ?? draftOf(plan, initial.features, initial.limits),
  );
  const [customerName, setCustomerName] = useState(saved?.customerName ?? initial.customerName);
  const [model, setModel] = useState(saved?.model ?? initial.model);
  const [credentials, setCredentials] = useState(saved?.credentials ?? String(initial.credentials));
  const [termDays, setTermDays] = useState(
    saved?.termDays ?? String(initial.termDays ?? DEFAULT_TERM_DAYS),
  );
  const [graceDays, setGraceDays] = useState(
    saved?.graceDays ?? String(initial.graceDays ?? DEFAULT_GRACE_DAYS),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});

  // A refusal the browser's checks could not foresee (a plan changed meanwhile, a character a
  // license key cannot carry) is shown at the field it names, as the browser's own would be.
  useEffect(() => {
    const shown = refusal ? refusalAtField(refusal, plan !== null) : null;
    if (shown) setErrors((errors) => ({ ...errors, [shown.field]: shown.message }));
  }, [refusal, plan]);

  const told = useRef(onDraft);
  told.current = onDraft;
  useEffect(() => {
    told.current?.({
      planId,
      entitlements: draft,
      customerName,
      model,
      credentials,
      termDays,
      graceDays,
    });
  }, [planId, draft, customerName, model, credentials, termDays, graceDays]);

  // The plans may answer after the form is shown (the list is loaded beside the inspection).
  // The form is never rebuilt then, which would wipe what was typed: once the plan the terms
  // name is known, its add-ons and limit values fill only the fields left as they were (before
  // the plans came, those fields were not shown).
  // (A restored draft already holds what was typed with the plan: nothing is filled over it.)
  const filledFrom = useRef<string | null>(saved ? planId : (plan?.id ?? null));
  useEffect(() => {
    if (plan === null || filledFrom.current === plan.id) return;
    filledFrom.current = plan.id;
    const defaults = draftOf(plan, initial.features, initial.limits);
    setDraft((typed) => ({
      ...typed,
      addOns: typed.addOns.length > 0 ? typed.addOns : defaults.addOns,
      limitValues: { ...defaults.limitValues, ...typed.limitValues },
    }));
  }, [plan, initial.features, initial.limits]);

  /** A plan chosen: its defaults fill the terms; the operator may change them within bounds. */
  const choosePlan = (id: string) => {
    setPlanId(id);
    const chosen = offered.find((p) => p.id === id) ?? null;
    filledFrom.current = chosen?.id ?? null;
    setDraft(draftOf(chosen));
    if (!chosen) return;
    setModel(chosen.model);
    setCredentials(String(chosen.credentials.value));
    if (chosen.termDays) setTermDays(String(chosen.termDays.value));
    if (chosen.graceDays) setGraceDays(String(chosen.graceDays.value));
  };

  // With a plan (issuing, not approving), the plan decides the model, and a value it fixes is
  // shown locked; a bounded one is checked against its bounds at the field.
  const bounded = approval ? null : plan;
  const modelShown = bounded ? bounded.model : model;
  const shownValue = (bound: PlanBound, typed: string) =>
    bound && fixed(bound) ? String(bound.value) : typed;
  const credentialsShown = shownValue(bounded?.credentials ?? null, credentials);
  const termShown = shownValue(bounded?.termDays ?? null, termDays);
  const graceShown = shownValue(bounded?.graceDays ?? null, graceDays);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    const count = Number(credentialsShown);
    if (!customerName.trim()) found.customerName = 'Enter the customer’s name.';
    const problems = {
      credentials:
        rangeProblem('credentials', credentialsShown) ??
        boundProblem(bounded?.credentials ?? null, bounded, credentialsShown),
      ...(modelShown === 'subscription'
        ? {
            termDays:
              rangeProblem('termDays', termShown) ??
              boundProblem(bounded?.termDays ?? null, bounded, termShown, ' days'),
            graceDays:
              rangeProblem('graceDays', graceShown) ??
              boundProblem(bounded?.graceDays ?? null, bounded, graceShown, ' days'),
          }
        : {}),
    };
    for (const [field, problem] of Object.entries(problems)) if (problem) found[field] = problem;
    const term = Number(termShown);
    const grace = Number(graceShown);
    const entitled = approval ? null : entitlementsOf(plan, draft);
    if (entitled && !entitled.ok) Object.assign(found, entitled.errors);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const terms: Terms = {
      customerName: customerName.trim(),
      model: modelShown,
      credentials: count,
    };
    if (initial.customerId) terms.customerId = initial.customerId;
    if (plan) terms.plan = plan.id;
    if (entitled?.ok && (plan || entitled.features.length > 0)) terms.features = entitled.features;
    if (entitled?.ok && (plan || entitled.limits.length > 0)) terms.limits = entitled.limits;
    if (modelShown === 'subscription') {
      terms.termDays = term;
      terms.graceDays = grace;
    }
    onSubmit(terms);
  };

  return (
    <form className="form-grid" onSubmit={submit} noValidate aria-label="Terms">
      <TextInput
        label="Customer"
        name="customerName"
        value={customerName}
        error={errors.customerName ?? null}
        hint={
          approval
            ? 'The license’s customer.'
            : initial.customerId
              ? `Existing customer ${initial.customerId}`
              : 'A new customer is created.'
        }
        readOnly={approval}
        onChange={(e) => setCustomerName(e.target.value)}
      />
      {!approval && offered.length > 0 ? (
        <Select
          label="Plan"
          name="plan"
          value={plan?.id ?? ''}
          hint={
            plan
              ? `Revision ${plan.revision}: its defaults are filled in; change them within its bounds.`
              : 'No plan: any features and limits.'
          }
          onChange={(e) => choosePlan(e.target.value)}
        >
          <option value="">No plan</option>
          {offered.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </Select>
      ) : null}
      <Select
        label="Model"
        name="model"
        value={modelShown}
        disabled={approval || bounded !== null}
        hint={
          approval
            ? 'The model the installation asks for.'
            : bounded
              ? `Fixed by ${bounded.name}.`
              : undefined
        }
        onChange={(e) => setModel(e.target.value as Terms['model'])}
      >
        <option value="perpetual">Perpetual</option>
        <option value="subscription">Subscription</option>
      </Select>
      <TextInput
        label="Number of credentials"
        name="credentials"
        type="number"
        min={TERMS_LIMITS.credentials.min}
        max={TERMS_LIMITS.credentials.max}
        inputMode="numeric"
        value={credentialsShown}
        readOnly={fixed(bounded?.credentials ?? null)}
        error={errors.credentials ?? null}
        hint={`${rangeText('credentials')}.${boundHint(bounded?.credentials ?? null, bounded)}`}
        onChange={(e) => setCredentials(e.target.value)}
      />
      {modelShown === 'subscription' ? (
        <>
          <TextInput
            label="Term (days)"
            name="termDays"
            type="number"
            min={TERMS_LIMITS.termDays.min}
            max={TERMS_LIMITS.termDays.max}
            value={termShown}
            readOnly={fixed(bounded?.termDays ?? null)}
            error={errors.termDays ?? null}
            hint={`Counted from now: ${rangeText('termDays')}.${boundHint(bounded?.termDays ?? null, bounded, ' days')}`}
            onChange={(e) => setTermDays(e.target.value)}
          />
          <TextInput
            label="Offline grace (days)"
            name="graceDays"
            type="number"
            min={TERMS_LIMITS.graceDays.min}
            max={TERMS_LIMITS.graceDays.max}
            value={graceShown}
            readOnly={fixed(bounded?.graceDays ?? null)}
            error={errors.graceDays ?? null}
            hint={`How long it keeps working when online checks fail: ${rangeText('graceDays')}.${boundHint(bounded?.graceDays ?? null, bounded, ' days')}`}
            onChange={(e) => setGraceDays(e.target.value)}
          />
        </>
      ) : null}
      {approval ? null : (
        <EntitlementFields
          plan={plan}
          draft={draft}
          onChange={setDraft}
          errors={errors}
          setErrors={setErrors}
        />
      )}
      <div className="form-actions">
        <Button type="submit" tone="primary" busy={busy}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
