// What an issuer can do to a license: suspend or resume, revoke, renew a subscription.
// Each asks for confirmation (and a reason, or the new term) in a dialog.
import { useState } from 'react';
import { api } from '../api';
import { useSession } from '../session';
import { DEFAULT_TERM_DAYS, rangeText, TERMS_LIMITS } from '../terms-limits';
import type { IssueAnswer, License } from '../types';
import { Confirm } from './dialog';
import { Button, TextInput } from './ui';

type Action = 'revoke' | 'suspend' | 'resume' | 'renew';

const TITLES: Record<Action, string> = {
  revoke: 'Revoke this license?',
  suspend: 'Suspend this license?',
  resume: 'Resume this license?',
  renew: 'Renew this subscription',
};

export function LicenseActions({
  license,
  onChanged,
  onRenewed,
}: {
  license: License;
  onChanged: () => void;
  onRenewed: (answer: IssueAnswer) => void;
}) {
  const { can } = useSession();
  const [action, setAction] = useState<Action | null>(null);
  const [reason, setReason] = useState('');
  // A license of a plan renews by the plan's policy unless days are typed (within its bounds).
  const onPlan = Boolean(license.entitlements?.plan);
  const [termDays, setTermDays] = useState(onPlan ? '' : String(DEFAULT_TERM_DAYS));
  if (!can('issuer')) return null;

  const open = (next: Action) => {
    setReason('');
    setAction(next);
  };
  const run = async () => {
    if (!action) return;
    if (action === 'renew') {
      const body = termDays.trim() === '' ? {} : { termDays: Number(termDays) };
      onRenewed(await api.post<IssueAnswer>(`/licenses/${license.id}/renew`, body));
    } else {
      await api.post(
        `/licenses/${license.id}/${action}`,
        reason.trim() ? { reason: reason.trim() } : {},
      );
    }
    onChanged();
  };

  const revoked = license.state === 'revoked';
  return (
    <>
      <div className="button-row">
        {license.model === 'subscription' && !revoked ? (
          <Button onClick={() => open('renew')}>Renew</Button>
        ) : null}
        {license.state === 'active' ? (
          <Button onClick={() => open('suspend')}>Suspend</Button>
        ) : null}
        {license.state === 'suspended' ? (
          <Button onClick={() => open('resume')}>Resume</Button>
        ) : null}
        {!revoked ? (
          <Button tone="danger" onClick={() => open('revoke')}>
            Revoke
          </Button>
        ) : null}
      </div>
      <Confirm
        open={action !== null}
        title={action ? TITLES[action] : ''}
        confirmLabel={action ? capital(action) : ''}
        tone={action === 'revoke' ? 'danger' : 'primary'}
        onConfirm={run}
        onClose={() => setAction(null)}
      >
        {action === 'revoke' ? (
          <p>
            The installation learns it at its next online check, and the license cannot be used
            again. This cannot be undone.
          </p>
        ) : null}
        {action === 'suspend' ? <p>Online checks answer SUSPENDED until you resume it.</p> : null}
        {action === 'renew' ? (
          <TextInput
            label="Days added to the term (from its end, or from today once it has ended)"
            type="number"
            min={TERMS_LIMITS.termDays.min}
            max={TERMS_LIMITS.termDays.max}
            hint={
              onPlan
                ? `Leave empty to renew by the ${license.entitlements?.plan?.name} plan's renewal policy; days typed must lie within the plan's term bounds.`
                : `${rangeText('termDays')}.`
            }
            value={termDays}
            onChange={(e) => setTermDays(e.target.value)}
          />
        ) : (
          <TextInput
            label="Reason (optional)"
            name="reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        )}
      </Confirm>
    </>
  );
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
