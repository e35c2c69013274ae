// Approve or reject a pending approval request. Approving signs a key, which is then shown; a
// switch to a subscription is approved with the term and the offline grace period it gets. The
// key keeps the license's plan and entitlements, or the approver picks a plan (of the model the
// license gets) with its add-ons and limits within the plan's bounds; the server checks them
// again (422 ERR_TERMS_INVALID naming the field, shown in the dialog, nothing stored).
import { useState } from 'react';
import { api, fieldIssues, fieldsInvalid } from '../api';
import { useSession } from '../session';
import {
  DEFAULT_GRACE_DAYS,
  DEFAULT_TERM_DAYS,
  rangeProblem,
  rangeText,
  TERMS_LIMITS,
} from '../terms-limits';
import type { ApprovalRequest, IssueAnswer, ListOf, Plan } from '../types';
import { useApi } from '../use-api';
import { Confirm } from './dialog';
import {
  draftOf,
  type EntitlementDraft,
  EntitlementFields,
  entitlementFieldsInvalid,
  entitlementsOf,
} from './entitlement-fields';
import { Button, ErrorMessage, Select, TextInput } from './ui';

/** The plan part of the approval: '' keeps the license's plan and entitlements. */
interface PlanChoice {
  plan: Plan | null;
  draft: EntitlementDraft;
}

export function RequestActions({
  request,
  onDone,
  onIssued,
  canApprove = true,
}: {
  request: ApprovalRequest;
  onDone: () => void;
  /** Gets the key an approval signs; the caller shows it (this component leaves with the request). */
  onIssued: (answer: IssueAnswer) => void;
  /** False when the license can no longer take a new key (revoked): only rejecting is offered. */
  canApprove?: boolean;
}) {
  const { can } = useSession();
  const [dialog, setDialog] = useState<'approve' | 'reject' | null>(null);
  const [reason, setReason] = useState('');
  // The issuer's defaults for a new subscription term, shown so nothing is chosen silently.
  const [termDays, setTermDays] = useState(String(DEFAULT_TERM_DAYS));
  const [graceDays, setGraceDays] = useState(String(DEFAULT_GRACE_DAYS));
  const [choice, setChoice] = useState<PlanChoice>({ plan: null, draft: draftOf(null) });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const toSubscription = request.asked.model === 'subscription';
  if (!can('issuer') || request.status !== 'pending') return null;
  const choose = (plan: Plan | null) => {
    setErrors({});
    // The customer's request (add-ons it asks for) ticks them; the plan's term fills the fields.
    setChoice({ plan, draft: draftOf(plan, request.asked.features ?? []) });
    if (plan?.termDays) setTermDays(String(plan.termDays.value));
    if (plan?.graceDays) setGraceDays(String(plan.graceDays.value));
  };
  const entitlements = (): Record<string, unknown> => {
    if (choice.plan === null) return {};
    const entitled = entitlementsOf(choice.plan, choice.draft);
    if (!entitled.ok) {
      setErrors(entitled.errors);
      throw entitlementFieldsInvalid();
    }
    setErrors({});
    return { plan: choice.plan.id, features: entitled.features, limits: entitled.limits };
  };
  const run = async () => {
    if (dialog === 'approve') {
      setErrors({});
      // The term and grace are checked at their fields, as their hints say, before anything is sent.
      const termProblem = toSubscription ? rangeProblem('termDays', termDays) : null;
      const graceProblem = toSubscription ? rangeProblem('graceDays', graceDays) : null;
      const found: Record<string, string> = {};
      if (termProblem) found.termDays = termProblem;
      if (graceProblem) found.graceDays = graceProblem;
      const terms = toSubscription
        ? { termDays: Number(termDays), graceDays: Number(graceDays) }
        : {};
      let entitled: Record<string, unknown>;
      try {
        entitled = entitlements();
      } catch (failure) {
        setErrors((errors) => ({ ...errors, ...found }));
        throw failure;
      }
      if (Object.keys(found).length > 0) {
        setErrors((errors) => ({ ...errors, ...found }));
        throw fieldsInvalid('above');
      }
      let answer: IssueAnswer;
      try {
        answer = await api.post<IssueAnswer>(`/requests/${request.id}/approve`, {
          ...terms,
          ...entitled,
        });
      } catch (failure) {
        // A refusal of the term or grace is shown at its field, not as the server's line.
        const atFields = fieldIssues(failure, { termDays: 'termDays', graceDays: 'graceDays' });
        if (Object.keys(atFields).length === 0) throw failure;
        setErrors((errors) => ({ ...errors, ...atFields }));
        throw fieldsInvalid('above');
      }
      onIssued(answer);
    } else {
      await api.post(
        `/requests/${request.id}/reject`,
        reason.trim() ? { reason: reason.trim() } : {},
      );
    }
    onDone();
  };
  return (
    <>
      <div className="button-row">
        {canApprove ? (
          <Button
            tone="primary"
            onClick={() => {
              choose(null);
              setDialog('approve');
            }}
          >
            Approve
          </Button>
        ) : null}
        <Button tone="danger" onClick={() => setDialog('reject')}>
          Reject
        </Button>
      </div>
      <Confirm
        open={dialog !== null}
        title={dialog === 'approve' ? 'Approve this request?' : 'Reject this request?'}
        confirmLabel={dialog === 'approve' ? 'Approve and issue' : 'Reject'}
        tone={dialog === 'approve' ? 'primary' : 'danger'}
        onConfirm={run}
        onClose={() => setDialog(null)}
      >
        {dialog === 'approve' ? (
          <>
            <p>
              A new key is signed for license {request.licenseId}
              {request.asked.model ? ` with the ${request.asked.model} model` : ''}. The
              installation receives it on its next online check, or you send it by hand.
            </p>
            <div className="form-grid">
              <ApprovalPlan
                model={request.asked.model ?? null}
                choice={choice}
                onChoose={choose}
                onDraft={(draft) => setChoice({ ...choice, draft })}
                errors={errors}
                setErrors={setErrors}
              />
            </div>
            {toSubscription ? (
              <div className="form-grid">
                <TextInput
                  label="Term (days)"
                  type="number"
                  min={TERMS_LIMITS.termDays.min}
                  max={TERMS_LIMITS.termDays.max}
                  hint={`${rangeText('termDays')}.`}
                  value={termDays}
                  error={errors.termDays ?? null}
                  onChange={(e) => setTermDays(e.target.value)}
                />
                <TextInput
                  label="Offline grace (days)"
                  type="number"
                  min={TERMS_LIMITS.graceDays.min}
                  max={TERMS_LIMITS.graceDays.max}
                  hint={`How long the CMS keeps working when online checks fail: ${rangeText('graceDays')}.`}
                  value={graceDays}
                  error={errors.graceDays ?? null}
                  onChange={(e) => setGraceDays(e.target.value)}
                />
              </div>
            ) : null}
          </>
        ) : (
          <TextInput
            label="Reason (optional)"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        )}
      </Confirm>
    </>
  );
}

