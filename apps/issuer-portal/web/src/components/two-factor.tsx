// Two-factor login on the Account page (and the enrol-first screen the 2FA policy sends users
// to): set it up with a QR code, confirm with the first code, keep the recovery codes (shown
// once), make new ones or turn it off with a code. Admins also set the policy here.
import { type FormEvent, useState } from 'react';
import { api, setCsrfToken } from '../api';
import { useLeaveGuard } from '../router';
import { useSession } from '../session';
import type { SessionInfo } from '../types';
import { useAction, useApi } from '../use-api';
import { Alert, Button, Card, ErrorMessage, Loading, Mono, Select, TextInput } from './ui';
import './two-factor.css';

type Policy = 'optional' | 'admins' | 'everyone';

interface Status {
  enabled: boolean;
  pending: boolean;
  enabledAt: number | null;
  recoveryCodesLeft: number;
  policy: Policy;
  required: boolean;
  secretsSealed: boolean;
}

interface Enrolment {
  secret: string;
  otpauthUri: string;
  qrCode: string;
}

const POLICY_LABEL: Record<Policy, string> = {
  optional: 'Optional: each user chooses',
  admins: 'Required of admins',
  everyone: 'Required of everyone',
};

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  // Shown this once: leaving the page before "I have saved them" asks first.
  useLeaveGuard('Your recovery codes are shown only this once. Leave without saving them?');
  return (
    <div className="recovery-codes">
      <Alert tone="warning" title="Save your recovery codes now">
        Each code logs you in once in place of an authenticator code, if you lose your phone. They
        are shown only this once: print them or keep them in a password manager.
      </Alert>
      <ol className="recovery-code-list" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <Mono>{code}</Mono>
          </li>
        ))}
      </ol>
      <Button tone="primary" onClick={onDone}>
        I have saved them
      </Button>
    </div>
  );
}

/** One 6-digit (or recovery) code field and a submit button. */
function CodeForm({
  label,
  submitLabel,
  tone = 'primary',
  busy,
  onSubmit,
}: {
  label: string;
  submitLabel: string;
  tone?: 'primary' | 'danger';
  busy: boolean;
  onSubmit: (code: string) => void;
}) {
  // The code typed stays after a refusal, to be corrected (a success replaces the form).
  const [code, setCode] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (code.trim() !== '') onSubmit(code.trim());
  };
  return (
    <form onSubmit={submit} noValidate className="inline-form">
      <TextInput
        label={label}
        inputMode="numeric"
        autoComplete="one-time-code"
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
      <Button type="submit" tone={tone} busy={busy} disabled={code.trim() === ''}>
        {submitLabel}
      </Button>
    </form>
  );
}

