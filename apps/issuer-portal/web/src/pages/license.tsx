// One license: what it is, where it runs, what happened to it (timeline), how its installation
// has been checking in, and the actions an issuer can take.
import { useState } from 'react';
import { api } from '../api';
import { EntitlementEditor } from '../components/entitlement-editor';
import { CloseForkButton, ForkPolicyControl } from '../components/fork-controls';
import { IssuedKey } from '../components/issued-key';
import { LicenseActions } from '../components/license-actions';
import { RequestActions } from '../components/request-actions';
import { Table } from '../components/table';
import {
  Badge,
  Card,
  Empty,
  ErrorMessage,
  Facts,
  Loading,
  Mono,
  PageHeader,
  Select,
  Time,
} from '../components/ui';
import { UsageChart } from '../components/usage-chart';
import { formatRelative, formatSeconds, formatTime } from '../format';
import { Link } from '../router';
import type {
  IssueAnswer,
  LicenseDetail,
  LicenseUsage,
  Transaction,
  TransactionKind,
} from '../types';
import { useApi } from '../use-api';

/** Every transaction kind (a Record over the issuer's union: a new kind fails the typecheck). */
const KIND_LABELS: Record<TransactionKind, string> = {
  issue: 'Key issued',
  renew: 'Renewed',
  reissue: 'Re-issued with new entitlements',
  'model-switch': 'Model switched',
  rehost: 'Moved to another installation',
  revoke: 'Revoked',
  suspend: 'Suspended',
  resume: 'Resumed',
  'reject-request': 'Request rejected',
  'rename-customer': 'Customer renamed',
  resign: 'Re-signed by a new license key',
};

/** A kind this build does not know (a newer server) reads as itself. */
function kindLabel(kind: string): string {
  return Object.hasOwn(KIND_LABELS, kind) ? KIND_LABELS[kind as TransactionKind] : kind;
}

