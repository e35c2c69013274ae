// The landing page after sign-in: what needs a look today. Four counts at the top, each linked
// to its list below: licenses near their credential cap, subscriptions whose installation
// stopped checking, subscriptions ending soon, and open forks (copies of an installation).
// Thresholds: near the cap from what percent, stopped after how many days, ending within how
// many days; changed on the page, kept in the address (a bookmark or a link shares them) and
// remembered in this browser for the next visit.
import { DASHBOARD_LIMITS, type DashboardThreshold } from '@licensor/issuer/terms';
import { type FormEvent, type ReactNode, useState } from 'react';
import { api } from '../api';
import { type Column, Table } from '../components/table';
import { Button, Card, ErrorMessage, Loading, Mono, PageHeader, TextInput } from '../components/ui';
import { formatRelative, formatSeconds, formatTime } from '../format';
import { Link, useRouter } from '../router';
import type { Dashboard } from '../types';
import { useApi } from '../use-api';

/** The thresholds the page lets you change, with their labels. */
const THRESHOLDS = [
  ['nearCapPercent', 'Near the cap from (%)'],
  ['stoppedAfterDays', 'Checks stopped after (days)'],
  ['expiringWithinDays', 'Ending within (days)'],
] as const satisfies readonly (readonly [DashboardThreshold, string])[];
type Threshold = (typeof THRESHOLDS)[number][0];
type Thresholds = Partial<Record<Threshold, number>>;

/** Where this browser remembers the thresholds last applied. */
const SAVED = 'licensor.dashboard.thresholds';

function inRange(name: Threshold, value: unknown): value is number {
  const { min, max } = DASHBOARD_LIMITS[name];
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The thresholds of the address, else those this browser saved, else none (the defaults). */
function thresholdsOf(search: URLSearchParams): Thresholds {
  const fromAddress: Thresholds = {};
  for (const [name] of THRESHOLDS) {
    const text = search.get(name);
    if (text !== null && inRange(name, Number(text))) fromAddress[name] = Number(text);
  }
  if (Object.keys(fromAddress).length > 0) return fromAddress;
  let saved: unknown = null;
  try {
    saved = JSON.parse(window.localStorage.getItem(SAVED) ?? 'null');
  } catch {
    saved = null;
  }
  const remembered: Thresholds = {};
  for (const [name] of THRESHOLDS) {
    const value = (saved as Record<string, unknown> | null)?.[name];
    if (inRange(name, value)) remembered[name] = value;
  }
  return remembered;
}

/** The three thresholds as number fields; Apply checks each against its range first. */
function ThresholdsForm({
  applied,
  onApply,
}: {
  applied: Dashboard['options'];
  onApply: (thresholds: Thresholds | null) => void;
}) {
  const [values, setValues] = useState<Record<Threshold, string>>({
    nearCapPercent: String(applied.nearCapPercent),
    stoppedAfterDays: String(applied.stoppedAfterDays),
    expiringWithinDays: String(applied.expiringWithinDays),
  });
  const [errors, setErrors] = useState<Partial<Record<Threshold, string>>>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next: Thresholds = {};
    const problems: Partial<Record<Threshold, string>> = {};
    for (const [name] of THRESHOLDS) {
      const value = Number(values[name]);
      const { min, max } = DASHBOARD_LIMITS[name];
      if (values[name].trim() !== '' && inRange(name, value)) next[name] = value;
      else problems[name] = `Enter a whole number from ${min} to ${max.toLocaleString('en-US')}.`;
    }
    setErrors(problems);
    if (Object.keys(problems).length === 0) onApply(next);
  };
  return (
    <form className="filters thresholds" onSubmit={submit} noValidate aria-label="Thresholds">
      {THRESHOLDS.map(([name, label]) => (
        <TextInput
          key={name}
          label={label}
          name={name}
          type="number"
          min={DASHBOARD_LIMITS[name].min}
          max={DASHBOARD_LIMITS[name].max}
          value={values[name]}
          error={errors[name] ?? null}
          onChange={(e) => setValues({ ...values, [name]: e.target.value })}
        />
      ))}
      <div className="filters-submit button-row">
        <Button type="submit" tone="primary">
          Apply
        </Button>
        <Button onClick={() => onApply(null)}>Defaults</Button>
      </div>
    </form>
  );
}

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

