// Signing keys through their states (next, active, retired, revoked): rotation makes a next key
// that installations trust before it signs, activation switches signing to it, revocation drops
// a key from trust and says which licenses still depend on it. Each key shows what it signed,
// and the key set versions how many installations have picked up (#11).
import { useState } from 'react';
import { api } from '../api';
import { Confirm } from '../components/dialog';
import { type Column, Table } from '../components/table';
import {
  Alert,
  Badge,
  Button,
  Card,
  Empty,
  LoadedView,
  Mono,
  PageHeader,
  Time,
} from '../components/ui';
import { useSession } from '../session';
import type { KeyActivation, KeyRevocation, KeyUsage, ListOf, Product, SigningKey } from '../types';
import { useApi } from '../use-api';

type Pending =
  | { kind: 'rotate'; purpose: 'license' | 'status' }
  | { kind: 'activate'; key: SigningKey }
  | { kind: 'revoke'; key: SigningKey };

const TITLES: Record<Pending['kind'], string> = {
  rotate: 'Rotate',
  activate: 'Activate',
  revoke: 'Revoke',
};

const TONES: Record<SigningKey['status'], string> = {
  next: 'neutral',
  active: 'active',
  retired: 'suspended',
  revoked: 'revoked',
};

export function KeysPage() {
  const { can } = useSession();
  const keys = useApi(() => api.get<ListOf<SigningKey>>('/keys'), []);
  const usage = useApi(() => api.get<KeyUsage>('/keys/usage'), []);
  // A product's own license key signs the licenses of that product alone (#12.1): named here.
  const products = useApi(() => api.get<ListOf<Product>>('/products'), []);
  const productNames = new Map(products.data?.items.map((product) => [product.id, product.name]));
  const signed = new Map(usage.data?.keys.map((key) => [key.kid, key]) ?? []);
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [revocation, setRevocation] = useState<KeyRevocation | null>(null);

  const run = async () => {
    if (!pending) return;
    setRevocation(null);
    if (pending.kind === 'rotate') {
      const key = await api.post<SigningKey>('/keys/rotate', { purpose: pending.purpose });
      setNotice(
        `New ${key.purpose} key ${key.kid} is next: it is in the signed key set, which installations pick up at their next check. Activate it when they have.`,
      );
    } else if (pending.kind === 'activate') {
      const key = await api.post<KeyActivation>(`/keys/${pending.key.kid}/activate`, {});
      const licenses = `${key.resigned} license${key.resigned === 1 ? '' : 's'}`;
      const resigned = key.purpose === 'license' ? ` Re-signed ${licenses}.` : '';
      setNotice(
        key.alreadyActive
          ? key.resigned > 0
            ? `Key ${key.kid} was already active: re-signed ${licenses} the retired key still signed.`
            : `Key ${key.kid} was already active: nothing was left to do.`
          : `Key ${key.kid} signs from now on; the key it replaces is retired and stays trusted for what it signed.${resigned}`,
      );
    } else {
      const answer = await api.post<KeyRevocation>(`/keys/${pending.key.kid}/revoke`, {});
      setRevocation(answer);
      setNotice(`Key ${pending.key.kid} is revoked: the next key set drops it.`);
    }
    keys.reload();
    usage.reload();
  };

  const columns: Column<SigningKey>[] = [
    {
      header: 'Key ID',
      primary: true,
      className: 'cell-wrap',
      cell: (key) => <Mono title={key.kid}>{key.kid}</Mono>,
    },
    {
      header: 'Purpose',
      // A product's own license key is named with its product; the vendor's keys sign for all.
      cell: (key) =>
        key.product === undefined
          ? key.purpose
          : `${key.purpose}, ${productNames.get(key.product) ?? key.product} only`,
    },
    { header: 'State', cell: (key) => <Badge value={key.status} tone={TONES[key.status]} /> },
    { header: 'Private key', cell: (key) => protectionLabel(key) },
    {
      header: 'Signed',
      align: 'num',
      cell: (key) => signedLabel(key, signed.get(key.kid)),
    },
    { header: 'Created', cell: (key) => <Time ms={key.createdAt} /> },
    { header: 'Activated', cell: (key) => <Time ms={key.activatedAt} /> },
    { header: 'Retired', cell: (key) => <Time ms={key.retiredAt} /> },
    { header: 'Revoked', cell: (key) => <Time ms={key.revokedAt} /> },
    {
      header: 'Actions',
      hideHeader: true,
      align: 'actions',
      cell: (key) => (
        <>
          {can('admin') && key.status === 'next' ? (
            <Button tone="ghost" onClick={() => setPending({ kind: 'activate', key })}>
              Activate
            </Button>
          ) : null}
          {can('admin') && (key.status === 'next' || key.status === 'retired') ? (
            <Button tone="ghost" onClick={() => setPending({ kind: 'revoke', key })}>
              Revoke
            </Button>
          ) : null}
        </>
      ),
    },
  ];

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
      <LoadedView state={keys} what="keys">
        {(list) => (
          <Card className="card-flush">
            <Table
              label="Signing keys"
              rows={list.items}
              rowKey={(key) => key.kid}
              columns={columns}
              empty={
                <Empty title="No signing keys.">
                  Run <code>licensor-issuer init</code> to create them.
                </Empty>
              }
            />
          </Card>
        )}
      </LoadedView>
      {usage.data ? <KeysetTrust usage={usage.data} /> : null}
      {revocation ? <Dependents revocation={revocation} /> : null}
      <Confirm
        open={pending !== null}
        title={
          pending?.kind === 'rotate'
            ? `Rotate the ${pending.purpose} key?`
            : `${pending ? TITLES[pending.kind] : ''} this key?`
        }
        confirmLabel={pending ? TITLES[pending.kind] : ''}
        tone={pending?.kind === 'revoke' ? 'danger' : 'primary'}
        onConfirm={run}
        onClose={() => setPending(null)}
      >
        {pending?.kind === 'rotate' ? (
          <p>
            A new next key is published in the signed key set and trusted by every installation that
            picks the set up; it signs nothing until you activate it.
          </p>
        ) : null}
        {pending?.kind === 'activate' ? (
          <p>
            <Mono>{pending.key.kid}</Mono> signs from now on. The key it replaces is retired: it
            signs nothing more and stays trusted for what it signed.
            {pending.key.purpose === 'license'
              ? ' Every license in force is re-signed with it and reaches online installations at their next check.'
              : ''}
          </p>
        ) : null}
        {pending?.kind === 'activate' && pending.key.purpose === 'license' ? (
          <ActivationTrust usage={usage.data} kid={pending.key.kid} />
        ) : null}
        {pending?.kind === 'revoke' ? (
          <p>
            <Mono>{pending.key.kid}</Mono> is trusted by nobody once installations pick up the next
            key set. Tokens it signed stop working there: you will see which licenses still depend
            on it.
          </p>
        ) : null}
      </Confirm>
    </>
  );
}

