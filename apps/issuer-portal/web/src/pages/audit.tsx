// The audit log: who did what, when, to which object. Filters live in the address.
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { AuditChainStatus } from '../components/fork-controls';
import { Table } from '../components/table';
import { Button, Card, LoadedView, Mono, PageHeader, TextInput, Time } from '../components/ui';
import { Link, useRouter } from '../router';
import type { AuditEvent, ListOf } from '../types';
import { useApi } from '../use-api';

export function AuditPage() {
  const { search, navigate } = useRouter();
  const [actor, setActor] = useState(search.get('actor') ?? '');
  const [action, setAction] = useState(search.get('action') ?? '');
  const [subjectId, setSubjectId] = useState(search.get('subjectId') ?? '');
  const [since, setSince] = useState(search.get('since') ?? '');
  const query = {
    actor: search.get('actor'),
    action: search.get('action'),
    subjectId: search.get('subjectId'),
    since: search.get('since') ? new Date(`${search.get('since')}T00:00:00`).getTime() : null,
  };
  const events = useApi(() => api.get<ListOf<AuditEvent>>('/audit', query), [search.toString()]);
  // The export takes a time range only: of the filters, just "Since" applies, and says so.
  const exportSince = search.get('since');

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (actor.trim()) next.set('actor', actor.trim());
    if (action.trim()) next.set('action', action.trim());
    if (subjectId.trim()) next.set('subjectId', subjectId.trim());
    if (since) next.set('since', since);
    navigate(next.toString() ? `/audit?${next}` : '/audit', { replace: true });
  };

  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Every change, with who made it and when. Nothing here can be edited."
        actions={
          <a
            className="btn btn-ghost"
            href={`/api/v1/audit/export?format=csv${
              exportSince ? `&from=${new Date(`${exportSince}T00:00:00`).getTime()}` : ''
            }`}
            title="The export applies the Since date only, not the user, action or object filters."
            download
          >
            {exportSince
              ? `Export CSV since ${exportSince} (every user and action)`
              : 'Export CSV (every event)'}
          </a>
        }
      />
      <Card title="Integrity">
        <AuditChainStatus />
      </Card>
      <Card>
        <form className="filters" onSubmit={apply} aria-label="Filter the audit log">
          <TextInput
            label="User"
            value={actor}
            onChange={(e) => setActor(e.target.value)}
            placeholder="e.g. alice"
          />
          <TextInput
            label="Action"
            value={action}
            onChange={(e) => setAction(e.target.value)}
            placeholder="e.g. license.revoke"
          />
          <TextInput
            label="Object ID"
            value={subjectId}
            onChange={(e) => setSubjectId(e.target.value)}
            placeholder="lic_…, usr_…"
          />
          <TextInput
            label="Since"
            type="date"
            value={since}
            onChange={(e) => setSince(e.target.value)}
          />
          <div className="filters-submit">
            <Button type="submit" tone="primary">
              Apply filters
            </Button>
          </div>
        </form>
      </Card>
      <LoadedView state={events} what="audit log" loadingLabel="Loading the audit log…">
        {(page) => (
          <>
            {page.items.length >= 200 ? (
              <p className="muted">
                Showing the newest 200 events. Filter by user, action, object or date to see older
                ones.
              </p>
            ) : null}
            <Card className="card-flush">
              <Table
                label="Audit events"
                compact
                rows={page.items}
                rowKey={(event) => event.id}
                empty="No events match these filters."
                columns={[
                  {
                    header: 'When',
                    primary: true,
                    cell: (event) => <Time ms={event.at} />,
                  },
                  { header: 'User', cell: (event) => event.actor },
                  { header: 'Action', cell: (event) => <Mono>{event.action}</Mono> },
                  {
                    header: 'Object',
                    cell: (event) =>
                      event.subjectId?.startsWith('lic_') ? (
                        <Link to={`/licenses/${event.subjectId}`}>
                          <Mono>{event.subjectId}</Mono>
                        </Link>
                      ) : event.subjectId ? (
                        <Mono>{event.subjectId}</Mono>
                      ) : (
                        <span className="muted">—</span>
                      ),
                  },
                  {
                    header: 'Details',
                    className: 'details',
                    cell: (event) => <Details details={event.details} />,
                  },
                ]}
              />
            </Card>
          </>
        )}
      </LoadedView>
    </>
  );
}

/** Details as short "key value" chips; long values are cut on screen and whole in the tooltip. */
function Details({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details).filter(
    ([, value]) => value !== null && value !== undefined && value !== '',
  );
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="detail-list">
      {entries.map(([key, value]) => {
        const text = flatten(value);
        return (
          <li key={key} className="detail" title={`${key}: ${text}`}>
            <span className="detail-key">{key}</span> {text}
          </li>
        );
      })}
    </ul>
  );
}

function flatten(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  if (Array.isArray(value)) return value.map(flatten).join(', ');
  return Object.entries(value)
    .filter(([, member]) => member !== null && member !== undefined)
    .map(([key, member]) => `${key} ${flatten(member)}`)
    .join(', ');
}
