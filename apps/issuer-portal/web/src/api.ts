// The SPA's only way to the server: JSON over fetch, the session cookie sent by the browser,
// the CSRF token echoed on every state change, and every failure turned into an ApiError
// that carries the server's code and a message a person can act on.
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId: string | null;
  /** A 400 ERR_REQUEST_INVALID's issues: `{path: 'body.termDays', message}`, each field's. */
  readonly issues: readonly { path: string; message: string }[];
  /** The input field a refusal of the terms or the catalogue names (`graceDays`), or null. */
  readonly field: string | null;
  constructor(
    status: number,
    code: string,
    message: string,
    requestId: string | null,
    issues: readonly { path: string; message: string }[] = [],
    field: string | null = null,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.issues = issues;
    this.field = field;
  }
}

/**
 * What a form throws when a field is wrong: each field says what to fix, and the form's error
 * (above the fields in a form dialog, under them in a Confirm) points at them.
 */
export function fieldsInvalid(where: 'above' | 'below' = 'below'): ApiError {
  return new ApiError(400, 'ERR_REQUEST_INVALID', `Fix the fields marked ${where}.`, null);
}

/**
 * A refusal the server made for the form's fields (400 ERR_REQUEST_INVALID with `issues`), as
 * the message of each field it names: `fields` maps a body member (`termDays`) to the form's
 * field. Empty when the failure is another one, or names no field of the form.
 */
export function fieldIssues(
  failure: unknown,
  fields: Record<string, string>,
): Record<string, string> {
  const found: Record<string, string> = {};
  if (!(failure instanceof ApiError) || failure.code !== 'ERR_REQUEST_INVALID') return found;
  for (const issue of failure.issues) {
    const member = issue.path.replace(/^body\./, '').split('.')[0] ?? '';
    const field = fields[member];
    if (field && !(field in found)) found[field] = issue.message;
  }
  return found;
}

/** Listeners told when the server says the session is gone, so the app can show the login. */
const sessionLostListeners = new Set<() => void>();
export function onSessionLost(listener: () => void): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

const FRIENDLY: Record<string, string> = {
  ERR_INTERNAL:
    'Something went wrong on the server. Try again; if it keeps happening, quote the request id to an administrator.',
  ERR_RATE_LIMITED: 'Too many failed password attempts. Wait a few minutes, then try again.',
  ERR_NETWORK: 'The portal server cannot be reached. Check your connection and try again.',
};

type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(withQuery(`/api/v1${path}`, query), {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'ERR_NETWORK', FRIENDLY.ERR_NETWORK ?? 'Network error.', null);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (
      parsed as {
        error?: {
          code?: string;
          message?: string;
          requestId?: string;
          issues?: { path: string; message: string }[];
          field?: string;
        };
      }
    )?.error;
    const code = error?.code ?? 'ERR_INTERNAL';
    const message =
      FRIENDLY[code] ?? error?.message ?? `The server answered ${response.status}. Try again.`;
    if (code === 'ERR_UNAUTHENTICATED' || code === 'ERR_SESSION_EXPIRED') {
      if (path !== '/auth/session' && path !== '/auth/login') {
        for (const listener of sessionLostListeners) listener();
      }
    }
    throw new ApiError(
      response.status,
      code,
      message,
      error?.requestId ?? null,
      Array.isArray(error?.issues) ? error.issues : [],
      typeof error?.field === 'string' ? error.field : null,
    );
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};
