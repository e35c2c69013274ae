// The landing page after sign-in: what needs a look today. Four counts at the top, each linked
// to its list below: licenses near their credential cap, subscriptions whose installation
// stopped checking, subscriptions ending soon, and open forks (copies of an installation).
import type { ReactNode } from 'react';
import { api } from '../api';
import { Card, Empty, ErrorMessage, Loading, Mono, PageHeader } from '../components/ui';
import { formatRelative, formatSeconds, formatTime } from '../format';
import { Link } from '../router';
import type { Dashboard } from '../types';
import { useApi } from '../use-api';

type Section = Dashboard['nearCap'] | Dashboard['stopped'] | Dashboard['expiring'];

function countText(section: { count: number; more: boolean }): string {
  return `${section.count.toLocaleString()}${section.more ? '+' : ''}`;
}

function Stat({
  id,
  label,
  section,
}: {
  id: string;
  label: string;
  section: Section | Dashboard['forks'];
}) {
  return (
    <a href={`#${id}`} className={`stat${section.count > 0 ? ' stat-alert' : ''}`}>
      <span className="stat-value" data-testid={`count-${id}`}>
        {countText(section)}
      </span>
      <span className="stat-label">{label}</span>
    </a>
  );
}

function LicenseLink({ id, name }: { id: string; name: string }) {
  return (
    <Link to={`/licenses/${encodeURIComponent(id)}`} title={id}>
      {name}
    </Link>
  );
}

function SectionCard({
  id,
  title,
  section,
  empty,
  more,
  head,
  rows,
}: {
  id: string;
  title: string;
  section: { count: number; more: boolean; items: unknown[] };
  empty: string;
  more?: ReactNode;
  head: ReactNode;
  rows: ReactNode;
}) {
  return (
    <section id={id} aria-label={title}>
      <Card title={`${title} (${countText(section)})`}>
        {section.count === 0 ? (
          <Empty title={empty} />
        ) : (
          <>
            <table className="table table-compact" aria-label={title}>
              <thead>{head}</thead>
              <tbody>{rows}</tbody>
            </table>
            {section.count > section.items.length ? (
              <p className="muted">
                Showing {section.items.length} of {countText(section)}. {more}
              </p>
            ) : null}
          </>
        )}
      </Card>
    </section>
  );
}

export function DashboardPage() {
  const board = useApi(() => api.get<Dashboard>('/dashboard'), []);
  if (board.loading && !board.data) return <Loading label="Loading the dashboard…" />;
  if (board.error) {
    return (
      <>
        <PageHeader title="Dashboard" />
        <ErrorMessage error={board.error} title="The dashboard could not be loaded" />
      </>
    );
  }
  if (!board.data) return null;
  const { nearCap, stopped, expiring, forks, options, at } = board.data;
  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle={`What needs a look, as of ${formatTime(at)}. Usage is read from the last ${options.lookbackDays} days of online checks.`}
      />
      <nav className="stats" aria-label="Counts">
        <Stat
          id="near-cap"
          label={`Near their cap (≥ ${options.nearCapPercent}%)`}
          section={nearCap}
        />
        <Stat
          id="stopped"
          label={`Checks stopped (> ${options.stoppedAfterDays} days)`}
          section={stopped}
        />
        <Stat
          id="expiring"
          label={`Ending within ${options.expiringWithinDays} days`}
          section={expiring}
        />
        <Stat id="forks" label="Open forks" section={forks} />
      </nav>
      <SectionCard
        id="near-cap"
        title="Licenses near their cap"
        section={nearCap}
        empty={`No license uses ${options.nearCapPercent}% or more of its credentials.`}
        head={
          <tr>
            <th scope="col">Customer</th>
            <th scope="col" className="num">
              In use
            </th>
            <th scope="col" className="num">
              Share
            </th>
            <th scope="col">Plan</th>
            <th scope="col">Last check</th>
          </tr>
        }
        rows={nearCap.items.map((e) => (
          <tr key={e.licenseId}>
            <td>
              <LicenseLink id={e.licenseId} name={e.customerName} />
            </td>
            <td className="num">
              {e.inUse.toLocaleString()} / {e.credentials.toLocaleString()}
            </td>
            <td className="num">{e.percent}%</td>
            <td>{e.plan ?? '—'}</td>
            <td className="nowrap">{formatTime(e.lastCheckAt)}</td>
          </tr>
        ))}
      />
      <SectionCard
        id="stopped"
        title="Installations whose checks stopped"
        section={stopped}
        empty={`Every running subscription checked in within ${options.stoppedAfterDays} days.`}
        head={
          <tr>
            <th scope="col">Customer</th>
            <th scope="col">Last check</th>
            <th scope="col" className="num">
              Silent for
            </th>
            <th scope="col">Term ends</th>
          </tr>
        }
        rows={stopped.items.map((e) => (
          <tr key={e.licenseId}>
            <td>
              <LicenseLink id={e.licenseId} name={e.customerName} />
            </td>
            <td className="nowrap">{formatTime(e.lastCheckAt)}</td>
            <td className="num">
              {e.silentDays} day{e.silentDays === 1 ? '' : 's'}
            </td>
            <td>{formatSeconds(e.termEnd)}</td>
          </tr>
        ))}
      />
      <SectionCard
        id="expiring"
        title="Subscriptions ending soon"
        section={expiring}
        empty={`No subscription ends within ${options.expiringWithinDays} days.`}
        more={
          <Link to={`/licenses?expiringWithinDays=${options.expiringWithinDays}`}>
            See them all on the Licenses list
          </Link>
        }
        head={
          <tr>
            <th scope="col">Customer</th>
            <th scope="col">Term ends</th>
            <th scope="col" className="num">
              In use
            </th>
            <th scope="col">Last check</th>
          </tr>
        }
        rows={expiring.items.map((e) => (
          <tr key={e.licenseId}>
            <td>
              <LicenseLink id={e.licenseId} name={e.customerName} />
            </td>
            <td className="nowrap">
              {formatSeconds(e.termEnd)} ({formatRelative(e.termEnd * 1000, at)})
            </td>
            <td className="num">
              {e.inUse === null
                ? '—'
                : `${e.inUse.toLocaleString()} / ${e.credentials.toLocaleString()}`}
            </td>
            <td className="nowrap">{formatTime(e.lastCheckAt)}</td>
          </tr>
        ))}
      />
      <SectionCard
        id="forks"
        title="Open forks"
        section={forks}
        empty="No installation has a copy checking in."
        head={
          <tr>
            <th scope="col">License</th>
            <th scope="col">Detected</th>
            <th scope="col" className="num">
              Checks from the copy
            </th>
            <th scope="col">Fork</th>
          </tr>
        }
        rows={forks.items.map((f) => (
          <tr key={f.id}>
            <td>
              <LicenseLink id={f.licenseId} name={f.licenseId} />
            </td>
            <td className="nowrap">{formatTime(f.detectedAt)}</td>
            <td className="num">{f.divergentChecks}</td>
            <td>
              <Mono>{f.id}</Mono>
            </td>
          </tr>
        ))}
      />
    </>
  );
}
