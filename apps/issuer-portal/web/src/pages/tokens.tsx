// API tokens, for admins: the list (name, role, expiry, last use), making one (its secret is
// shown once, in a dialog with a Copy button) and revoking one (asked first).
import { useRef, useState } from 'react';
import { api, fieldIssues, fieldsInvalid } from '../api';
import { Confirm, FormDialog } from '../components/dialog';
import { ShownOnce } from '../components/shown-once';
import { Table } from '../components/table';
import {
  Alert,
  Badge,
  Button,
  Card,
  LoadedView,
  Mono,
  PageHeader,
  Select,
  TextInput,
  Time,
} from '../components/ui';
import { useSession } from '../session';
import type { ListOf } from '../types';
import { useApi } from '../use-api';

/** As GET /tokens answers (the server's ApiTokenSchema). */
export interface ApiToken {
  id: string;
  name: string;
  role: 'issuer' | 'viewer';
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

function tokenState(token: ApiToken): { value: string; tone: string } {
  if (token.revokedAt !== null) return { value: 'revoked', tone: 'revoked' };
  if (token.expiresAt !== null && token.expiresAt <= Date.now()) {
    return { value: 'expired', tone: 'expired' };
  }
  return { value: 'active', tone: 'active' };
}

export function TokensPage() {
  const { can } = useSession();
  // The role first: a viewer's page asks the server for nothing it would refuse.
  if (!can('admin')) {
    return (
      <>
        <PageHeader title="API tokens" />
        <Alert tone="info">Managing API tokens needs the admin role.</Alert>
      </>
    );
  }
  return <TokensAdmin />;
}

function TokensAdmin() {
  const tokens = useApi(() => api.get<ListOf<ApiToken>>('/tokens'), []);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  return (
    <>
      <PageHeader
        title="API tokens"
        subtitle="Tokens let other systems (a CRM, billing) use the API with Authorization: Bearer."
        actions={
          <Button tone="primary" onClick={() => setCreating(true)}>
            Create a token
          </Button>
        }
      />
      <LoadedView state={tokens} what="tokens">
        {(tokensData) => (
          <Card className="card-flush">
            <Table
              label="API tokens"
              rows={tokensData.items}
              rowKey={(token) => token.id}
              empty="No API tokens yet."
              columns={[
                { header: 'Name', primary: true, cell: (token) => token.name },
                { header: 'Role', cell: (token) => token.role },
                {
                  header: 'Status',
                  cell: (token) => {
                    const state = tokenState(token);
                    return <Badge value={state.value} tone={state.tone} />;
                  },
                },
                {
                  header: 'Expires',
                  cell: (token) =>
                    token.expiresAt === null ? (
                      <span className="muted">never</span>
                    ) : (
                      <Time ms={token.expiresAt} />
                    ),
                },
                {
                  header: 'Last used',
                  cell: (token) =>
                    token.lastUsedAt === null ? (
                      <span className="muted">never</span>
                    ) : (
                      <Time ms={token.lastUsedAt} />
                    ),
                },
                { header: 'Created by', cell: (token) => token.createdBy },
                {
                  header: 'Actions',
                  hideHeader: true,
                  align: 'actions',
                  cell: (token) =>
                    token.revokedAt === null ? (
                      <Button
                        tone="ghost"
                        aria-label={`Revoke ${token.name}`}
                        onClick={() => setRevoking(token)}
                      >
                        Revoke
                      </Button>
                    ) : null,
                },
              ]}
            />
          </Card>
        )}
      </LoadedView>
      <CreateToken
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => tokens.reload()}
      />
      <Confirm
        open={revoking !== null}
        title={`Revoke the token ${revoking?.name ?? ''}?`}
        confirmLabel="Revoke token"
        tone="danger"
        onConfirm={async () => {
          if (!revoking) return;
          await api.post(`/tokens/${encodeURIComponent(revoking.id)}/revoke`);
          tokens.reload();
        }}
        onClose={() => setRevoking(null)}
      >
        <p>Every request with this token is refused from now on. This cannot be undone.</p>
      </Confirm>
    </>
  );
}

/** The server's rule for a token's name (POST /tokens). */
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;
const TOKEN_NAME_RULE = 'Use 1-64 letters, digits, spaces or . _ @ -';

/** The form in a dialog; on success the same dialog shows the secret, this once. */
function CreateToken({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<'issuer' | 'viewer'>('viewer');
  const [days, setDays] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ token: ApiToken; secret: string } | null>(null);
  // Each close starts a new generation: an answer that arrives after its dialog was closed
  // (the dialog cannot be closed while it is being sent; this guards an unmount or a race) is
  // never shown as the secret of the next one.
  const generation = useRef(0);
  const close = () => {
    generation.current += 1;
    setCreated(null);
    setName('');
    setDays('');
    setRole('viewer');
    setErrors({});
    onClose();
  };
  const submit = async () => {
    const asked = generation.current;
    const expiresInDays = days.trim() === '' ? undefined : Number(days);
    // Checked at the fields, as their hints say, before anything is sent.
    const found: Record<string, string> = {};
    if (!TOKEN_NAME.test(name.trim())) found.name = TOKEN_NAME_RULE;
    if (
      expiresInDays !== undefined &&
      !(Number.isInteger(expiresInDays) && expiresInDays >= 1 && expiresInDays <= 3650)
    ) {
      found.days = 'Enter a whole number from 1 to 3,650 days, or leave it empty.';
    }
    setErrors(found);
    if (Object.keys(found).length > 0) throw fieldsInvalid('below');
    let answer: { token: ApiToken; secret: string };
    try {
      answer = await api.post<{ token: ApiToken; secret: string }>('/tokens', {
        name: name.trim(),
        role,
        ...(expiresInDays === undefined ? {} : { expiresInDays }),
      });
    } catch (failure) {
      const atFields = fieldIssues(failure, { name: 'name', expiresInDays: 'days' });
      if (Object.keys(atFields).length === 0) throw failure;
      setErrors(atFields);
      throw fieldsInvalid('below');
    }
    onCreated();
    if (asked === generation.current) setCreated(answer);
  };
  if (created) {
    return (
      <ShownOnce
        open={open}
        title={`Token ${created.token.name} created`}
        label="Token"
        secret={created.secret}
        copyLabel="Copy token"
        warning="Copy the token now: it is shown this once and stored only as a hash."
        testId="api-token-secret"
        note={
          <p className="muted small">
            Send it as <Mono>Authorization: Bearer &lt;token&gt;</Mono>.
          </p>
        }
        onClose={close}
      />
    );
  }
  return (
    <FormDialog
      open={open}
      title="Create an API token"
      submitLabel="Create token"
      errorTitle="The token was not created"
      onSubmit={submit}
      onClose={close}
    >
      <TextInput
        label="Token name"
        autoComplete="off"
        hint={`What uses it, e.g. CRM sync. ${TOKEN_NAME_RULE}`}
        value={name}
        error={errors.name ?? null}
        onChange={(e) => setName(e.target.value)}
      />
      <Select
        label="Token role"
        value={role}
        onChange={(e) => setRole(e.target.value as 'issuer' | 'viewer')}
      >
        <option value="viewer">Viewer: reads everything</option>
        <option value="issuer">Issuer: issues, revokes, approves</option>
      </Select>
      <TextInput
        label="Expires after (days)"
        type="number"
        min={1}
        max={3650}
        hint="1 to 3,650 days. Leave empty for a token that lasts until revoked."
        value={days}
        error={errors.days ?? null}
        onChange={(e) => setDays(e.target.value)}
      />
    </FormDialog>
  );
}
