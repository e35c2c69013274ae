// A real OpenID provider for the tests (oidc-provider) on 127.0.0.1 with a port the OS chooses.
// Its development login form takes any account name (the password is ignored); the accounts
// the tests sign in as, with their e-mail and groups, are set in `accounts` (changeable between
// logins). `signIn` drives a whole login over HTTP, as a browser would, and answers the portal
// callback URL the provider sent the browser back to.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface IdpAccount {
  email: string;
  groups: string[];
  emailVerified?: boolean;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, IdpAccount>;
  /** The scheme of each token request's Authorization header ('' when it had none). */
  tokenRequests: string[];
  /** When set, the UserInfo endpoint answers 503 (the provider's UserInfo is down). */
  userInfoDown: boolean;
  close(): Promise<void>;
}

export async function startIdp(redirectUri: string): Promise<TestIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IdpAccount>();
  const clientId = 'licensor-portal';
  const clientSecret = 'a-client-secret-for-the-tests-only';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        // The usual registered default; the portal must send its secret with HTTP Basic.
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (account === undefined) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: account.email,
            email_verified: account.emailVerified ?? true,
            preferred_username: id,
            groups: account.groups,
          };
        },
      };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'groups'],
    },
    cookies: { keys: ['a-cookie-key-for-the-tests-only'] },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
  });
  // Quiet: the provider logs a warning about its development interactions and keys.
  provider.on('server_error', () => undefined);
  const callback = provider.callback();
  const idp: TestIdp = {
    issuer,
    clientId,
    clientSecret,
    accounts,
    tokenRequests: [],
    userInfoDown: false,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('request', (req, res) => {
    // oidc-provider accepts client_secret_post from a client registered for client_secret_basic;
    // a provider that enforces the registered method (as many do) refuses it: so does this one.
    if (req.method === 'POST' && req.url?.startsWith('/token')) {
      const authorization = req.headers.authorization ?? '';
      idp.tokenRequests.push(authorization.split(' ')[0] ?? '');
      if (!/^Basic /i.test(authorization)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: 'invalid_client',
            error_description: 'client authentication must be client_secret_basic',
          }),
        );
        return;
      }
    }
    // oidc-provider's UserInfo endpoint is /me.
    if (idp.userInfoDown && req.url?.startsWith('/me')) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('UserInfo is down');
      return;
    }
    callback(req, res);
  });
  return idp;
}

/** A minimal cookie jar for one site. */
class Jar {
  readonly #cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface SignIn {
  /** The portal's SSO cookie (name=value) set by /start. */
  portalCookie: string;
  /** Where the provider sent the browser back to (the portal's callback, with code and state). */
  callbackUrl: URL;
}

/**
 * Starts an SSO login at the portal and signs in at the provider as `account`, following its
 * redirects and posting its login and consent forms. `editAuthorizationUrl` may change the
 * authorization request before it reaches the provider (a test of a wrong nonce).
 */
export async function signIn(
  portalUrl: string,
  account: string,
  editAuthorizationUrl: (url: URL) => URL = (url) => url,
): Promise<SignIn> {
  const start = await fetch(`${portalUrl}/api/v1/auth/oidc/start`, { redirect: 'manual' });
  if (start.status !== 303)
    throw new Error(`start answered ${start.status}: ${await start.text()}`);
  const portalCookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
  let url = editAuthorizationUrl(new URL(start.headers.get('location')!));
  const jar = new Jar();
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response);
    if (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get('location')!, url);
      if (next.href.startsWith(portalUrl)) return { portalCookie, callbackUrl: next };
      url = next;
      continue;
    }
    const html = await response.text();
    const action = /action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || action === undefined || prompt === undefined) {
      throw new Error(`the provider answered ${response.status}: ${html.slice(0, 500)}`);
    }
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', account);
      form.set('password', 'any');
    }
    const posted = await fetch(new URL(action, url), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    jar.take(posted);
    url = new URL(posted.headers.get('location')!, url);
  }
  throw new Error('the provider never sent the browser back to the portal');
}
