// Products and plans: the catalogue licenses are issued from. Each plan shows its terms and
// bounds, and the licenses issued from an older revision of it (a plan change never changes a
// license by itself), each with a Re-issue that sends the current revision at the next check.
// An admin creates, edits, archives and restores products and plans here (the API's catalogue
// routes are the admin's); other roles see the catalogue without those buttons.
import { useState } from 'react';
import { type ApiError, api } from '../api';
import { PlanDialog, ProductDialog } from '../components/catalog-dialogs';
import { Confirm } from '../components/dialog';
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
import type { ListOf, PageOf, Plan, PlanChange, Product, SigningKey } from '../types';
import { useApi } from '../use-api';

type Bound = { value: number; min: number; max: number };
const bound = (b: Bound | null, unit = '') =>
  b === null
    ? '–'
    : b.min === b.max
      ? `${b.value}${unit}`
      : `${b.value}${unit} (${b.min}–${b.max})`;

/**
 * Archive or restore a product or plan, asked in a Confirm. Archiving: no new plan may name the
 * product / nothing new is issued from the plan; licenses already issued keep working.
 */
function StatusAction({
  kind,
  record,
  onDone,
}: {
  kind: 'product' | 'plan';
  record: { id: string; name: string; status: 'active' | 'archived' };
  onDone: () => void;
}) {
  const [open, setOpen] = useState(false);
  const archive = record.status === 'active';
  const action = archive ? 'Archive' : 'Restore';
  return (
    <>
      <Button
        tone={archive ? 'danger' : 'secondary'}
        onClick={() => setOpen(true)}
        aria-label={`${action} ${kind} ${record.name}`}
      >
        {action}
      </Button>
      {/* Mounted while asked only: no closed dialog's text inside the table row. */}
      {open ? (
        <Confirm
          open
          title={`${action} ${kind} ${record.name}?`}
          confirmLabel={`${action} ${kind}`}
          tone={archive ? 'danger' : 'primary'}
          onConfirm={async () => {
            await api.post(
              `/${kind}s/${encodeURIComponent(record.id)}/${archive ? 'archive' : 'restore'}`,
            );
            onDone();
          }}
          onClose={() => setOpen(false)}
        >
          <p>
            {archive
              ? kind === 'product'
                ? 'Plans may no longer name it. Licenses already issued for it keep working; you can restore it later.'
                : 'Nothing new is issued from it. Licenses already issued from it keep what they hold; you can restore it later.'
              : `It can be ${kind === 'product' ? 'named by plans' : 'issued from'} again.`}
          </p>
        </Confirm>
      ) : null}
    </>
  );
}

