// Customers, with a link to each one's licenses and a rename for issuers.
import { useState } from 'react';
import { type ApiError, api, fieldIssues, fieldsInvalid } from '../api';
import { Confirm } from '../components/dialog';
import { Table } from '../components/table';
import {
  Button,
  Card,
  Empty,
  ErrorMessage,
  LoadedView,
  Mono,
  PageHeader,
  TextInput,
  Time,
} from '../components/ui';
import { Link } from '../router';
import { useSession } from '../session';
import type { Customer, PageOf } from '../types';
import { useApi } from '../use-api';

export function CustomersPage() {
  const { can } = useSession();
  const customers = useApi(() => api.get<PageOf<Customer>>('/customers'), []);
  // Pages after the first, by cursor, appended by "Show more".
  const [more, setMore] = useState<{ items: Customer[]; nextCursor: string | null } | null>(null);
  const [editing, setEditing] = useState<Customer | null>(null);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const rows = [...(customers.data?.items ?? []), ...(more?.items ?? [])];
  const nextCursor = more === null ? (customers.data?.nextCursor ?? null) : more.nextCursor;

  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const showMore = async () => {
    if (nextCursor === null || loadingMore) return;
    setMoreError(null);
    setLoadingMore(true);
    try {
      const page = await api.get<PageOf<Customer>>('/customers', { cursor: nextCursor });
      setMore({ items: [...(more?.items ?? []), ...page.items], nextCursor: page.nextCursor });
    } catch (failure) {
      setMoreError(failure as ApiError);
    } finally {
      setLoadingMore(false);
    }
  };

  const rename = async () => {
    if (!editing) return;
    // An empty name is refused at the field, as its hint says, before anything is sent.
    if (!name.trim()) {
      setNameError('Enter the customer’s name: 1 to 200 characters.');
      throw fieldsInvalid('above');
    }
    setNameError(null);
    try {
      await api.patch(`/customers/${editing.id}`, { name: name.trim() });
    } catch (failure) {
      const atField = fieldIssues(failure, { name: 'name' });
      if (!atField.name) throw failure;
      setNameError(atField.name);
      throw fieldsInvalid('above');
    }
    setMore(null);
    setMoreError(null);
    customers.reload();
  };

  return (
    <>
      <PageHeader title="Customers" subtitle="Everyone a key has been issued to." />
      <LoadedView state={customers} what="customers">
        {() => (
          <Card className="card-flush">
            <Table
              label="Customers"
              rows={rows}
              rowKey={(customer) => customer.id}
              empty={
                <Empty title="No customers yet.">A customer is created with their first key.</Empty>
              }
              columns={[
                {
                  header: 'Name',
                  primary: true,
                  cell: (customer) => (
                    <Link to={`/licenses?customerId=${customer.id}`}>{customer.name}</Link>
                  ),
                },
                { header: 'Customer ID', cell: (customer) => <Mono>{customer.id}</Mono> },
                { header: 'Since', cell: (customer) => <Time ms={customer.createdAt} /> },
                {
                  header: 'Last change',
                  cell: (customer) => <Time ms={customer.updatedAt} />,
                },
                {
                  header: 'Actions',
                  hideHeader: true,
                  align: 'actions',
                  cell: (customer) =>
                    can('issuer') ? (
                      <Button
                        tone="ghost"
                        onClick={() => {
                          setName(customer.name);
                          setEditing(customer);
                        }}
                      >
                        Rename
                      </Button>
                    ) : null,
                },
              ]}
            />
            {moreError ? (
              <ErrorMessage error={moreError} title="More customers could not be loaded" />
            ) : null}
            {nextCursor !== null ? (
              <nav className="pager" aria-label="Pages">
                <span className="muted">Customers 1–{rows.length}, by name</span>
                <Button tone="ghost" busy={loadingMore} onClick={() => void showMore()}>
                  Show more
                </Button>
              </nav>
            ) : null}
          </Card>
        )}
      </LoadedView>
      <Confirm
        open={editing !== null}
        title="Rename customer"
        confirmLabel="Rename"
        onConfirm={rename}
        onClose={() => {
          setEditing(null);
          setNameError(null);
        }}
      >
        <TextInput
          label="Name"
          value={name}
          error={nameError}
          onChange={(e) => setName(e.target.value)}
          hint="1 to 200 characters. This renames the customer in your records only. Licenses and keys already issued keep the old name, and the CMS keeps showing it, until a new key is issued for that license (a renewal, an approved request, a new challenge)."
        />
      </Confirm>
    </>
  );
}
