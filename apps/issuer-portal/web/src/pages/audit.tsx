// The audit log: who did what, when, to which object. Filters live in the address.
import { type FormEvent, useRef, useState } from 'react';
import { api } from '../api';
import { AuditChainStatus } from '../components/fork-controls';
import { Table } from '../components/table';
import {
  Alert,
  Button,
  Card,
  LoadedView,
  Mono,
  PageHeader,
  TextInput,
  Time,
} from '../components/ui';
import { Link, useRouter } from '../router';
import type { AuditEvent, ListOf } from '../types';
import { useApi } from '../use-api';

export function AuditPage() {
  const { search, navigate } = useRouter();
  const [actor, setActor] = useState(search.get('actor') ?? '');
  const [action, setAction] = useState(search.get('action') ?? '');
  const [subjectId, setSubjectId] = useState(search.get('subjectId') ?? '');
  // A Since in the address that is not a date (?since=garbage) is ignored, and said so.
  const sinceAsked = search.get('since');
  const sinceMs = sinceStart(sinceAsked);
  const sinceValid = sinceMs === null ? null : sinceAsked;
  const [since, setSince] = useState(sinceValid ?? '');
  const query = {
    actor: search.get('actor'),
    action: search.get('action'),
    subjectId: search.get('subjectId'),
    since: sinceMs,
  };
  const events = useApi(() => api.get<ListOf<AuditEvent>>('/audit', query), [search.toString()]);
  // The export takes a time range only: of the filters, just "Since" applies, and says so.
  const exportSince = sinceValid;
  // The Action filter matches exactly: the actions seen in the log so far are offered.
  const seenActions = useRef(new Set<string>());
  for (const event of events.data?.items ?? []) seenActions.current.add(event.action);
  const actionOptions = [...seenActions.current].sort();

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
              exportSince && sinceMs !== null ? `&from=${sinceMs}` : ''
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
      {sinceAsked !== null && sinceAsked !== '' && sinceMs === null ? (
        <Alert tone="warning">
          The Since date in the address ({sinceAsked}) is not a date (YYYY-MM-DD): it is ignored.
        </Alert>
      ) : null}
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
            list="audit-actions"
            autoComplete="off"
            onChange={(e) => setAction(e.target.value)}
            placeholder="e.g. license.revoke"
          />
          <datalist id="audit-actions">
            {actionOptions.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
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

/** The start (local midnight) of a `YYYY-MM-DD` day, or null when it is not one. */
export function sinceStart(text: string | null): number | null {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = new Date(`${text}T00:00:00`).getTime();
  if (Number.isNaN(ms)) return null;
  // 2026-02-31 is not a day (Date would roll it into March).
  const day = new Date(ms);
  const same =
    day.getFullYear() === Number(text.slice(0, 4)) &&
    day.getMonth() + 1 === Number(text.slice(5, 7)) &&
    day.getDate() === Number(text.slice(8, 10));
  return same ? ms : null;
}
