// Issue #17 in the portal: what a fork of a license does (its own policy, else its plan's),
// closing a fork with a reason (audited), and the audit log's hash chain with its signed export.
import { useState } from 'react';
import { api } from '../api';
import { formatTime } from '../format';
import { useSession } from '../session';
import type { LicenseDetail } from '../types';
import { useAction, useApi } from '../use-api';
import { Confirm } from './dialog';
import { Alert, Button, ErrorMessage, Mono, Select, TextArea } from './ui';

type Fork = LicenseDetail['forks'][number];
type ForkAction = NonNullable<LicenseDetail['forkPolicy']>;

export const FORK_ACTION_LABELS: Record<ForkAction, string> = {
  warn: 'Warn only (record it, tell the copy)',
  suspend: 'Suspend the copy (the newer branch)',
  'suspend-both': 'Suspend both while the fork is open',
};

function inForceText(detail: LicenseDetail): string {
  const inForce = detail.forkPolicyInForce;
  if (inForce === null) return "the verify service's default (warn)";
  return `${FORK_ACTION_LABELS[inForce.action]}, set on the ${inForce.source}`;
}

/**
 * A fork policy's select and Save: `current` is what is set (null: none here, `defaultLabel`
 * says what applies then). A refusal is shown under it and the select keeps the choice.
 */
function ForkPolicyForm({
  label,
  current,
  defaultLabel,
  onSave,
}: {
  label: string;
  current: ForkAction | null;
  defaultLabel: string;
  onSave: (action: ForkAction | null) => Promise<void>;
}) {
  const [choice, setChoice] = useState<string>(current ?? '');
  const { busy, error, run } = useAction();
  const save = () => run(() => onSave(choice === '' ? null : (choice as ForkAction)));
  return (
    <>
      <div className="button-row">
        <Select label={label} value={choice} onChange={(e) => setChoice(e.target.value)}>
          <option value="">{defaultLabel}</option>
          {(Object.keys(FORK_ACTION_LABELS) as ForkAction[]).map((action) => (
            <option key={action} value={action}>
              {FORK_ACTION_LABELS[action]}
            </option>
          ))}
        </Select>
        <Button onClick={() => void save()} busy={busy} disabled={choice === (current ?? '')}>
          Save fork policy
        </Button>
      </div>
      {error ? <ErrorMessage error={error} /> : null}
    </>
  );
}

/** The license's fork policy: a select and Save (issuers), and what is in force. */
export function ForkPolicyControl({
  detail,
  onChanged,
}: {
  detail: LicenseDetail;
  onChanged: () => void;
}) {
  const { can } = useSession();
  return (
    <div className="fork-policy" data-testid="fork-policy">
      <p>
        What a copy does now: <strong>{inForceText(detail)}</strong>.
      </p>
      {can('issuer') ? (
        <ForkPolicyForm
          label="Fork policy of this license"
          current={detail.forkPolicy}
          defaultLabel="Default (the plan's, else warn)"
          onSave={async (action) => {
            await api.put(`/licenses/${encodeURIComponent(detail.license.id)}/fork-policy`, {
              action,
            });
            onChanged();
          }}
        />
      ) : null}
    </div>
  );
}

/**
 * A plan's fork policy (Products and plans page): what a fork does for every license of the
 * plan that sets none of its own; admins change it (audited as plan.fork-policy).
 */
export function PlanForkPolicy({ planId, planName }: { planId: string; planName: string }) {
  const { can } = useSession();
  const path = `/plans/${encodeURIComponent(planId)}/fork-policy`;
  const policy = useApi(() => api.get<{ forkPolicy: ForkAction | null }>(path), [path]);
  if (policy.error) return <ErrorMessage error={policy.error} />;
  if (!policy.data) return null;
  const current = policy.data.forkPolicy;
  return (
    <div className="fork-policy" data-testid={`plan-fork-policy-${planName}`}>
      <p>
        A copy of an installation on this plan:{' '}
        <strong>
          {current === null ? "the verify service's default (warn)" : FORK_ACTION_LABELS[current]}
        </strong>
        , unless its license sets its own.
      </p>
      {can('admin') ? (
        <ForkPolicyForm
          key={current ?? ''}
          label={`Fork policy of ${planName}`}
          current={current}
          defaultLabel="Default (warn)"
          onSave={async (action) => {
            await api.put(path, { action });
            policy.reload();
          }}
        />
      ) : null}
    </div>
  );
}

/** Close an open fork: the copy is gone. A reason is required and kept in the audit log. */
export function CloseForkButton({ fork, onClosed }: { fork: Fork; onClosed: () => void }) {
  const { can } = useSession();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  if (!can('issuer') || fork.status !== 'open') return null;
  return (
    <>
      <Button
        onClick={() => {
          setReason('');
          setOpen(true);
        }}
      >
        Close fork…
      </Button>
      <Confirm
        open={open}
        title="Close this fork"
        confirmLabel="Close fork"
        disabled={reason.trim() === ''}
        onConfirm={async () => {
          await api.post(`/forks/${encodeURIComponent(fork.id)}/close`, { reason: reason.trim() });
          onClosed();
        }}
        onClose={() => setOpen(false)}
      >
        <p>
          Say this when the copy was shut down. The installation that continues the chain carries
          on; if the copy checks in again, a new fork is recorded.
        </p>
        <TextArea
          label="Reason (kept in the audit log)"
          name="fork-reason"
          maxLength={500}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </Confirm>
    </>
  );
}

interface ChainStatus {
  ok: boolean;
  entries: number;
  legacy: number;
  head: { seq: number; hash: string; at: number } | null;
  anchoredAt: number | null;
  broken: { seq: number; id: string | null; problem: string; message: string } | null;
  checkedAt: number;
}

/** The audit log's hash chain: holds or the first break, and the signed export to download. */
export function AuditChainStatus() {
  const chain = useApi(() => api.get<ChainStatus>('/audit/chain'), []);
  if (chain.error) return <ErrorMessage error={chain.error} />;
  const status = chain.data;
  if (!status) return null;
  return (
    <div data-testid="audit-chain">
      {status.ok ? (
        <Alert tone="success" title="The hash chain holds">
          {status.entries} chained entries (1 to {status.head?.seq ?? 0}
          {status.head ? `, newest ${formatTime(status.head.at)}` : ''})
          {status.legacy > 0 ? `, and ${status.legacy} written before the chain, anchored` : ''}
          {status.anchoredAt ? ` since ${formatTime(status.anchoredAt)}` : ''}. Head{' '}
          <Mono>{status.head?.hash ?? '-'}</Mono>. Checked {formatTime(status.checkedAt)}.
        </Alert>
      ) : (
        <Alert tone="error" title="The hash chain is broken">
          {status.broken?.message}. Nothing can be exported until this is explained (see
          docs/deploying.md, The audit log).
        </Alert>
      )}
      <div className="button-row">
        <Button onClick={chain.reload}>Verify again</Button>
        {status.ok ? (
          <a className="btn btn-ghost" href="/api/v1/audit/chain/export" download>
            Download signed export
          </a>
        ) : null}
      </div>
      <p className="muted">
        An auditor checks the export without Licensor:{' '}
        <Mono>node verify-audit-export.mjs export.jsonl jwks.json --previous earlier.jsonl</Mono>{' '}
        (the vendor&apos;s public keys from Signing keys). Entries removed from the end are found
        against an earlier export.
      </p>
    </div>
  );
}
