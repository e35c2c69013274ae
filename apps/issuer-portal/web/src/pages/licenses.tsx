// Licenses: search by id or customer, filter by customer, state, model and "expiring soon",
// a page at a time (most recently changed first). Filters and the page live in the address, so
// a filtered list can be bookmarked or shared; changing a filter goes back to the first page.
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { CustomerPicker } from '../components/customer-picker';
import { Table } from '../components/table';
import {
  Badge,
  Card,
  Empty,
  LoadedView,
  Mono,
  PageHeader,
  Select,
  TextInput,
  Time,
} from '../components/ui';
import { formatRelative, formatSeconds } from '../format';
import { Link, useRouter } from '../router';
import type { License, PageOf } from '../types';
import { useApi } from '../use-api';

const FILTERS = [
  'q',
  'customerId',
  'state',
  'model',
  'expiringWithinDays',
  'planId',
  'product',
  'feature',
] as const;
const PAGE_SIZES = [25, 50, 100] as const;
const DEFAULT_PAGE_SIZE = 50;

/** A whole number from the address, or the fallback when it is missing or nonsense. */
function positive(text: string | null, fallback: number): number {
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= 1 ? value : fallback;
}

export function LicensesPage() {
  const { search, navigate } = useRouter();
  const query = Object.fromEntries(FILTERS.map((key) => [key, search.get(key) ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  const size = PAGE_SIZES.find((n) => n === Number(search.get('size'))) ?? DEFAULT_PAGE_SIZE;
  const page = positive(search.get('page'), 1);
  // Next goes by the cursor after the page's last license, Previous by the cursor before its
  // first (every page costs what the first does, however deep); only an address with a page
  // number and no cursor (typed by hand, an old bookmark) is read by offset.
  const after = page > 1 ? (search.get('after') ?? '') : '';
  const before = page > 1 && !after ? (search.get('before') ?? '') : '';
  const [text, setText] = useState(query.q);
  const licenses = useApi(
    () =>
      api.get<PageOf<License> & { prevCursor: string | null }>('/licenses', {
        ...query,
        limit: size,
        ...(after
          ? { cursor: after }
          : before
            ? { before }
            : page > 1
              ? { offset: (page - 1) * size }
              : {}),
      }),
    [search.toString()],
  );
  const shown = licenses.data?.items ?? [];
  const nextCursor = licenses.data?.nextCursor ?? null;
  const prevCursor = licenses.data?.prevCursor ?? null;

  const withParams = (changes: Record<string, string>) => {
    const next = new URLSearchParams(search);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const qs = next.toString();
    return qs ? `/licenses?${qs}` : '/licenses';
  };
  const setFilter = (key: (typeof FILTERS)[number] | 'size', value: string) => {
    navigate(withParams({ [key]: value, page: '', after: '', before: '' }), { replace: true });
  };
  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    setFilter('q', text.trim());
  };
  const filtered = FILTERS.some((key) => query[key]);
  // The export takes the same filters as the list, and streams every match (no paging).
  const exportHref = (format: 'csv' | 'jsonl') => {
    const params = new URLSearchParams({ format });
    for (const key of FILTERS) if (query[key]) params.set(key, query[key]);
    return `/api/v1/licenses/export?${params}`;
  };

  return (
    <>
      <PageHeader
        title="Licenses"
        subtitle="Every license issued, with its state and term."
        actions={
          <>
            <a className="btn btn-ghost" href={exportHref('csv')} download>
              Export CSV
            </a>
            <a className="btn btn-ghost" href={exportHref('jsonl')} download>
              Export JSON lines
            </a>
          </>
        }
      />
      <Card>
        <form className="filters" onSubmit={onSearch} aria-label="Filter licenses">
          <TextInput
            label="Search"
            name="q"
            placeholder="License ID or customer"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onBlur={() => text.trim() !== query.q && setFilter('q', text.trim())}
          />
          <CustomerPicker
            customerId={query.customerId}
            onChange={(id) => setFilter('customerId', id)}
          />
          <Select
            label="State"
            value={query.state}
            onChange={(e) => setFilter('state', e.target.value)}
          >
            <option value="">Any state</option>
            <option value="active">Active</option>
            <option value="suspended">Suspended</option>
            <option value="revoked">Revoked</option>
          </Select>
          <Select
            label="Model"
            value={query.model}
            onChange={(e) => setFilter('model', e.target.value)}
          >
            <option value="">Any model</option>
            <option value="perpetual">Perpetual</option>
            <option value="subscription">Subscription</option>
          </Select>
          <Select
            label="Expiring"
            value={query.expiringWithinDays}
            onChange={(e) => setFilter('expiringWithinDays', e.target.value)}
          >
            <option value="">Any time</option>
            <option value="30">Within 30 days</option>
            <option value="60">Within 60 days</option>
            <option value="90">Within 90 days</option>
          </Select>
          <button type="submit" className="visually-hidden">
            Search
          </button>
        </form>
      </Card>
      <LoadedView state={licenses} what="licenses">
        {() => (
          <>
            {shown.length === 0 && page > 1 ? (
              <Empty title="This page is past the end of the list.">
                <Link to={withParams({ page: '', after: '', before: '' })}>
                  Go to the first page
                </Link>
              </Empty>
            ) : null}
            {shown.length === 0 && page === 1 ? (
              <Empty title={filtered ? 'No license matches these filters.' : 'No licenses yet.'}>
                {filtered ? (
                  <Link to="/licenses">Clear the filters</Link>
                ) : (
                  <p>
                    Licenses appear here once a key is issued on the <Link to="/issue">Issue</Link>{' '}
                    page.
                  </p>
                )}
              </Empty>
            ) : null}
            {shown.length > 0 ? (
              <Card className="card-flush">
                <Table
                  label="Licenses"
                  rows={shown}
                  rowKey={(license) => license.id}
                  columns={[
                    {
                      header: 'License',
                      primary: true,
                      cell: (license) => (
                        <Link to={`/licenses/${license.id}`}>
                          <Mono>{license.id}</Mono>
                        </Link>
                      ),
                    },
                    { header: 'Customer', cell: (license) => license.customerName },
                    { header: 'Model', cell: (license) => license.model },
                    {
                      header: 'Credentials',
                      align: 'num',
                      cell: (license) => license.credentials.toLocaleString(),
                    },
                    { header: 'State', cell: (license) => <Badge value={license.state} /> },
                    {
                      header: 'Term ends',
                      nowrap: true,
                      cell: (license) =>
                        license.state === 'revoked' ? (
                          <span className="muted">revoked</span>
                        ) : license.term ? (
                          <span title={formatRelative(license.term.end * 1000)}>
                            {formatSeconds(license.term.end)}
                          </span>
                        ) : (
                          <span className="muted">—</span>
                        ),
                    },
                    {
                      header: 'Last change',
                      cell: (license) => <Time ms={license.updatedAt} />,
                    },
                  ]}
                />
                <nav className="pager" aria-label="Pages">
                  <span className="muted" aria-live="polite">
                    Licenses {(page - 1) * size + 1}–{(page - 1) * size + shown.length}, most
                    recently changed first
                  </span>
                  <Select
                    label="Per page"
                    value={String(size)}
                    onChange={(e) => setFilter('size', e.target.value)}
                  >
                    {PAGE_SIZES.map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </Select>
                  {page > 1 ? (
                    <Link
                      className="btn"
                      to={
                        page === 2 || prevCursor === null
                          ? withParams({ page: '', after: '', before: '' })
                          : withParams({ page: String(page - 1), after: '', before: prevCursor })
                      }
                    >
                      Previous
                    </Link>
                  ) : null}
                  {nextCursor !== null ? (
                    <Link
                      className="btn"
                      to={withParams({ page: String(page + 1), after: nextCursor, before: '' })}
                    >
                      Next
                    </Link>
                  ) : null}
                </nav>
              </Card>
            ) : null}
          </>
        )}
      </LoadedView>
    </>
  );
}