export function LicensePage({ licenseId }: { licenseId: string }) {
  const detail = useApi(
    () => api.get<LicenseDetail>(`/licenses/${encodeURIComponent(licenseId)}`),
    [licenseId],
  );
  const [usageDays, setUsageDays] = useState(90);
  const usage = useApi(
    () =>
      api.get<LicenseUsage>(`/licenses/${encodeURIComponent(licenseId)}/usage`, {
        days: usageDays,
      }),
    [licenseId, usageDays],
  );
  const [issued, setIssued] = useState<IssueAnswer | null>(null);

  if (detail.loading && !detail.data) return <Loading label="Loading the license…" />;
  if (detail.error) {
    return (
      <>
        <PageHeader title={<Mono>{licenseId}</Mono>} />
        <ErrorMessage error={detail.error} title="The license could not be loaded" />
        <p>
          <Link to="/licenses">Back to the licenses</Link>
        </p>
      </>
    );
  }
  if (!detail.data) return null;
  const { license, installation, transactions, requests, checks, lastCheck, forks, forkPolicy } =
    detail.data;
  const openForks = forks.filter((fork) => fork.status === 'open');
  const pending = requests.filter((r) => r.status === 'pending');

  return (
    <>
      <PageHeader
        title={
          <span className="title-with-badge">
            {license.customerName} <Badge value={license.state} />
          </span>
        }
        subtitle={<Mono>{license.id}</Mono>}
        actions={
          <>
            <EntitlementEditor
              license={license}
              onIssued={(answer) => {
                setIssued(answer);
                detail.reload();
              }}
            />
            <LicenseActions license={license} onChanged={detail.reload} onRenewed={setIssued} />
          </>
        }
      />
      {issued ? (
        // Renewals and re-issues answer no challenge (online delivery); approvals answer one.
        <IssuedKey answer={issued} onlineOnly={issued.request === undefined} />
      ) : null}
      {license.stateReason ? (
        <p className="muted">
          Reason for the current state: <em>{license.stateReason}</em>
        </p>
      ) : null}
      {openForks.map((fork) => (
        <Card key={fork.id} title="Possible copy" className="card-warning">
          <p>
            Two copies of this installation (or a copy and an older backup of it) are checking in:
            their checks no longer continue one chain. Detected {formatTime(fork.detectedAt)};{' '}
            {fork.divergentChecks} check{fork.divergentChecks === 1 ? '' : 's'} from the copy since.{' '}
            {fork.action === 'suspend-both'
              ? 'Both the copy and the original are answered SUSPENDED until this is closed.'
              : fork.action === 'suspend'
                ? 'The copy is answered SUSPENDED; the original stays valid.'
                : 'Both are still answered; the copy is told.'}
          </p>
          <Facts
            items={[
              [
                'Original (last check)',
                fork.original
                  ? `${formatTime(fork.original.at)}, ${fork.original.address ?? 'address unknown'}, ${fork.original.credentialsInUse} credentials in use`
                  : 'unknown',
              ],
              [
                'Copy (last check)',
                `${formatTime(fork.copy.at)}, ${fork.copy.address ?? 'address unknown'}, ${fork.copy.credentialsInUse} credentials in use`,
              ],
              ['Fork', <Mono key="f">{fork.id}</Mono>],
            ]}
          />
          <p className="muted">
            A server restored from a backup: ask its operator for a new challenge and issue a key
            for it (that re-binds the license and closes this). A copy that was shut down: close the
            fork, saying why.
          </p>
          <div className="button-row">
            <CloseForkButton fork={fork} onClosed={detail.reload} />
          </div>
        </Card>
      ))}
      <Card title="Copies of the installation">
        <ForkPolicyControl key={forkPolicy ?? ''} detail={detail.data} onChanged={detail.reload} />
      </Card>
      {pending.map((request) => (
        <Card key={request.id} title="Pending request" className="card-warning">
          <p>
            The installation asks for{' '}
            {request.kind === 'model-switch'
              ? `a switch to ${request.asked.model}`
              : 'a move to another installation'}{' '}
            (since {formatTime(request.createdAt)}).
          </p>
          {license.state === 'revoked' ? (
            <p className="muted">The license is revoked, so this request can only be rejected.</p>
          ) : null}
          <RequestActions
            request={request}
            onDone={detail.reload}
            onIssued={setIssued}
            canApprove={license.state !== 'revoked'}
          />
        </Card>
      ))}
      <div className="grid-2">
        <Card title="License">
          <Facts
            items={[
              ['Type', license.model],
              [
                'Customer',
                <Link key="c" to={`/licenses?customerId=${license.customerId}`}>
                  {license.customerName}
                </Link>,
              ],
              ['Number of credentials', license.credentials.toLocaleString()],
              ['Revision', String(license.revision)],
              ['Latest transaction', <Mono key="t">{license.latestTransactionId}</Mono>],
              ['Term', termText(license, transactions)],
              ...(license.term
                ? ([['Offline grace', `${Math.round(license.term.grace / 86400)} days`]] as [
                    string,
                    string,
                  ][])
                : []),
              ['Created', formatTime(license.createdAt)],
            ]}
          />
        </Card>
        {license.entitlements ? (
          <Card title="Plan and entitlements">
            <Facts
              items={[
                [
                  'Plan',
                  license.entitlements.plan
                    ? `${license.entitlements.plan.name} (revision ${license.entitlements.plan.revision})`
                    : 'none',
                ],
                [
                  'Products',
                  license.entitlements.products
                    ?.map((p) => (p.versions ? `${p.name} ${p.versions.join(', ')}` : p.name))
                    .join('; ') ?? 'any product',
                ],
                [
                  'Features',
                  license.entitlements.features
                    .map((f) => (f.until ? `${f.name} (until ${formatSeconds(f.until)})` : f.name))
                    .join(', ') || 'none',
                ],
                [
                  'Limits',
                  license.entitlements.limits
                    .map(
                      (l) =>
                        `${l.name} ${l.value}${l.until ? ` (until ${formatSeconds(l.until)})` : ''}`,
                    )
                    .join(', ') || 'none',
                ],
                [
                  'Key format',
                  license.entitlements.tokenVersion === 1
                    ? '1 (the installation reads no entitlements; update its SDK)'
                    : '2',
                ],
              ]}
            />
          </Card>
        ) : null}
        <Card title="Installation">
          {installation ? (
            <Facts
              items={[
                ['Installation ID', <Mono key="i">{installation.id}</Mono>],
                ['Product', `${installation.product.name} ${installation.product.version}`],
                ['First seen', formatTime(installation.firstSeenAt)],
                ['Last seen', formatTime(installation.lastSeenAt)],
              ]}
            />
          ) : (
            <p className="muted">Not bound to an installation.</p>
          )}
        </Card>
      </div>
      <Card
        title="Usage"
        actions={
          <Select
            label="Period"
            name="usageDays"
            value={String(usageDays)}
            onChange={(e) => setUsageDays(Number(e.target.value))}
          >
            <option value="30">Last 30 days</option>
            <option value="90">Last 90 days</option>
            <option value="365">Last 365 days</option>
          </Select>
        }
      >
        {usage.error ? (
          <ErrorMessage error={usage.error} title="The usage could not be loaded" />
        ) : !usage.data ? (
          <Loading label="Loading the usage…" />
        ) : usage.data.days.length === 0 ? (
          <Empty title={`No online checks from ${usage.data.from} to ${usage.data.to}.`}>
            The chart shows the credentials in use that the installation reports with each check.
          </Empty>
        ) : (
          <UsageChart usage={usage.data} />
        )}
      </Card>
      <div className="grid-2">
        <Card title="History">
          {transactions.length === 0 ? (
            <Empty title="No transactions." />
          ) : (
            <ol className="timeline" aria-label="Transactions">
              {[...transactions]
                .sort((a, b) => b.at - a.at)
                .map((t) => (
                  <TimelineItem key={t.id} transaction={t} />
                ))}
            </ol>
          )}
        </Card>
        <Card title="Online checks">
          <Table
            label="Online checks"
            compact
            rows={checks}
            rowKey={(check) => check.id}
            empty={
              lastCheck !== null ? (
                <p>
                  Last check {formatTime(lastCheck.at)}, answered{' '}
                  {lastCheck.outcome === null ? (
                    'outcome not recorded'
                  ) : (
                    <Badge
                      value={lastCheck.outcome}
                      tone={lastCheck.outcome === 'VALID' ? 'active' : 'revoked'}
                    />
                  )}
                  , {lastCheck.credentialsInUse.toLocaleString()} /{' '}
                  {license.credentials.toLocaleString()} in use. Older checks are kept as daily
                  totals (the retention window has passed).
                </p>
              ) : (
                <Empty title="No online checks yet.">
                  {license.model === 'subscription'
                    ? 'The installation reports here each time it verifies its subscription.'
                    : 'Perpetual licenses check in only when the customer asks for it.'}
                </Empty>
              )
            }
            columns={[
              {
                header: 'When',
                primary: true,
                cell: (check) => <Time ms={check.at} />,
              },
              {
                // What the service signed and sent; the installation applies it only if it verifies it.
                header: 'Answer sent',
                cell: (check) => (
                  <Badge
                    value={check.outcome}
                    tone={check.outcome === 'VALID' ? 'active' : 'revoked'}
                  />
                ),
              },
              {
                header: 'In use',
                align: 'num',
                cell: (check) =>
                  `${check.credentialsInUse.toLocaleString()} / ${license.credentials.toLocaleString()}`,
              },
              { header: 'SDK', cell: (check) => check.sdkVersion },
            ]}
          />
        </Card>
      </div>
    </>
  );
}

