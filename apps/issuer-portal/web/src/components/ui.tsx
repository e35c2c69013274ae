// Small building blocks every page uses, so that loading, empty and error states, fields with
// labels and buttons look and behave the same everywhere.
import {
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useId,
} from 'react';
import type { ApiError } from '../api';
import { timeParts } from '../format';
import type { Loaded } from '../use-api';

type Tone = 'primary' | 'secondary' | 'danger' | 'ghost';

export function Button({
  tone = 'secondary',
  busy = false,
  children,
  className,
  disabled,
  type = 'button',
  ...rest
}: { tone?: Tone; busy?: boolean } & ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <button
      type={type}
      className={`btn btn-${tone}${className ? ` ${className}` : ''}`}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <span className="spinner spinner-small" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string | null;
  children: (props: {
    id: string;
    'aria-describedby'?: string;
    'aria-invalid'?: boolean;
  }) => ReactNode;
}

/** A label, a control, a hint and an error, wired together for screen readers. */
export function Field({ label, hint, error, children }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const describedBy = [hint ? hintId : null, error ? `${id}-error` : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        ...(error ? { 'aria-invalid': true } : {}),
      })}
      {hint ? (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="field-error" id={`${id}-error`}>
          {error}
        </div>
      ) : null}
    </div>
  );
}

export function TextInput({
  label,
  hint,
  error,
  ...rest
}: {
  label: string;
  hint?: ReactNode;
  error?: string | null;
} & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Field label={label} hint={hint} error={error ?? null}>
      {(a11y) => <input className="input" {...a11y} {...rest} />}
    </Field>
  );
}

export function Select({
  label,
  hint,
  children,
  ...rest
}: {
  label: string;
  hint?: ReactNode;
  children: ReactNode;
} & SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <Field label={label} hint={hint}>
      {(a11y) => (
        <select className="input" {...a11y} {...rest}>
          {children}
        </select>
      )}
    </Field>
  );
}

export function TextArea({
  label,
  hint,
  error,
  ...rest
}: {
  label: string;
  hint?: ReactNode;
  error?: string | null;
} & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return (
    <Field label={label} hint={hint} error={error ?? null}>
      {(a11y) => <textarea className="input textarea" {...a11y} {...rest} />}
    </Field>
  );
}

export function Alert({
  tone = 'error',
  title,
  children,
}: {
  tone?: 'error' | 'warning' | 'info' | 'success';
  title?: string;
  children?: ReactNode;
}) {
  return (
    <div className={`alert alert-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {title ? <strong className="alert-title">{title}</strong> : null}
      {children ? <div className="alert-body">{children}</div> : null}
    </div>
  );
}

/** An API failure as a person reads it, with the request id for support. */
export function ErrorMessage({ error, title }: { error: ApiError; title?: string }) {
  return (
    <Alert tone="error" title={title ?? 'That did not work'}>
      <p>{error.message}</p>
      {error.requestId ? (
        <p className="muted small">
          Code {error.code} · request {error.requestId}
        </p>
      ) : null}
    </Alert>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children ? <div className="empty-body">{children}</div> : null}
    </div>
  );
}

export function Badge({ value, tone }: { value: string; tone?: string }) {
  return <span className={`badge badge-${tone ?? value.toLowerCase()}`}>{value}</span>;
}

export function Card({
  title,
  actions,
  children,
  className,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`}>
      {title || actions ? (
        <header className="card-header">
          {title ? <h2 className="card-title">{title}</h2> : <span />}
          {actions ? <div className="card-actions">{actions}</div> : null}
        </header>
      ) : null}
      <div className="card-body">{children}</div>
    </section>
  );
}

export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p className="page-subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

/** A definition list of facts: label on the left, value on the right. */
export function Facts({ items, label }: { items: [string, ReactNode][]; label?: string }) {
  return (
    <dl className="facts" aria-label={label}>
      {items.map(([label, value]) => (
        <div className="fact" key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Mono({ children, title }: { children: ReactNode; title?: string }) {
  return (
    <code className="mono" title={title}>
      {children}
    </code>
  );
}

/**
 * A moment in a table or a sentence: "28 Nov 2026, 14:03:05 UTC", which may break between the
 * day and the time but never inside either; the exact UTC instant is in the tooltip.
 */
export function Time({ ms }: { ms: number | null | undefined }) {
  if (ms === null || ms === undefined) return <span className="muted">—</span>;
  const { date, time } = timeParts(ms);
  const iso = new Date(ms).toISOString();
  return (
    <time className="time" dateTime={iso} title={iso}>
      <span>{date},</span> <span>{time}</span>
    </time>
  );
}

/** The product's mark and name (sidebar, login). */
export function Brand({ className }: { className?: string }) {
  return (
    <div className={className ? `brand ${className}` : 'brand'}>
      <span className="brand-mark" aria-hidden="true">
        L
      </span>
      <span>
        <span className="brand-name">Licensor</span>
        <span className="brand-sub">Issuer portal</span>
      </span>
    </div>
  );
}

/**
 * What a page shows of something it loads: the error (titled "The WHAT could not be loaded"), a
 * spinner on the first load ("Loading WHAT…", or `loadingLabel`), then `children` with the data
 * once it is there.
 */
export function LoadedView<T>({
  state,
  what,
  loadingLabel = `Loading ${what}…`,
  children,
}: {
  state: Loaded<T>;
  what: string;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}) {
  return (
    <>
      {state.error ? (
        <ErrorMessage error={state.error} title={`The ${what} could not be loaded`} />
      ) : null}
      {state.loading && !state.data ? <Loading label={loadingLabel} /> : null}
      {state.data ? children(state.data) : null}
    </>
  );
}

/**
 * Moves keyboard focus to a heading (or any element) after the page changed under it: a result
 * shown, a page navigated to. A screen reader reads it; Tab goes on from there instead of from
 * the top of the document.
 */
export function focusHeading(element: Element | null | undefined): void {
  if (!(element instanceof HTMLElement)) return;
  if (!element.hasAttribute('tabindex')) element.setAttribute('tabindex', '-1');
  element.focus();
}