function SectionCard<T>({
  id,
  title,
  section,
  empty,
  more,
  columns,
  rowKey,
}: {
  id: string;
  title: string;
  section: { count: number; more: boolean; items: T[] };
  empty: string;
  more?: ReactNode;
  columns: Column<T>[];
  rowKey: (row: T) => string;
}) {
  return (
    <section id={id} aria-label={title}>
      <Card title={`${title} (${countText(section)})`}>
        <Table label={title} columns={columns} rows={section.items} rowKey={rowKey} empty={empty} />
        {section.count > section.items.length ? (
          <p className="muted">
            Showing {section.items.length} of {countText(section)}. {more}
          </p>
        ) : null}
      </Card>
    </section>
  );
}

export function DashboardPage() {
  const { search, navigate } = useRouter();
  const thresholds = thresholdsOf(search);
  const key = JSON.stringify(thresholds);
  const board = useApi(() => api.get<Dashboard>('/dashboard', thresholds), [key]);
  const apply = (next: Thresholds | null) => {
    if (next === null) window.localStorage.removeItem(SAVED);
    else window.localStorage.setItem(SAVED, JSON.stringify(next));
    const query = new URLSearchParams(
      Object.entries(next ?? {}).map(([name, value]) => [name, String(value)]),
    ).toString();
    navigate(query ? `/dashboard?${query}` : '/dashboard', { replace: true });
  };
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
      <Card title="Thresholds">
        <ThresholdsForm
          key={`${options.nearCapPercent}/${options.stoppedAfterDays}/${options.expiringWithinDays}`}
          applied={options}
          onApply={apply}
        />
      </Card>
      <SectionCard
        id="near-cap"
        title="Licenses near their cap"
        section={nearCap}
        rowKey={(e) => e.licenseId}
        empty={`No license uses ${options.nearCapPercent}% or more of its credentials.`}
        columns={[
          {
            header: 'Customer',
            primary: true,
            cell: (e) => <LicenseLink id={e.licenseId} name={e.customerName} />,
          },
          {
            header: 'In use',
            align: 'num',
            cell: (e) => `${e.inUse.toLocaleString()} / ${e.credentials.toLocaleString()}`,
          },
          { header: 'Share', align: 'num', cell: (e) => `${e.percent}%` },
          { header: 'Plan', cell: (e) => e.plan ?? '—' },
          { header: 'Last check', nowrap: true, cell: (e) => formatTime(e.lastCheckAt) },
        ]}
      />
      <SectionCard
        id="stopped"
        title="Installations whose checks stopped"
        section={stopped}
        rowKey={(e) => e.licenseId}
        empty={`Every running subscription checked in within ${options.stoppedAfterDays} days.`}
        columns={[
          {
            header: 'Customer',
            primary: true,
            cell: (e) => <LicenseLink id={e.licenseId} name={e.customerName} />,
          },
          { header: 'Last check', nowrap: true, cell: (e) => formatTime(e.lastCheckAt) },
          {
            header: 'Silent for',
            align: 'num',
            cell: (e) => `${e.silentDays} day${e.silentDays === 1 ? '' : 's'}`,
          },
          { header: 'Term ends', cell: (e) => formatSeconds(e.termEnd) },
        ]}
      />
      <SectionCard
        id="expiring"
        title="Subscriptions ending soon"
        section={expiring}
        rowKey={(e) => e.licenseId}
        empty={`No subscription ends within ${options.expiringWithinDays} days.`}
        more={
          <Link to={`/licenses?expiringWithinDays=${options.expiringWithinDays}`}>
            See them all on the Licenses list
          </Link>
        }
        columns={[
          {
            header: 'Customer',
            primary: true,
            cell: (e) => <LicenseLink id={e.licenseId} name={e.customerName} />,
          },
          {
            header: 'Term ends',
            nowrap: true,
            cell: (e) => `${formatSeconds(e.termEnd)} (${formatRelative(e.termEnd * 1000, at)})`,
          },
          {
            header: 'In use',
            align: 'num',
            cell: (e) =>
              e.inUse === null
                ? '—'
                : `${e.inUse.toLocaleString()} / ${e.credentials.toLocaleString()}`,
          },
          { header: 'Last check', nowrap: true, cell: (e) => formatTime(e.lastCheckAt) },
        ]}
      />
      <SectionCard
        id="forks"
        title="Open forks"
        section={forks}
        rowKey={(f) => f.id}
        empty="No installation has a copy checking in."
        columns={[
          {
            header: 'License',
            primary: true,
            cell: (f) => <LicenseLink id={f.licenseId} name={f.licenseId} />,
          },
          { header: 'Detected', nowrap: true, cell: (f) => formatTime(f.detectedAt) },
          { header: 'Checks from the copy', align: 'num', cell: (f) => f.divergentChecks },
          { header: 'Fork', cell: (f) => <Mono>{f.id}</Mono> },
        ]}
      />
    </>
  );
}
