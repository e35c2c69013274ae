// Edit a license's entitlements: its plan (the current one, or another plan of the same model),
// the plan's add-ons and limits, or any features and limits without a plan. Confirming issues a
// new key that replaces the one in force (a re-issue: audited, delivered at the installation's
// next online check, and shown to send by hand). Model, credentials and term stay.
import { useState } from 'react';
import { api } from '../api';
import { useSession } from '../session';
import type { IssueAnswer, License, ListOf, Plan } from '../types';
import { useApi } from '../use-api';
import { Confirm } from './dialog';
import {
  draftOf,
  type EntitlementDraft,
  EntitlementFields,
  entitlementFieldsInvalid,
  entitlementsOf,
} from './entitlement-fields';
import { Button, Select } from './ui';

export function EntitlementEditor({
  license,
  onIssued,
}: {
  license: License;
  onIssued: (answer: IssueAnswer) => void;
}) {
  const { can } = useSession();
  const plans = useApi(() => api.get<ListOf<Plan>>('/plans'), []);
  const [open, setOpen] = useState(false);
  const [planId, setPlanId] = useState('');
  const [draft, setDraft] = useState<EntitlementDraft>(() => draftOf(null));
  const [errors, setErrors] = useState<Record<string, string>>({});
  if (!can('issuer') || license.state !== 'active' || license.installationId === null) return null;

  const held = license.entitlements ?? null;
  const heldPlanId = held?.plan?.id ?? '';
  const offered = (plans.data?.items ?? []).filter(
    (p) => p.id === heldPlanId || (p.status === 'active' && p.model === license.model),
  );
  const plan = offered.find((p) => p.id === planId) ?? null;

  const start = () => {
    const current = offered.find((p) => p.id === heldPlanId) ?? null;
    setPlanId(heldPlanId);
    setErrors({});
    setDraft(
      current
        ? draftOf(current, held?.features.map((f) => f.name) ?? [], held?.limits ?? [])
        : draftOf(
            null,
            held?.features.map((f) => f.name) ?? [],
            held?.limits.map((l) => ({ name: l.name, value: l.value })) ?? [],
          ),
    );
    setOpen(true);
  };
  const choosePlan = (id: string) => {
    setPlanId(id);
    setErrors({});
    setDraft(draftOf(offered.find((p) => p.id === id) ?? null));
  };
  const reissue = async () => {
    const entitled = entitlementsOf(plan, draft);
    if (!entitled.ok) {
      setErrors(entitled.errors);
      throw entitlementFieldsInvalid();
    }
    setErrors({});
    const body: Record<string, unknown> = {
      features: entitled.features,
      limits: entitled.limits,
    };
    if (plan && plan.id !== heldPlanId) body.plan = plan.id;
    onIssued(await api.post<IssueAnswer>(`/licenses/${license.id}/reissue`, body));
  };

  return (
    <>
      <Button onClick={start} disabled={plans.loading}>
        Edit entitlements
      </Button>
      <Confirm
        open={open}
        title="Edit entitlements"
        confirmLabel="Issue the new key"
        onConfirm={reissue}
        onClose={() => setOpen(false)}
      >
        <p className="muted">
          Issues a new key with these entitlements that replaces the one in force. It reaches the
          installation at its next online check (or send it by hand). Model, credentials and term
          stay.
        </p>
        <div className="form-grid">
          {offered.length > 0 ? (
            <Select
              label="Plan"
              name="plan"
              value={planId}
              disabled={offered.length === 1 && heldPlanId !== ''}
              onChange={(e) => choosePlan(e.target.value)}
            >
              {heldPlanId === '' ? <option value="">No plan</option> : null}
              {offered.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                  {p.id === heldPlanId ? ' (current)' : ''}
                </option>
              ))}
            </Select>
          ) : null}
          <EntitlementFields
            plan={plan}
            draft={draft}
            onChange={setDraft}
            errors={errors}
            setErrors={setErrors}
          />
        </div>
      </Confirm>
    </>
  );
}
