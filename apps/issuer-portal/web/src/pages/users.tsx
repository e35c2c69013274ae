// Vendor users, for admins: add one, change a role (choose it, then Save: arrowing through the
// select changes nothing), disable or enable, set another user's password (your own is changed
// under Change password, which asks for the current one).
import { type FormEvent, useState } from 'react';
import { type ApiError, api, fieldIssues } from '../api';
import { Confirm } from '../components/dialog';
import { Table } from '../components/table';
import {
  Alert,
  Badge,
  Button,
  Card,
  ErrorMessage,
  LoadedView,
  PageHeader,
  Select,
  TextInput,
  Time,
} from '../components/ui';
import { passwordProblem } from '../passwords';
import { useSession } from '../session';
import type { ListOf, Role, User } from '../types';
import { useAction, useApi } from '../use-api';

export function UsersPage() {
  const { can } = useSession();
  // The role first: a viewer's page asks the server for nothing it would refuse.
  if (!can('admin')) {
    return (
      <>
        <PageHeader title="Users" />
        <Alert tone="info">Managing users needs the admin role.</Alert>
      </>
    );
  }
  return <UsersAdmin />;
}

function UsersAdmin() {
  const { info } = useSession();
  const users = useApi(() => api.get<ListOf<User>>('/users'), []);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /** Disabling or enabling a user, asked first in the Confirm dialog. */
  const [toggling, setToggling] = useState<User | null>(null);
  /** Resolves true once the server took the change; a refusal is shown above the table. */
  const update = async (user: User, patch: { role?: Role; disabled?: boolean }) => {
    setError(null);
    setNotice(null);
    try {
      await api.patch(`/users/${encodeURIComponent(user.name)}`, patch);
      users.reload();
      if (patch.role) setNotice(`${user.name} is now ${patch.role}.`);
      return true;
    } catch (failure) {
      setError(failure as ApiError);
      return false;
    }
  };
  return (
    <>
      <PageHeader title="Users" subtitle="Who may use the portal, and with which role." />
      <div className="grid-2 grid-wide-left">
        <div>
          {notice ? <Alert tone="success">{notice}</Alert> : null}
          {error ? <ErrorMessage error={error} /> : null}
          <LoadedView state={users} what="users">
            {(usersData) => (
              <Card className="card-flush">
                <Table
                  label="Users"
                  rows={usersData.items}
                  rowKey={(user) => user.id}
                  empty="No users."
                  columns={[
                    {
                      header: 'Name',
                      primary: true,
                      cell: (user) => (
                        <>
                          {user.name}
                          {user.name === info?.user.name ? (
                            <span className="muted"> (you)</span>
                          ) : null}
                        </>
                      ),
                    },
                    {
                      header: 'Role',
                      cell: (user) => (
                        <RoleControl
                          key={`${user.id}-${user.role}`}
                          user={user}
                          self={user.name === info?.user.name}
                          onSave={(role) => update(user, { role })}
                        />
                      ),
                    },
                    {
                      header: 'Status',
                      cell: (user) => (
                        <>
                          <Badge
                            value={user.disabled ? 'disabled' : 'enabled'}
                            tone={user.disabled ? 'revoked' : 'active'}
                          />{' '}
                          {user.passwordOneTime ? (
                            <Badge value="one-time password" tone="suspended" />
                          ) : null}
                        </>
                      ),
                    },
                    { header: 'Since', cell: (user) => <Time ms={user.createdAt} /> },
                    {
                      header: 'Actions',
                      hideHeader: true,
                      align: 'actions',
                      cell: (user) =>
                        user.name === info?.user.name ? null : (
                          <Button
                            tone="ghost"
                            aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.name}`}
                            onClick={() => {
                              setNotice(null);
                              setToggling(user);
                            }}
                          >
                            {user.disabled ? 'Enable' : 'Disable'}
                          </Button>
                        ),
                    },
                  ]}
                />
              </Card>
            )}
          </LoadedView>
          <Confirm
            open={toggling !== null}
            title={`${toggling?.disabled ? 'Enable' : 'Disable'} ${toggling?.name ?? ''}?`}
            confirmLabel={toggling?.disabled ? 'Enable user' : 'Disable user'}
            tone={toggling?.disabled ? 'primary' : 'danger'}
            onConfirm={async () => {
              if (!toggling) return;
              const user = toggling;
              await api.patch(`/users/${encodeURIComponent(user.name)}`, {
                disabled: !user.disabled,
              });
              users.reload();
              setNotice(
                user.disabled ? `${user.name} can log in again.` : `${user.name} is disabled.`,
              );
            }}
            onClose={() => setToggling(null)}
          >
            <p>
              {toggling?.disabled
                ? `${toggling.name} can log in again with their password.`
                : `${toggling?.name ?? ''} can no longer log in, and their sessions end. You can enable them again later.`}
            </p>
          </Confirm>
        </div>
        <div>
          <AddUser onAdded={users.reload} />
          <SetPassword
            users={(users.data?.items ?? []).filter((u) => u.name !== info?.user.name)}
            onSet={users.reload}
          />
        </div>
      </div>
    </>
  );
}

/**
 * A user's role: the select only chooses; Save sends it (like the Two-factor policy form), so
 * arrowing through the options with the keyboard grants nothing on the way.
 */
function RoleControl({
  user,
  self,
  onSave,
}: {
  user: User;
  self: boolean;
  onSave: (role: Role) => Promise<boolean>;
}) {
  const [choice, setChoice] = useState<Role>(user.role);
  const [busy, setBusy] = useState(false);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (choice === user.role || busy) return;
    setBusy(true);
    try {
      await onSave(choice);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="role-form" onSubmit={save} noValidate>
      <label className="visually-hidden" htmlFor={`role-${user.id}`}>
        Role of {user.name}
      </label>
      <select
        id={`role-${user.id}`}
        className="input input-inline"
        value={choice}
        disabled={self || busy}
        onChange={(e) => setChoice(e.target.value as Role)}
      >
        <option value="viewer">viewer</option>
        <option value="issuer">issuer</option>
        <option value="admin">admin</option>
      </select>
      {choice !== user.role ? (
        <Button type="submit" tone="primary" busy={busy} aria-label={`Save ${user.name}’s role`}>
          Save
        </Button>
      ) : null}
    </form>
  );
}

function AddUser({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('issuer');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const [added, setAdded] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAdded(null);
    // Checked at the fields, as their hints say, before anything is sent.
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = 'Enter the user’s name.';
    const short = passwordProblem(password);
    if (short) found.password = short;
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    void run(async () => {
      let user: User;
      try {
        user = await api.post<User>('/users', { name: name.trim(), role, password });
      } catch (failure) {
        const atFields = fieldIssues(failure, { name: 'name', password: 'password' });
        if (Object.keys(atFields).length === 0) throw failure;
        setErrors(atFields);
        return;
      }
      setAdded(`${user.name} can now log in as ${user.role}.`);
      setName('');
      setPassword('');
      onAdded();
    });
  };
  return (
    <Card title="Add a user">
      <form onSubmit={submit} noValidate>
        {added ? <Alert tone="success">{added}</Alert> : null}
        {error ? <ErrorMessage error={error} title="The user was not added" /> : null}
        <TextInput
          label="User name"
          autoComplete="off"
          value={name}
          error={errors.name ?? null}
          onChange={(e) => setName(e.target.value)}
        />
        <Select label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="viewer">Viewer: reads everything</option>
          <option value="issuer">Issuer: issues, revokes, approves</option>
          <option value="admin">Admin: also users and keys</option>
        </Select>
        <TextInput
          label="Initial password"
          type="password"
          autoComplete="new-password"
          hint="At least 12 characters. Tell it to the user in person: it is one-time, they choose their own at their first login."
          value={password}
          error={errors.password ?? null}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Button type="submit" tone="primary" busy={busy}>
          Add user
        </Button>
      </form>
    </Card>
  );
}

/** An admin sets another user's password (a forgotten one); that user's sessions end. */
function SetPassword({ users, onSet }: { users: User[]; onSet: () => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const short = passwordProblem(password);
    setPasswordError(short);
    if (short) return;
    void run(async () => {
      try {
        await api.patch<User>(`/users/${encodeURIComponent(name)}`, { password });
      } catch (failure) {
        const atField = fieldIssues(failure, { password: 'password' });
        if (!atField.password) throw failure;
        setPasswordError(atField.password);
        return;
      }
      setDone(`${name} has a new password and was logged out everywhere.`);
      setPassword('');
      onSet();
    });
  };
  return (
    <Card title="Set a user’s password">
      <form onSubmit={submit} noValidate>
        {done ? <Alert tone="success">{done}</Alert> : null}
        {error ? <ErrorMessage error={error} title="The password was not set" /> : null}
        <Select label="User" value={name} onChange={(e) => setName(e.target.value)}>
          <option value="">Choose a user</option>
          {users.map((u) => (
            <option key={u.id} value={u.name}>
              {u.name}
            </option>
          ))}
        </Select>
        <TextInput
          label="New password"
          type="password"
          autoComplete="new-password"
          hint="At least 12 characters. Tell it to the user in person: it is one-time, they choose their own at their next login."
          value={password}
          error={passwordError}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Button type="submit" busy={busy} disabled={name === '' || password === ''}>
          Set password
        </Button>
      </form>
    </Card>
  );
}
