// Products and plans: the catalogue licenses are issued from. Each plan shows its terms and
// bounds, and the licenses issued from an older revision of it (a plan change never changes a
// license by itself), each with a Re-issue that sends the current revision at the next check.
import { useState } from 'react';
import { type ApiError, api } from '../api';
import {
  Badge,
  Button,
  Card,
  Empty,
  ErrorMessage,
  Loading,
  Mono,
  PageHeader,
} from '../components/ui';
import { Link } from '../router';
import { useSession } from '../session';
import type { ListOf, Plan, PlanChange, Product } from '../types';
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
      <table className="table" aria-label={`Plan ${plan.name}`}>
        <tbody>
          <tr>
            <th scope="row">Products</th>
            <td>{names.join(', ') || 'any product'}</td>
          </tr>
          <tr>
            <th scope="row">Model</th>
            <td>{plan.model}</td>
          </tr>
          <tr>
            <th scope="row">Credentials</th>
            <td>{bound(plan.credentials)}</td>
          </tr>
          {plan.model === 'subscription' ? (
            <tr>
              <th scope="row">Term</th>
              <td>
                {bound(plan.termDays, ' days')}, grace {bound(plan.graceDays, ' days')}
                {plan.renewalDays === null ? '' : `, renewals ${plan.renewalDays} days`}
              </td>
            </tr>
          ) : null}
          <tr>
            <th scope="row">Features</th>
            <td>{plan.features.map((f) => f.name + days(f.days)).join(', ') || '–'}</td>
          </tr>
          <tr>
            <th scope="row">Add-ons</th>
            <td>{plan.addOns.map((f) => f.name + days(f.days)).join(', ') || '–'}</td>
          </tr>
          <tr>
            <th scope="row">Limits</th>
            <td>{plan.limits.map((l) => `${l.name} ${bound(l)}`).join(', ') || '–'}</td>
          </tr>
        </tbody>
      </table>
      <p>
        <Link to={`/licenses?planId=${plan.id}`}>Licenses of this plan</Link>
      </p>
      {error ? <ErrorMessage error={error} title="The license could not be re-issued" /> : null}
      {affected.length > 0 ? (
        <>
          <h3>Issued from an older revision</h3>
          <p>These licenses keep what they were issued until you re-issue them.</p>
          <table className="table" aria-label={`Licenses behind ${plan.name}`}>
            <thead>
              <tr>
                <th scope="col">License</th>
                <th scope="col">Customer</th>
                <th scope="col">From revision</th>
                <th scope="col">A re-issue changes</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {affected.map((change) => (
                <tr key={change.licenseId}>
                  <td>
                    <Link to={`/licenses/${change.licenseId}`}>
                      <Mono>{change.licenseId}</Mono>
                    </Link>
                  </td>
                  <td>{change.customerName}</td>
                  <td>{change.issuedFromRevision}</td>
                  <td>{change.changes.join('; ') || 'nothing in its entitlements'}</td>
                  <td className="actions">
                    {can('issuer') ? (
                      <Button onClick={() => reissue(change.licenseId)} disabled={busy !== null}>
                        {busy === change.licenseId ? 'Re-issuing…' : 'Re-issue'}
                      </Button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </Card>
  );
}

export function PlansPage() {
  const products = useApi(() => api.get<ListOf<Product>>('/products'), []);
  const plans = useApi(() => api.get<ListOf<Plan>>('/plans'), []);
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
          {products.data.items.length === 0 ? (
            <Empty title="No products yet." />
          ) : (
            <table className="table" aria-label="Products">
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col">Versions covered</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {products.data.items.map((product) => (
                  <tr key={product.id}>
                    <td>
                      <Link to={`/licenses?product=${encodeURIComponent(product.name)}`}>
                        {product.name}
                      </Link>
                    </td>
                    <td>{product.versions?.join(', ') ?? 'every version'}</td>
                    <td>{product.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
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