/**
 * The plan to approve with: the license's own (the default), or an active plan of the model
 * the license gets, with its add-ons and limits. Mounted with the dialog: the plans load then.
 */
function ApprovalPlan({
  model,
  choice,
  onChoose,
  onDraft,
  errors,
  setErrors,
}: {
  /** The model the license gets; null: not known here (a rehost keeps the license's). */
  model: Plan['model'] | null;
  choice: PlanChoice;
  onChoose: (plan: Plan | null) => void;
  onDraft: (draft: EntitlementDraft) => void;
  errors: Record<string, string>;
  setErrors: (update: (errors: Record<string, string>) => Record<string, string>) => void;
}) {
  const plans = useApi(() => api.get<ListOf<Plan>>('/plans'), []);
  if (plans.error)
    return <ErrorMessage error={plans.error} title="The plans could not be loaded" />;
  const offered = (plans.data?.items ?? []).filter(
    (p) => p.status === 'active' && (model === null || p.model === model),
  );
  return (
    <>
      <Select
        label="Plan"
        name="plan"
        value={choice.plan?.id ?? ''}
        disabled={plans.loading}
        hint="Choose a plan to set its add-ons and limits; otherwise the key keeps the license's."
        onChange={(e) => onChoose(offered.find((p) => p.id === e.target.value) ?? null)}
      >
        <option value="">Keep the license’s plan and entitlements</option>
        {offered.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </Select>
      {choice.plan ? (
        <EntitlementFields
          plan={choice.plan}
          draft={choice.draft}
          onChange={onDraft}
          errors={errors}
          setErrors={setErrors}
        />
      ) : null}
    </>
  );
}
