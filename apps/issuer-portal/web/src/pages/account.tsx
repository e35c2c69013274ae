// Your account: change your own password. The server checks the current one, ends every other
// session of yours and hands this browser a new session (and CSRF token).
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { TwoFactorCard, TwoFactorPolicyCard } from '../components/two-factor';
import { Alert, Button, Card, ErrorMessage, PageHeader, TextInput } from '../components/ui';
import { useSession } from '../session';
import type { SessionInfo } from '../types';
import { useAction } from '../use-api';

export function AccountPage() {
  const { info, loggedIn, can } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);
  const mismatch = repeat !== '' && repeat !== next;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    setDone(false);
    void run(async () => {
      const session = await api.post<SessionInfo>('/auth/password', {
        currentPassword: current,
        newPassword: next,
      });
      loggedIn(session);
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    });
  };

  return (
    <>
      <PageHeader
        title="Your account"
        subtitle={
          info ? `Logged in as ${info.user.name}, with the ${info.user.role} role.` : undefined
        }
      />
      <Card title="Change your password">
        <form onSubmit={submit} noValidate>
          {done ? (
            <Alert tone="success">
              Your password is changed. Every other session of yours has been logged out.
            </Alert>
          ) : null}
          {error ? <ErrorMessage error={error} title="The password was not changed" /> : null}
          <TextInput
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
          <TextInput
            label="New password"
            type="password"
            autoComplete="new-password"
            hint="At least 12 characters."
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
          <TextInput
            label="New password again"
            type="password"
            autoComplete="new-password"
            error={mismatch ? 'The two new passwords differ.' : null}
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
          />
          <Button
            type="submit"
            tone="primary"
            busy={busy}
            disabled={current === '' || next === '' || repeat === '' || mismatch}
          >
            Change password
          </Button>
        </form>
      </Card>
      <TwoFactorCard />
      {can('admin') ? <TwoFactorPolicyCard /> : null}
    </>
  );
}
