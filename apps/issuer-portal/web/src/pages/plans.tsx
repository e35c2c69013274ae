// Products and plans: the catalogue licenses are issued from. Each plan shows its terms and
// bounds, and the licenses issued from an older revision of it (a plan change never changes a
// license by itself), each with a Re-issue that sends the current revision at the next check.
import { useState } from 'react';
import { type ApiError, api } from '../api';
import { PlanForkPolicy } from '../components/fork-controls';
import { Table } from '../components/table';
import {
  Badge,
  Button,
  Card,
  Empty,
  ErrorMessage,
  Facts,
  Loading,
  Mono,
  PageHeader,
} from '../components/ui';
import { Link } from '../router';
import { useSession } from '../session';
import type { ListOf, Plan, PlanChange, Product, SigningKey } from '../types';
import { useApi } from '../use-api';

type Bound = { value: number; min: number; max: number };
const bound = (b: Bound | null, unit = '') =>
  b === null
    ? '–'
    : b.min === b.max
      ? `${b.value}${unit}`
      : `${b.value}${unit} (${b.min}–${b.max})`;

function PlanCard({ plan, products }: { plan: Plan; products: Product[] }) {
  const { can } = useSession();
  const detail = useApi(
    () => api.get<{ plan: Plan; affected: PlanChange[] }>(`/plans/${plan.id}`),
    [plan.id, plan.revision],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const reissue = async (licenseId: string) => {
    setBusy(licenseId);
    setError(null);
    try {
      await api.post(`/licenses/${licenseId}/reissue`);
      detail.reload();
    } catch (failure) {
      setError(failure as ApiError);
    } finally {
      setBusy(null);
    }
  };
  const names = plan.products.map((id) => products.find((p) => p.id === id)?.name ?? id);
  const days = (d?: number) => (d === undefined ? '' : ` (${d} days)`);
  const affected = detail.data?.affected ?? [];
  return (
    <Card
      title={
        <>
          {plan.name} <Badge value={`revision ${plan.revision}`} />{' '}
          {plan.status === 'archived' ? <Badge value="archived" tone="warning" /> : null}
        </>
      }
    >
      <Facts
        label={`Plan ${plan.name}`}
        items={[
          ['Products', names.join(', ') || 'any product'],
          ['Model', plan.model],
          ['Credentials', bound(plan.credentials)],
          ...(plan.model === 'subscription'
            ? ([
                [
                  'Term',
                  `${bound(plan.termDays, ' days')}, grace ${bound(plan.graceDays, ' days')}${renewalText(
                    plan,
                  )}`,
                ],
              ] as [string, string][])
            : []),
          ['Features', plan.features.map((f) => f.name + days(f.days)).join(', ') || '–'],
          ['Add-ons', plan.addOns.map((f) => f.name + days(f.days)).join(', ') || '–'],
          ['Limits', plan.limits.map((l) => `${l.name} ${bound(l)}`).join(', ') || '–'],
        ]}
      />
      <PlanForkPolicy planId={plan.id} planName={plan.name} />
      <p>
        <Link to={`/licenses?planId=${plan.id}`}>Licenses of this plan</Link>
      </p>
      {error ? <ErrorMessage error={error} title="The license could not be re-issued" /> : null}
      {affected.length > 0 ? (
        <>
          <h3>Issued from an older revision</h3>
          <p>These licenses keep what they were issued until you re-issue them.</p>
          <Table
            label={`Licenses behind ${plan.name}`}
            rows={affected}
            rowKey={(change) => change.licenseId}
            columns={[
              {
                header: 'License',
                primary: true,
                cell: (change) => (
                  <Link to={`/licenses/${change.licenseId}`}>
                    <Mono>{change.licenseId}</Mono>
                  </Link>
                ),
              },
              { header: 'Customer', cell: (change) => change.customerName },
              { header: 'From revision', cell: (change) => change.issuedFromRevision },
              {
                header: 'A re-issue changes',
                cell: (change) => change.changes.join('; ') || 'nothing in its entitlements',
              },
              {
                header: 'Actions',
                hideHeader: true,
                align: 'actions',
                cell: (change) =>
                  can('issuer') ? (
                    <Button onClick={() => reissue(change.licenseId)} disabled={busy !== null}>
                      {busy === change.licenseId ? 'Re-issuing…' : 'Re-issue'}
                    </Button>
                  ) : null,
              },
            ]}
          />
        </>
      ) : null}
    </Card>
  );
}

/**
 * A product's own license keys (#12.1): their states, and for an admin a new (next) key. It is
 * activated on the Signing keys page, like any key.
 */
function ProductKeys({
  product,
  keys,
  reload,
}: {
  product: Product;
  keys: SigningKey[];
  reload: () => void;
}) {
  const { can } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const own = keys.filter((key) => key.product === product.id && key.status !== 'revoked');
  const rotate = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.post<SigningKey>('/keys/rotate', { purpose: 'license', product: product.id });
      reload();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="product-keys">
      {own.length === 0 ? (
        <span>the vendor's keys</span>
      ) : (
        own.map((key) => (
          <span key={key.kid}>
            <Mono title={key.kid}>{key.kid.slice(0, 12)}…</Mono>{' '}
            <Badge value={key.status} tone="neutral" />{' '}
          </span>
        ))
      )}
      {can('admin') && !own.some((key) => key.status === 'next') ? (
        <>
          {' '}
          <Button
            onClick={rotate}
            disabled={busy}
            aria-label={`New signing key for ${product.name}`}
          >
            New key
          </Button>
        </>
      ) : null}
      {own.some((key) => key.status === 'next') ? (
        <>
          {' '}
          <Link to="/keys">Activate on Signing keys</Link>
        </>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </div>
  );
}

export function PlansPage() {
  const products = useApi(() => api.get<ListOf<Product>>('/products'), []);
  const plans = useApi(() => api.get<ListOf<Plan>>('/plans'), []);
  const keys = useApi(() => api.get<ListOf<SigningKey>>('/keys'), []);
  return (
    <>
      <PageHeader
        title="Products and plans"
        subtitle="What licenses are issued from. Change them with licensor-issuer products and plans, or the API."
      />
      {products.error ? <ErrorMessage error={products.error} /> : null}
      {plans.error ? <ErrorMessage error={plans.error} /> : null}
      {(products.loading && !products.data) || (plans.loading && !plans.data) ? (
        <Loading label="Loading the catalogue…" />
      ) : null}
      {products.data ? (
        <Card title="Products" className="card-flush">
          <Table
            label="Products"
            rows={products.data.items}
            rowKey={(product) => product.id}
            empty="No products yet."
            columns={[
              {
                header: 'Product',
                primary: true,
                cell: (product) => (
                  <Link to={`/licenses?product=${encodeURIComponent(product.name)}`}>
                    {product.name}
                  </Link>
                ),
              },
              {
                header: 'Versions covered',
                cell: (product) => product.versions?.join(', ') ?? 'every version',
              },
              { header: 'Status', cell: (product) => product.status },
              {
                header: 'Signing keys',
                cell: (product) => (
                  <ProductKeys
                    product={product}
                    keys={keys.data?.items ?? []}
                    reload={keys.reload}
                  />
                ),
              },
            ]}
          />
        </Card>
      ) : null}
      {plans.data && products.data
        ? plans.data.items.map((plan) => (
            <PlanCard key={plan.id} plan={plan} products={products.data?.items ?? []} />
          ))
        : null}
      {plans.data && plans.data.items.length === 0 ? <Empty title="No plans yet." /> : null}
    </>
  );
}

/** The plan's renewal policy: `, renewals 365 days, grace 21 days, from 60 days before the end`. */
function renewalText(plan: Plan): string {
  const parts: string[] = [];
  if (plan.renewalDays !== null) parts.push(`${plan.renewalDays} days`);
  if (plan.renewalGraceDays !== null) parts.push(`grace ${plan.renewalGraceDays} days`);
  if (plan.renewalWindowDays !== null) {
    parts.push(`from ${plan.renewalWindowDays} days before the end`);
  }
  if (plan.autoRenew === true) parts.push('automatic');
  return parts.length === 0 ? '' : `, renewals ${parts.join(', ')}`;
}
