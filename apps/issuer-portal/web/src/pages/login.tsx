// Login: a user name and a password. Failures say what to do without revealing which of the
// two was wrong.
import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../api';
import { Alert, Button, TextInput } from '../components/ui';
import { useSession } from '../session';
import type { SessionInfo } from '../types';

export function LoginPage() {
  const session = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name || !password) {
      setError('Enter your user name and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const info = await api.post<SessionInfo>('/auth/login', { name, password });
      session.loggedIn(info);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'Logging in failed. Try again.');
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-screen">
      <form className="login-card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <div className="brand brand-login">
          <span className="brand-mark" aria-hidden="true">
            L
          </span>
          <span>
            <span className="brand-name">Licensor</span>
            <span className="brand-sub">Issuer portal</span>
          </span>
        </div>
        <h1 id="login-title" className="login-title">
          Log in
        </h1>
        {session.lostReason && !error ? <Alert tone="info">{session.lostReason}</Alert> : null}
        {error ? <Alert tone="error">{error}</Alert> : null}
        <TextInput
          label="User name"
          name="username"
          autoComplete="username"
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextInput
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Button type="submit" tone="primary" busy={busy} className="btn-block">
          Log in
        </Button>
        <p className="muted small login-help">
          Accounts are made by an administrator (Users page, or{' '}
          <code>licensor-issuer users add</code>).
        </p>
      </form>
    </div>
  );
}
