// A vendor's session with the issuer portal's REST API: log in once, then call it with the
// session cookie and the CSRF token, as the portal's own web UI does.
export class PortalApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'PortalApiError';
  }
}

export class PortalClient {
  private cookie = '';
  private csrfToken = '';

  constructor(private readonly baseUrl: string) {}

  static async login(baseUrl: string, name: string, password: string): Promise<PortalClient> {
    const client = new PortalClient(baseUrl);
    const session = await client.call<{ csrfToken: string; passwordChangeRequired?: boolean }>(
      'POST',
      '/auth/login',
      { name, password },
    );
    client.csrfToken = session.csrfToken;
    client.passwordChangeRequired = session.passwordChangeRequired === true;
    return client;
  }

  /** Whether this session may do nothing but choose the user's own password (a one-time one). */
  passwordChangeRequired = false;

  /** Replaces the session's password with the user's own; the portal starts a new session. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    const session = await this.call<{ csrfToken: string; passwordChangeRequired?: boolean }>(
      'POST',
      '/auth/password',
      { currentPassword, newPassword },
    );
    this.csrfToken = session.csrfToken;
    this.passwordChangeRequired = session.passwordChangeRequired === true;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const setCookie = response.headers.getSetCookie();
    if (setCookie.length > 0) {
      this.cookie = setCookie.map((c) => c.split(';')[0]).join('; ');
    }
    const text = await response.text();
    const answer = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = answer?.error ?? {};
      throw new PortalApiError(response.status, error.code ?? 'UNKNOWN', error.message ?? text);
    }
    return answer as T;
  }
}
