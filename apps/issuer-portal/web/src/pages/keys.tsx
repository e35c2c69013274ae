// Signing keys: which key signs licenses and which signs check answers, rotation, retirement,
// and the JWKS every SDK must trust.
import { useState } from 'react';
import { type ApiError, api } from '../api';
import { Dialog } from '../components/dialog';
import {
  Alert,
  Badge,
  Button,
  Card,
  Empty,
  ErrorMessage,
  Loading,
  Mono,
  PageHeader,
} from '../components/ui';
import { formatTime } from '../format';
import { useSession } from '../session';
import type { ListOf, SigningKey } from '../types';
import { useApi } from '../use-api';

type Pending =
  | { kind: 'rotate'; purpose: 'license' | 'status' }
  | { kind: 'retire'; key: SigningKey };

export function KeysPage() {
  const { can } = useSession();
  const keys = useApi(() => api.get<ListOf<SigningKey>>('/keys'), []);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const run = async () => {
    if (!pending) return;
    setBusy(true);
    setError(null);
    try {
      if (pending.kind === 'rotate') {
        const key = await api.post<SigningKey>('/keys/rotate', { purpose: pending.purpose });
        setNotice(
          `New ${key.purpose} key ${key.kid} is active. Download the JWKS and give it to customers before retiring the old key.`,
        );
      } else {
        await api.post(`/keys/${pending.key.kid}/retire`, {});
        setNotice(`Key ${pending.key.kid} is retired.`);
      }
      setPending(null);
      keys.reload();
    } catch (failure) {
      setError(failure as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Signing keys"
        subtitle="License-purpose keys sign license keys; status-purpose keys sign online check answers."
        actions={
          <>
            <a
              className="btn btn-secondary"
              href="/api/v1/keys/jwks?download=true"
              download="licensor-jwks.json"
            >
              Download JWKS
            </a>
            {can('admin') ? (
              <>
                <Button onClick={() => setPending({ kind: 'rotate', purpose: 'license' })}>
                  Rotate license key
                </Button>
                <Button onClick={() => setPending({ kind: 'rotate', purpose: 'status' })}>
                  Rotate status key
                </Button>
              </>
            ) : null}
          </>
        }
      />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {keys.error ? <ErrorMessage error={keys.error} title="The keys could not be loaded" /> : null}
      {keys.loading && !keys.data ? <Loading label="Loading keys…" /> : null}
      {keys.data && keys.data.items.length === 0 ? (
        <Empty title="No signing keys.">
          Run <code>licensor-issuer init</code> to create them.
        </Empty>
      ) : null}
      {keys.data && keys.data.items.length > 0 ? (
        <Card className="card-flush">
          <table className="table" aria-label="Signing keys">
            <thead>
              <tr>
                <th scope="col">Key ID</th>
                <th scope="col">Purpose</th>
                <th scope="col">Status</th>
                <th scope="col">Private key</th>
                <th scope="col">Created</th>
                <th scope="col">Retired</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <tr key={key.kid}>
                  <td>
                    <Mono title={key.kid}>{key.kid}</Mono>
                  </td>
                  <td>{key.purpose}</td>
                  <td>
                    <Badge
                      value={key.status}
                      tone={
                        key.status === 'active'
                          ? 'active'
                          : key.status === 'retired'
                            ? 'revoked'
                            : 'neutral'
                      }
                    />
                  </td>
                  <td>{protectionLabel(key)}</td>
                  <td className="nowrap">{formatTime(key.createdAt)}</td>
                  <td className="nowrap">{formatTime(key.retiredAt)}</td>
                  <td className="actions">
                    {can('admin') && key.status === 'inactive' ? (
                      <Button tone="ghost" onClick={() => setPending({ kind: 'retire', key })}>
                        Retire
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
        open={pending !== null}
        title={
          pending?.kind === 'rotate' ? `Rotate the ${pending.purpose} key?` : 'Retire this key?'
        }
        confirmLabel={pending?.kind === 'rotate' ? 'Rotate' : 'Retire'}
        tone={pending?.kind === 'retire' ? 'danger' : 'primary'}
        busy={busy}
        onConfirm={run}
        onClose={() => setPending(null)}
      >
        {pending?.kind === 'rotate' ? (
          <p>A new key becomes the active one. The old key stays trusted until you retire it.</p>
        ) : (
          <p>
            {pending?.kind === 'retire' ? <Mono>{pending.key.kid}</Mono> : null} signs nothing more
            and leaves the JWKS. Installations that still trust only this key will refuse new tokens
            from it.
          </p>
        )}
        {error ? <ErrorMessage error={error} /> : null}
      </Dialog>
    </>
  );
}

/** Where the private half is: sealed in the store, a plain file, or in an HSM (never here). */
function protectionLabel(key: SigningKey): string {
  if (key.protection === 'pkcs11') return `In HSM token ${key.hsm?.token ?? '?'}`;
  return key.protection === 'encrypted' ? 'Encrypted in the store' : 'File (0600)';
}
