// Requests waiting for the vendor: model switches and moves to another installation.
import { type ReactNode, useState } from 'react';
import { api } from '../api';
import { IssuedKey } from '../components/issued-key';
import { RequestActions } from '../components/request-actions';
import { Badge, Card, Empty, Facts, LoadedView, Mono, PageHeader, Select } from '../components/ui';
import { formatTime } from '../format';
import { Link, useRouter } from '../router';
import type { ApprovalRequest, IssueAnswer, ListOf } from '../types';
import { useApi } from '../use-api';

export function RequestsPage() {
  const { search, navigate } = useRouter();
  const status = search.get('status') ?? 'pending';
  const requests = useApi(
    () => api.get<ListOf<ApprovalRequest>>('/requests', { status }),
    [status],
  );
  const [issued, setIssued] = useState<IssueAnswer | null>(null);
  return (
    <>
      <PageHeader
        title="Requests"
        subtitle="Challenges that need a decision before a key is issued: model switches and moves to another machine."
        actions={
          <Select
            label="Show"
            value={status}
            onChange={(e) => navigate(`/requests?status=${e.target.value}`, { replace: true })}
          >
            <option value="pending">Waiting for approval</option>
            <option value="approved">Approved</option>
            <option value="rejected">Rejected</option>
            <option value="all">All</option>
          </Select>
        }
      />
      {issued ? <IssuedKey answer={issued} /> : null}
      <LoadedView state={requests} what="requests">
        {(list) => (
          <>
            {list.items.length === 0 ? (
              <Empty
                title={
                  status === 'pending' ? 'Nothing is waiting for approval.' : 'No requests here.'
                }
              >
                Requests appear when a customer’s challenge asks for a model switch or comes from
                another machine.
              </Empty>
            ) : null}
            {list.items.map((request) => (
              <Card
                key={request.id}
                title={
                  <span className="title-with-badge">
                    {request.kind === 'model-switch'
                      ? `Switch to ${request.asked.model ?? '?'}`
                      : 'Move to another installation'}
                    <Badge
                      value={request.status}
                      tone={
                        request.status === 'pending'
                          ? 'suspended'
                          : request.status === 'approved'
                            ? 'active'
                            : 'revoked'
                      }
                    />
                  </span>
                }
              >
                <Facts
                  items={[
                    ['Request', <Mono key="r">{request.id}</Mono>],
                    // The challenge's id (chl_…), the one the CMS operator quotes, once the
                    // API answers it.
                    ...(challengeIdOf(request)
                      ? ([['Challenge', <Mono key="c">{challengeIdOf(request)}</Mono>]] as [
                          string,
                          ReactNode,
                        ][])
                      : []),
                    [
                      'License',
                      <Link key="l" to={`/licenses/${request.licenseId}`}>
                        {request.licenseId}
                      </Link>,
                    ],
                    ['Installation', <Mono key="i">{request.installationId}</Mono>],
                    ['Received', `${formatTime(request.createdAt)} (read by ${request.createdBy})`],
                    ...(request.decidedAt
                      ? ([
                          [
                            'Decided',
                            `${formatTime(request.decidedAt)} by ${request.decidedBy ?? '?'}`,
                          ],
                        ] as [string, string][])
                      : []),
                    ...(request.reason ? ([['Reason', request.reason]] as [string, string][]) : []),
                  ]}
                />
                <RequestActions request={request} onDone={requests.reload} onIssued={setIssued} />
              </Card>
            ))}
          </>
        )}
      </LoadedView>
    </>
  );
}

/** The chl_… id of the challenge that made the request, when the answer carries it. */
function challengeIdOf(request: ApprovalRequest): string | null {
  const id = (request as ApprovalRequest & { challengeId?: string | null }).challengeId;
  return typeof id === 'string' && id !== '' ? id : null;
}