/** Where the private half is: sealed in the store, a plain file, or in an HSM (never here). */
function protectionLabel(key: SigningKey): string {
  if (key.protection === 'pkcs11') return `In HSM token ${key.hsm?.token ?? '?'}`;
  return key.protection === 'encrypted' ? 'Encrypted in the store' : 'File (0600)';
}

/** License tokens a license key signed, and how many licenses; a status key signs statuses. */
function signedLabel(key: SigningKey, counted: KeyUsage['keys'][number] | undefined): string {
  if (key.purpose === 'status') return 'statuses';
  if (counted === undefined) return '…';
  const licenses = `${counted.licenses} license${counted.licenses === 1 ? '' : 's'}`;
  return `${counted.tokens} token${counted.tokens === 1 ? '' : 's'} (${licenses})`;
}

/**
 * In the Activate dialog: how many reporting installations trust a key set that holds the key
 * (the first version published once it was made, and every later one), and what the others do
 * with a key it signs.
 */
function ActivationTrust({ usage, kid }: { usage: KeyUsage | null; kid: string }) {
  if (!usage) return <p className="muted">Counting the installations that trust it…</p>;
  const key = usage.keys.find((k) => k.kid === kid);
  const first = usage.keysets.find(
    (set) => set.seq > 0 && set.publishedAt !== null && key && set.publishedAt >= key.createdAt,
  );
  const from = first?.seq ?? usage.newestKeyset;
  const trusting = usage.keysets
    .filter((set) => set.seq >= from)
    .reduce((sum, set) => sum + set.installations, 0);
  const all = usage.installationsReporting;
  return (
    <Alert tone={trusting < all ? 'warning' : 'info'} title="Who trusts it yet">
      <p>
        {trusting} of {all} reporting installations trust the key set with this key (version {from}{' '}
        or later). Installations that do not refuse a key it signs (<Mono>ERR_KID_UNKNOWN</Mono>)
        until their next online check picks up the key set, unless the key is applied with the key
        sets (the CMS’s Upgrade).
      </p>
    </Alert>
  );
}

/** How many installations trust each key set version: who has picked up the new keys. */
function KeysetTrust({ usage }: { usage: KeyUsage }) {
  const rows = [...usage.keysets].reverse();
  return (
    <Card title="Installations per key set version">
      <p className="muted">
        {usage.installationsOnNewest} of {usage.installationsReporting} reporting installations
        trust the newest version ({usage.newestKeyset}), as their newest online check or challenge
        said. Installations with an SDK of format 1 report nothing and are not counted.
      </p>
      <Table
        label="Installations per key set version"
        rows={rows}
        rowKey={(row) => String(row.seq)}
        columns={[
          {
            header: 'Version',
            primary: true,
            cell: (row) =>
              row.seq === 0
                ? '0 (keys shipped with the product)'
                : `${row.seq}${row.seq === usage.newestKeyset ? ' (newest)' : ''}`,
          },
          { header: 'Published', cell: (row) => <Time ms={row.publishedAt} /> },
          { header: 'Installations', align: 'num', cell: (row) => String(row.installations) },
        ]}
      />
    </Card>
  );
}

function Dependents({ revocation }: { revocation: KeyRevocation }) {
  if (revocation.dependents.length === 0) {
    return <Alert tone="success">No license depends on the revoked key.</Alert>;
  }
  return (
    <Card
      title="Licenses that may still hold a token the revoked key signed"
      className="card-flush"
    >
      <Table
        label="Licenses that depend on the revoked key"
        rows={revocation.dependents}
        rowKey={(dependent) => dependent.licenseId}
        columns={[
          {
            header: 'License',
            primary: true,
            cell: (dependent) => (
              <a href={`/licenses/${encodeURIComponent(dependent.licenseId)}`}>
                <Mono>{dependent.licenseId}</Mono>
              </a>
            ),
          },
          { header: 'Customer', cell: (dependent) => dependent.customerName },
          {
            header: 'Last check',
            cell: (dependent) => <Time ms={dependent.lastCheckAt} />,
          },
          {
            header: 'How it gets a new key',
            cell: (dependent) =>
              dependent.remedy === 'online'
                ? 'It checks online but has not reported holding the newer key: Verify License there by a System Administrator applies it (a scheduled verify does not).'
                : 'The customer sends a challenge (Options - License - Get challenge); issue it.',
          },
        ]}
      />
    </Card>
  );
}
