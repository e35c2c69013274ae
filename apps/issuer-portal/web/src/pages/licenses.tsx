// Licenses: search by id or customer, filter by customer, state, model and "expiring soon".
// Filters live in the address, so a filtered list can be bookmarked or shared.
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import {
  Badge,
  Card,
  Empty,
  ErrorMessage,
  Loading,
  Mono,
  PageHeader,
  Select,
  TextInput,
} from '../components/ui';
import { formatRelative, formatSeconds, formatTime } from '../format';
import { Link, useRouter } from '../router';
import type { Customer, License, ListOf } from '../types';
import { useApi } from '../use-api';

const FILTERS = ['q', 'customerId', 'state', 'model', 'expiringWithinDays'] as const;
/** The list shows this many; more means the user should narrow the search. */
const PAGE = 200;

export function LicensesPage() {
  const { search, navigate } = useRouter();
  const query = Object.fromEntries(FILTERS.map((key) => [key, search.get(key) ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  const [text, setText] = useState(query.q);
  const licenses = useApi(
    () => api.get<ListOf<License>>('/licenses', { ...query, limit: PAGE }),
    [search.toString()],
  );
  const customers = useApi(() => api.get<ListOf<Customer>>('/customers'), []);

  const setFilter = (key: (typeof FILTERS)[number], value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    const qs = next.toString();
    navigate(qs ? `/licenses?${qs}` : '/licenses', { replace: true });
  };
  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    setFilter('q', text.trim());
  };
  const filtered = FILTERS.some((key) => query[key]);

  return (
    <>
      <PageHeader title="Licenses" subtitle="Every license issued, with its state and term." />
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
          <Select
            label="Customer"
            value={query.customerId}
            onChange={(e) => setFilter('customerId', e.target.value)}
          >
            <option value="">All customers</option>
            {(customers.data?.items ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </Select>
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
            <option value="90">Within 90 days</option>
          </Select>
          <button type="submit" className="visually-hidden">
            Search
          </button>
        </form>
      </Card>
      {licenses.error ? (
        <ErrorMessage error={licenses.error} title="The licenses could not be loaded" />
      ) : null}
      {licenses.loading && !licenses.data ? <Loading label="Loading licenses…" /> : null}
      {licenses.data && licenses.data.items.length === 0 ? (
        <Empty title={filtered ? 'No license matches these filters.' : 'No licenses yet.'}>
          {filtered ? (
            <Link to="/licenses">Clear the filters</Link>
          ) : (
            <p>
              Licenses appear here once a key is issued on the <Link to="/issue">Issue</Link> page.
            </p>
          )}
        </Empty>
      ) : null}
      {licenses.data && licenses.data.items.length >= PAGE ? (
        <p className="muted">
          Showing the {PAGE} licenses changed most recently. Search or filter to find others.
        </p>
      ) : null}
      {licenses.data && licenses.data.items.length > 0 ? (
        <Card className="card-flush">
          <table className="table" aria-label="Licenses">
            <thead>
              <tr>
                <th scope="col">License</th>
                <th scope="col">Customer</th>
                <th scope="col">Model</th>
                <th scope="col" className="num">
                  Credentials
                </th>
                <th scope="col">State</th>
                <th scope="col">Term ends</th>
                <th scope="col">Last change</th>
              </tr>
            </thead>
            <tbody>
              {licenses.data.items.map((license) => (
                <tr key={license.id}>
                  <td>
                    <Link to={`/licenses/${license.id}`}>
                      <Mono>{license.id}</Mono>
                    </Link>
                  </td>
                  <td>{license.customerName}</td>
                  <td>{license.model}</td>
                  <td className="num">{license.credentials.toLocaleString()}</td>
                  <td>
                    <Badge value={license.state} />
                  </td>
                  <td className="nowrap">
                    {license.term ? (
                      <span title={formatRelative(license.term.end * 1000)}>
                        {formatSeconds(license.term.end)}
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="nowrap">{formatTime(license.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
    </>
  );
}