export function TwoFactorCard() {
  const { loggedIn } = useSession();
  const status = useApi(() => api.get<Status>('/auth/2fa'), []);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pendingSession, setPendingSession] = useState<SessionInfo | null>(null);
  const { busy, error, run } = useAction();

  const begin = () =>
    run(async () => {
      setNotice(null);
      setEnrolment(await api.post<Enrolment>('/auth/2fa/enrol'));
    });
  const confirm = (code: string) =>
    run(async () => {
      const answer = await api.post<{ session: SessionInfo; recoveryCodes: string[] }>(
        '/auth/2fa/confirm',
        { code },
      );
      // The answer started a new session and ended the old one: its CSRF token is the one
      // every write needs from now on, whatever the user does next.
      setCsrfToken(answer.session.csrfToken);
      setEnrolment(null);
      setCodes(answer.recoveryCodes);
      // The rest of the new session (the user, no enrolment required) is taken once the codes
      // are saved, so the enrol-first screen stays until then.
      setPendingSession(answer.session);
    });
  const regenerate = (code: string) =>
    run(async () => {
      setNotice(null);
      const answer = await api.post<{ recoveryCodes: string[] }>('/auth/2fa/recovery-codes', {
        code,
      });
      setCodes(answer.recoveryCodes);
    });
  const disable = (code: string) =>
    run(async () => {
      await api.post('/auth/2fa/disable', { code });
      setNotice('Two-factor login is off.');
      status.reload();
    });
  const savedCodes = () => {
    setCodes(null);
    // The card says it is on below; the notice says what changed for the next login.
    setNotice('Your recovery codes are saved. From now on, logging in needs a code from your app.');
    if (pendingSession) loggedIn(pendingSession);
    setPendingSession(null);
    status.reload();
  };

  const body = () => {
    if (codes) return <RecoveryCodes codes={codes} onDone={savedCodes} />;
    if (status.loading && !status.data) return <Loading />;
    if (status.error) return <ErrorMessage error={status.error} />;
    const s = status.data!;
    if (enrolment) {
      return (
        <div className="two-factor-enrol">
          <p>
            Scan this code with an authenticator app (Google Authenticator, Microsoft Authenticator,
            1Password, …), then enter the 6-digit code it shows.
          </p>
          <img
            className="qr-code"
            src={enrolment.qrCode}
            alt="QR code of your two-factor secret"
            width={220}
            height={220}
          />
          <p className="muted small">
            Cannot scan? Type this key into the app: <Mono>{enrolment.secret}</Mono>
          </p>
          <p className="muted small">
            Or open: <Mono>{enrolment.otpauthUri}</Mono>
          </p>
          <CodeForm
            label="Code from the app"
            submitLabel="Turn on"
            busy={busy}
            onSubmit={confirm}
          />
        </div>
      );
    }
    if (!s.enabled) {
      return (
        <>
          <p>
            {s.required
              ? 'An administrator requires two-factor login for your account.'
              : 'Two-factor login is off.'}{' '}
            With it on, logging in needs a code from an app on your phone besides your password.
          </p>
          <Button tone="primary" busy={busy} onClick={begin}>
            Set up two-factor login
          </Button>
        </>
      );
    }
    return (
      <>
        <p>
          Two-factor login is <strong>on</strong>. {s.recoveryCodesLeft} of 10 recovery codes left.
        </p>
        <CodeForm
          label="A code, to make new recovery codes"
          submitLabel="New recovery codes"
          busy={busy}
          onSubmit={regenerate}
        />
        {s.required ? (
          <p className="muted small">The two-factor policy requires it of you: it stays on.</p>
        ) : (
          <CodeForm
            label="A code, to turn two-factor login off"
            submitLabel="Turn off"
            tone="danger"
            busy={busy}
            onSubmit={disable}
          />
        )}
      </>
    );
  };

  return (
    <Card title="Two-factor login">
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {error ? <ErrorMessage error={error} title="Two-factor login did not change" /> : null}
      {body()}
    </Card>
  );
}

export function TwoFactorPolicyCard() {
  const status = useApi(() => api.get<Status>('/auth/2fa'), []);
  const [choice, setChoice] = useState<Policy | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const current = status.data?.policy ?? 'optional';
  const selected = choice ?? current;
  const save = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const answer = await api.put<{ policy: Policy; usersLoggedOut: number }>('/auth/2fa/policy', {
        policy: selected,
      });
      setNotice(
        `${POLICY_LABEL[answer.policy]}. ${answer.usersLoggedOut} user(s) without it were logged out and will set it up at their next login.`,
      );
      status.reload();
    });
  };
  return (
    <Card title="Two-factor policy (admins)">
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {error ? <ErrorMessage error={error} title="The policy did not change" /> : null}
      <form onSubmit={save} noValidate className="inline-form">
        <Select
          label="Two-factor login for password logins"
          value={selected}
          onChange={(e) => setChoice(e.target.value as Policy)}
        >
          {(Object.keys(POLICY_LABEL) as Policy[]).map((p) => (
            <option key={p} value={p}>
              {POLICY_LABEL[p]}
            </option>
          ))}
        </Select>
        <Button type="submit" busy={busy} disabled={selected === current}>
          Save policy
        </Button>
      </form>
    </Card>
  );
}
