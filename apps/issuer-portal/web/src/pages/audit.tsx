// The audit log: who did what, when, to which object. Filters live in the address.
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import {
  Button,
  Card,
  Empty,
  ErrorMessage,
  Loading,
  Mono,
  PageHeader,
  TextInput,
} from '../components/ui';
import { formatTime } from '../format';
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
              search.get('since')
                ? `&from=${new Date(`${search.get('since')}T00:00:00`).getTime()}`
                : ''
            }`}
            download
          >
            Export CSV
          </a>
        }
      />
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
      {events.error ? (
        <ErrorMessage error={events.error} title="The audit log could not be loaded" />
      ) : null}
      {events.loading && !events.data ? <Loading label="Loading the audit log…" /> : null}
      {events.data && events.data.items.length === 0 ? (
        <Empty title="No events match these filters." />
      ) : null}
      {events.data && events.data.items.length >= 200 ? (
        <p className="muted">
          Showing the newest 200 events. Filter by user, action, object or date to see older ones.
        </p>
      ) : null}
      {events.data && events.data.items.length > 0 ? (
        <Card className="card-flush">
          <table className="table table-compact" aria-label="Audit events">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Object</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((event) => (
                <tr key={event.id}>
                  <td className="nowrap">{formatTime(event.at)}</td>
                  <td>{event.actor}</td>
                  <td className="nowrap">
                    <Mono>{event.action}</Mono>
                  </td>
                  <td>
                    {event.subjectId?.startsWith('lic_') ? (
                      <Link to={`/licenses/${event.subjectId}`}>
                        <Mono>{event.subjectId}</Mono>
                      </Link>
                    ) : event.subjectId ? (
                      <Mono>{event.subjectId}</Mono>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="details">
                    <Details details={event.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
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