/**
 * The term as it stands: a revoked license shows when and by whom it was revoked (its term no
 * longer runs), not a term end "in 365 days".
 */
function termText(license: LicenseDetail['license'], transactions: Transaction[]): string {
  const span = license.term
    ? `${formatSeconds(license.term.start)} – ${formatSeconds(license.term.end)}`
    : null;
  if (license.state === 'revoked') {
    const revocation = transactions
      .filter((t) => t.kind === 'revoke')
      .reduce<Transaction | null>((latest, t) => (latest && latest.at >= t.at ? latest : t), null);
    const when = revocation
      ? `Revoked ${formatTime(revocation.at)} by ${revocation.operator}`
      : 'Revoked';
    return span ? `${when} (the term was ${span})` : `${when} (perpetual)`;
  }
  return span && license.term
    ? `${span} (${formatRelative(license.term.end * 1000)})`
    : 'Perpetual';
}

function TimelineItem({ transaction: t }: { transaction: Transaction }) {
  return (
    <li className={`timeline-item timeline-${t.kind}`}>
      <div className="timeline-head">
        <strong>{kindLabel(t.kind)}</strong>
        {t.revision !== null ? <span className="muted"> · revision {t.revision}</span> : null}
      </div>
      <div className="timeline-meta">
        {formatTime(t.at)} · {t.operator} · <Mono>{t.id}</Mono>
      </div>
      {t.reason ? <div className="timeline-reason">“{t.reason}”</div> : null}
    </li>
  );
}
