// Customers, with a link to each one's licenses and a rename for issuers.
import { useState } from 'react';
import { type ApiError, api } from '../api';
import { Dialog } from '../components/dialog';
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
import { Link } from '../router';
import { useSession } from '../session';
import type { Customer, ListOf } from '../types';
import { useApi } from '../use-api';

export function CustomersPage() {
  const { can } = useSession();
  const customers = useApi(() => api.get<ListOf<Customer>>('/customers'), []);
  const [editing, setEditing] = useState<Customer | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const rename = async () => {
    if (!editing) return;
    setBusy(true);
    setError(null);
    try {
      await api.patch(`/customers/${editing.id}`, { name });
      setEditing(null);
      customers.reload();
    } catch (failure) {
      setError(failure as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="Customers" subtitle="Everyone a key has been issued to." />
      {customers.error ? (
        <ErrorMessage error={customers.error} title="The customers could not be loaded" />
      ) : null}
      {customers.loading && !customers.data ? <Loading label="Loading customers…" /> : null}
      {customers.data && customers.data.items.length === 0 ? (
        <Empty title="No customers yet.">A customer is created with their first key.</Empty>
      ) : null}
      {customers.data && customers.data.items.length > 0 ? (
        <Card className="card-flush">
          <table className="table" aria-label="Customers">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Customer ID</th>
                <th scope="col">Since</th>
                <th scope="col">Last change</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {customers.data.items.map((customer) => (
                <tr key={customer.id}>
                  <td>
                    <Link to={`/licenses?customerId=${customer.id}`}>{customer.name}</Link>
                  </td>
                  <td>
                    <Mono>{customer.id}</Mono>
                  </td>
                  <td className="nowrap">{formatTime(customer.createdAt)}</td>
                  <td className="nowrap">{formatTime(customer.updatedAt)}</td>
                  <td className="actions">
                    {can('issuer') ? (
                      <Button
                        tone="ghost"
                        onClick={() => {
                          setName(customer.name);
                          setError(null);
                          setEditing(customer);
                        }}
                      >
                        Rename
                      </Button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      <Dialog
        open={editing !== null}
        title="Rename customer"
        confirmLabel="Rename"
        busy={busy}
        onConfirm={rename}
        onClose={() => setEditing(null)}
      >
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          hint="This renames the customer in your records only. Licenses and keys already issued keep the old name, and the CMS keeps showing it, until a new key is issued for that license (a renewal, an approved request, a new challenge)."
        />
        {error ? <ErrorMessage error={error} /> : null}
      </Dialog>
    </>
  );
}