function PlanCard({
  plan,
  products,
  onChanged,
}: {
  plan: Plan;
  products: Product[];
  onChanged: () => void;
}) {
  const { can } = useSession();
  const [editing, setEditing] = useState(false);
  const detail = useApi(
    () =>
      api.get<{ plan: Plan; affected: PlanChange[]; affectedNextCursor: string | null }>(
        `/plans/${plan.id}`,
      ),
    [plan.id, plan.revision],
  );
  // The affected licenses after the first page, by cursor, appended by "Show more".
  const [more, setMore] = useState<PageOf<PlanChange> | null>(null);
  const nextCursor = more === null ? (detail.data?.affectedNextCursor ?? null) : more.nextCursor;
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const showMore = async () => {
    if (nextCursor === null) return;
    setMoreError(null);
    try {
      const page = await api.get<PageOf<PlanChange>>(`/plans/${plan.id}/affected`, {
        cursor: nextCursor,
      });
      setMore({ items: [...(more?.items ?? []), ...page.items], nextCursor: page.nextCursor });
    } catch (failure) {
      setMoreError(failure as ApiError);
    }
  };
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const reissue = async (licenseId: string) => {
    setBusy(licenseId);
    setError(null);
    try {
      await api.post(`/licenses/${licenseId}/reissue`);
      setMore(null);
      detail.reload();
    } catch (failure) {
      setError(failure as ApiError);
    } finally {
      setBusy(null);
    }
  };
  const names = plan.products.map((id) => products.find((p) => p.id === id)?.name ?? id);
  const days = (d?: number) => (d === undefined ? '' : ` (${d} days)`);
  const affected = [...(detail.data?.affected ?? []), ...(more?.items ?? [])];
  return (
    <Card
      title={
        <>
          {plan.name} <Badge value={`revision ${plan.revision}`} />{' '}
          {plan.status === 'archived' ? <Badge value="archived" tone="warning" /> : null}
        </>
      }
      actions={
        can('admin') ? (
          <>
            <Button onClick={() => setEditing(true)} aria-label={`Edit plan ${plan.name}`}>
              Edit
            </Button>
            <StatusAction kind="plan" record={plan} onDone={onChanged} />
          </>
        ) : null
      }
    >
      {editing ? (
        <PlanDialog
          plan={plan}
          products={products}
          onClose={() => setEditing(false)}
          onSaved={onChanged}
        />
      ) : null}
      <Facts
        label={`Plan ${plan.name}`}
        items={[
          ...(plan.description ? ([['Description', plan.description]] as [string, string][]) : []),
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
      {moreError ? (
        <ErrorMessage error={moreError} title="More licenses could not be loaded" />
      ) : null}
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
          {nextCursor !== null ? (
            <nav className="pager" aria-label={`Pages of the licenses behind ${plan.name}`}>
              <span className="muted">Licenses 1–{affected.length}, oldest revision first</span>
              <Button tone="ghost" onClick={() => void showMore()}>
                Show more
              </Button>
            </nav>
          ) : null}
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
  const { can } = useSession();
  const products = useApi(() => api.get<ListOf<Product>>('/products'), []);
  const plans = useApi(() => api.get<ListOf<Plan>>('/plans'), []);
  const keys = useApi(() => api.get<ListOf<SigningKey>>('/keys'), []);
  /** The dialog open: a new product or plan (null), or the product being edited. */
  const [productDialog, setProductDialog] = useState<Product | null | undefined>(undefined);
  const [newPlan, setNewPlan] = useState(false);
  const admin = can('admin');
  return (
    <>
      <PageHeader
        title="Products and plans"
        subtitle={
          admin
            ? 'What licenses are issued from. A plan change makes a new revision; licenses already issued keep theirs until re-issued.'
            : 'What licenses are issued from. An admin changes them here, with licensor-issuer products and plans, or the API.'
        }
        actions={
          admin ? (
            <>
              <Button onClick={() => setProductDialog(null)}>New product</Button>
              <Button tone="primary" onClick={() => setNewPlan(true)}>
                New plan
              </Button>
            </>
          ) : null
        }
      />
      {productDialog !== undefined ? (
        <ProductDialog
          product={productDialog}
          onClose={() => setProductDialog(undefined)}
          onSaved={() => {
            products.reload();
            plans.reload();
          }}
        />
      ) : null}
      {newPlan ? (
        <PlanDialog
          plan={null}
          products={products.data?.items ?? []}
          onClose={() => setNewPlan(false)}
          onSaved={plans.reload}
        />
      ) : null}
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
              ...(admin
                ? [
                    {
                      header: 'Actions',
                      hideHeader: true,
                      align: 'actions' as const,
                      cell: (product: Product) => (
                        <>
                          <Button
                            onClick={() => setProductDialog(product)}
                            aria-label={`Edit product ${product.name}`}
                          >
                            Edit
                          </Button>{' '}
                          <StatusAction kind="product" record={product} onDone={products.reload} />
                        </>
                      ),
                    },
                  ]
                : []),
            ]}
          />
        </Card>
      ) : null}
      {plans.data && products.data
        ? plans.data.items.map((plan) => (
            <PlanCard
              key={plan.id}
              plan={plan}
              products={products.data?.items ?? []}
              onChanged={plans.reload}
            />
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
