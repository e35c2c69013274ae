// The terms of a key: customer, model, credentials and, for a subscription, term and grace.
// Prefilled from the inspection; the server validates again with the same schema.
import { type FormEvent, useState } from 'react';
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
  const [termDays, setTermDays] = useState(String(initial.termDays ?? 365));
  const [graceDays, setGraceDays] = useState(String(initial.graceDays ?? 30));
  const [errors, setErrors] = useState<Record<string, string>>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    const count = Number(credentials);
    if (!customerName.trim()) found.customerName = 'Enter the customer’s name.';
    if (!Number.isInteger(count) || count < 1)
      found.credentials = 'Enter a whole number, 1 or more.';
    const term = Number(termDays);
    const grace = Number(graceDays);
    if (model === 'subscription') {
      if (!Number.isInteger(term) || term < 1 || term > 3650)
        found.termDays = 'Enter 1 to 3650 days.';
      if (!Number.isInteger(grace) || grace < 0 || grace > 365)
        found.graceDays = 'Enter 0 to 365 days.';
    }
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
        min={1}
        inputMode="numeric"
        value={credentials}
        error={errors.credentials ?? null}
        onChange={(e) => setCredentials(e.target.value)}
      />
      {model === 'subscription' ? (
        <>
          <TextInput
            label="Term (days)"
            name="termDays"
            type="number"
            min={1}
            value={termDays}
            error={errors.termDays ?? null}
            hint="Counted from now."
            onChange={(e) => setTermDays(e.target.value)}
          />
          <TextInput
            label="Offline grace (days)"
            name="graceDays"
            type="number"
            min={0}
            value={graceDays}
            error={errors.graceDays ?? null}
            hint="How long it keeps working when online checks fail."
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
