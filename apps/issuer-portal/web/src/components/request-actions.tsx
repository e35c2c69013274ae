// Approve or reject a pending approval request. Approving signs a key, which is then shown; a
// switch to a subscription is approved with the term and the offline grace period it gets.
import { useState } from 'react';
import { api } from '../api';
import { useSession } from '../session';
import { DEFAULT_GRACE_DAYS, DEFAULT_TERM_DAYS, rangeText, TERMS_LIMITS } from '../terms-limits';
import type { ApprovalRequest, IssueAnswer } from '../types';
import { Confirm } from './dialog';
import { Button, TextInput } from './ui';

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
  const toSubscription = request.asked.model === 'subscription';
  if (!can('issuer') || request.status !== 'pending') return null;
  const run = async () => {
    if (dialog === 'approve') {
      const terms = toSubscription
        ? { termDays: Number(termDays), graceDays: Number(graceDays) }
        : {};
      onIssued(await api.post<IssueAnswer>(`/requests/${request.id}/approve`, terms));
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
          <Button tone="primary" onClick={() => setDialog('approve')}>
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
            {toSubscription ? (
              <div className="form-grid">
                <TextInput
                  label="Term (days)"
                  type="number"
                  min={TERMS_LIMITS.termDays.min}
                  max={TERMS_LIMITS.termDays.max}
                  hint={`${rangeText('termDays')}.`}
                  value={termDays}
                  onChange={(e) => setTermDays(e.target.value)}
                />
                <TextInput
                  label="Offline grace (days)"
                  type="number"
                  min={TERMS_LIMITS.graceDays.min}
                  max={TERMS_LIMITS.graceDays.max}
                  hint={`How long the CMS keeps working when online checks fail: ${rangeText('graceDays')}.`}
                  value={graceDays}
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
