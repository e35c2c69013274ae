// Change your own password: the current one, the new one twice. The server checks the current
// one, refuses a "new" one equal to it, ends every other session of yours and hands this browser
// a new session (and CSRF token). Used by the Account page and by the screen that replaces a
// one-time password at the first login.
import { type FormEvent, useState } from 'react';
import { api, fieldIssues } from '../api';
import { passwordProblem } from '../passwords';
import { useSession } from '../session';
import type { SessionInfo } from '../types';
import { useAction } from '../use-api';
import { Alert, Button, ErrorMessage, TextInput } from './ui';

export function ChangePasswordForm({ oneTime = false }: { oneTime?: boolean }) {
  const { loggedIn } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState(false);
  const mismatch = repeat !== '' && repeat !== next;

  const [nextError, setNextError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mismatch) return;
    setDone(false);
    // The length is checked at the field, as its hint says, before anything is sent.
    const short = passwordProblem(next);
    setNextError(short);
    if (short) return;
    void run(async () => {
      let session: SessionInfo;
      try {
        session = await api.post<SessionInfo>('/auth/password', {
          currentPassword: current,
          newPassword: next,
        });
      } catch (failure) {
        const atField = fieldIssues(failure, { newPassword: 'next' });
        if (!atField.next) throw failure;
        setNextError(atField.next);
        return;
      }
      loggedIn(session);
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    });
  };

  return (
    <form onSubmit={submit} noValidate>
      {done ? (
        <Alert tone="success">
          Your password is changed. Every other session of yours has been logged out.
        </Alert>
      ) : null}
      {error ? <ErrorMessage error={error} title="The password was not changed" /> : null}
      <TextInput
        label={oneTime ? 'One-time password' : 'Current password'}
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
      />
      <TextInput
        label="New password"
        type="password"
        autoComplete="new-password"
        hint="At least 12 characters, not the current one."
        value={next}
        error={nextError}
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
  );
}
