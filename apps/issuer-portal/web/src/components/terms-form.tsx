// The terms of a key: customer, model, credentials and, for a subscription, term and grace.
// Prefilled from the inspection; the server validates again with the same schema.
import { type FormEvent, useState } from 'react';
import {
  DEFAULT_GRACE_DAYS,
  DEFAULT_TERM_DAYS,
  rangeProblem,
  rangeText,
  TERMS_LIMITS,
} from '../terms-limits';
import type { Terms } from '../types';
import { Button, Select, TextInput } from './ui';

export function TermsForm({
  initial,
  busy,
  submitLabel,
  onSubmit,
  approval = false,
}: {
  initial: Terms;
  busy: boolean;
  submitLabel: string;
  onSubmit: (terms: Terms) => void;
  /** Approving a request: the customer and the model come from the license and the request. */
  approval?: boolean;
}) {
  const [customerName, setCustomerName] = useState(initial.customerName);
  const [model, setModel] = useState(initial.model);
  const [credentials, setCredentials] = useState(String(initial.credentials));
  const [termDays, setTermDays] = useState(String(initial.termDays ?? DEFAULT_TERM_DAYS));
  const [graceDays, setGraceDays] = useState(String(initial.graceDays ?? DEFAULT_GRACE_DAYS));
  const [errors, setErrors] = useState<Record<string, string>>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    const count = Number(credentials);
    if (!customerName.trim()) found.customerName = 'Enter the customer’s name.';
    const problems = {
      credentials: rangeProblem('credentials', credentials),
      ...(model === 'subscription'
        ? {
            termDays: rangeProblem('termDays', termDays),
            graceDays: rangeProblem('graceDays', graceDays),
          }
        : {}),
    };
    for (const [field, problem] of Object.entries(problems)) if (problem) found[field] = problem;
    const term = Number(termDays);
    const grace = Number(graceDays);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const terms: Terms = { customerName: customerName.trim(), model, credentials: count };
    if (initial.customerId) terms.customerId = initial.customerId;
    if (model === 'subscription') {
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
      <Select
        label="Model"
        name="model"
        value={model}
        disabled={approval}
        hint={approval ? 'The model the installation asks for.' : undefined}
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
        value={credentials}
        error={errors.credentials ?? null}
        hint={`${rangeText('credentials')}.`}
        onChange={(e) => setCredentials(e.target.value)}
      />
      {model === 'subscription' ? (
        <>
          <TextInput
            label="Term (days)"
            name="termDays"
            type="number"
            min={TERMS_LIMITS.termDays.min}
            max={TERMS_LIMITS.termDays.max}
            value={termDays}
            error={errors.termDays ?? null}
            hint={`Counted from now: ${rangeText('termDays')}.`}
            onChange={(e) => setTermDays(e.target.value)}
          />
          <TextInput
            label="Offline grace (days)"
            name="graceDays"
            type="number"
            min={TERMS_LIMITS.graceDays.min}
            max={TERMS_LIMITS.graceDays.max}
            value={graceDays}
            error={errors.graceDays ?? null}
            hint={`How long it keeps working when online checks fail: ${rangeText('graceDays')}.`}
            onChange={(e) => setGraceDays(e.target.value)}
          />
        </>
      ) : null}
      <div className="form-actions">
        <Button type="submit" tone="primary" busy={busy}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
