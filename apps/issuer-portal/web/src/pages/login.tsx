// Login: a user name and a password, then (for a user with two-factor login) the code from the
// authenticator app or a recovery code. Failures say what to do without revealing which of the
// name and password was wrong. With single sign-on set up, a "Sign in with …" link starts it
// (a page navigation to the identity provider); with password login turned off, that is all.
import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../api';
import { Alert, Brand, Button, TextInput } from '../components/ui';
import { useSession } from '../session';
import type { SessionInfo } from '../types';
import { useApi } from '../use-api';

interface AuthMethods {
  password: boolean;
  sso: { name: string; startUrl: string } | null;
}

export function LoginPage() {
  const session = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  /** Set once the server asked for the second factor (the password was right). */
  const [askCode, setAskCode] = useState(false);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const methods = useApi(() => api.get<AuthMethods>('/auth/methods'), []);
  const passwordOn = methods.data?.password ?? true;
  const sso = methods.data?.sso ?? null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name || !password) {
      setError('Enter your user name and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = askCode ? { name, password, code } : { name, password };
      const info = await api.post<SessionInfo>('/auth/login', body);
      session.loggedIn(info);
    } catch (failure) {
      const code = failure instanceof ApiError ? failure.code : null;
      if (code === 'ERR_2FA_REQUIRED') {
        setAskCode(true);
        setError(null);
      } else if (code === 'ERR_2FA_CODE_WRONG' || code === 'ERR_2FA_CODE_USED') {
        setError((failure as ApiError).message);
        setCode('');
      } else {
        setError(failure instanceof ApiError ? failure.message : 'Logging in failed. Try again.');
        setPassword('');
        setAskCode(false);
        setCode('');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-screen">
      <form className="login-card" onSubmit={submit} noValidate aria-labelledby="login-title">
        <Brand className="brand-login" />
        <h1 id="login-title" className="login-title">
          Log in
        </h1>
        {session.lostReason && !error ? <Alert tone="info">{session.lostReason}</Alert> : null}
        {error ? <Alert tone="error">{error}</Alert> : null}
        {sso ? (
          <a className="btn btn-primary btn-block sso-start" href={sso.startUrl}>
            Sign in with {sso.name}
          </a>
        ) : null}
        {passwordOn ? (
          <PasswordFields
            name={name}
            setName={setName}
            password={password}
            setPassword={setPassword}
            askCode={askCode}
            code={code}
            setCode={setCode}
            busy={busy}
            withSso={sso !== null}
          />
        ) : (
          <p className="muted small login-help">
            Password login is turned off on this portal: use single sign-on.
          </p>
        )}
      </form>
    </div>
  );
}

function PasswordFields(props: {
  name: string;
  setName: (value: string) => void;
  password: string;
  setPassword: (value: string) => void;
  askCode: boolean;
  code: string;
  setCode: (value: string) => void;
  busy: boolean;
  withSso: boolean;
}) {
  const { name, setName, password, setPassword, askCode, code, setCode, busy, withSso } = props;
  return (
    <>
      {withSso ? <p className="muted small login-or">or with a password</p> : null}
      <TextInput
        label="User name"
        name="username"
        autoComplete="username"
        autoFocus
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      {askCode ? (
        <TextInput
          label="Two-factor code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          autoFocus
          hint="The 6-digit code from your authenticator app, or one of your recovery codes."
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      ) : (
        <TextInput
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      )}
      <Button
        type="submit"
        tone={withSso ? 'secondary' : 'primary'}
        busy={busy}
        className="btn-block"
      >
        Log in
      </Button>
      <p className="muted small login-help">
        Accounts are made by an administrator (Users page, or <code>licensor-issuer users add</code>
        ).
      </p>
    </>
  );
}
