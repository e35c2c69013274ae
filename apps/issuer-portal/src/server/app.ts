// createPortalApp: the whole portal as an express app (UI + /api/v1), built from its
// dependencies so tests drive the real thing with supertest. `listen` lives in the CLI.

import { isIP } from 'node:net';
import type { Issuer } from '@licensor/issuer';
import express, { type Express } from 'express';
import { type Logger, pino } from 'pino';
import { createApiRouter } from './api/api-router.js';
import type { ApiDeps } from './api/deps.js';
import { DEFAULT_LOGIN_RATE_LIMIT, LoginLimiter, type LoginRateLimit } from './auth/login-limit.js';
import { Sso, type SsoOptions } from './auth/sso.js';
import { ssoRouter } from './auth/sso-router.js';
import { TwoFactor, type TwoFactorOptions } from './auth/two-factor.js';
import { allowedHostsOnly } from './http/allowed-hosts.js';
import { pageErrorHandler, pageNotFound } from './http/fallback.js';
import { healthRouter } from './http/health.js';
import { requestId } from './http/request-id.js';
import { securityHeaders } from './http/security-headers.js';
import { defaultWebRoot, spaRouter } from './http/spa.js';
import { logLevelFromEnv } from './log-level.js';
import { createPortalMetrics, type PortalMetrics } from './metrics.js';
import {
  DEFAULT_TIMEOUTS,
  SessionManager,
  type SessionTimeouts,
} from './session/session-manager.js';
import { type SessionStore, StoreSessionStore } from './session/session-store.js';
import { storeUserCheck } from './session/user-check.js';
import { type DispatcherOptions, WebhookDispatcher } from './webhooks/dispatcher.js';
import type { ResolveAll } from './webhooks/sender.js';
import { interfaceAddresses, type UrlRules } from './webhooks/url-rules.js';

export const PORTAL_VERSION = '0.1.0';

export interface PortalDeps {
  issuer: Issuer;
  /** Clock in milliseconds; default Date.now. Drives the session timeouts. */
  now?: () => number;
  logger?: Logger;
  /** Default: the issuer's store, shared by every portal process on it. */
  sessionStore?: SessionStore;
  timeouts?: Partial<SessionTimeouts>;
  /** Folder of the built SPA; default dist/web; null serves no UI. */
  webRoot?: string | null;
  /**
   * Express `trust proxy`: set it when a TLS-terminating proxy sits in front, so that
   * req.secure (Secure cookies) and req.ip (login rate limit) come from X-Forwarded-*.
   */
  trustProxy?: boolean | number | string;
  /**
   * Webhook URL rules and sending: `selfHosts` (host:port the portal is reached at, besides the
   * Host of each request), `selfPorts` (ports it listens on; the CLI adds its own),
   * `denyPrivate` (refuse loopback and private networks), `hostAddresses` (this host's own
   * addresses; default: os.networkInterfaces(), re-read at most every second), `timeoutMs` per
   * attempt, `lookup` (resolves receivers' names; default dns.lookup).
   */
  webhooks?: Partial<UrlRules> & {
    timeoutMs?: number;
    lookup?: ResolveAll;
    retrySchedule?: readonly number[];
    /** What the event watch looks for (near-cap share, expected check interval, …). */
    events?: DispatcherOptions['events'];
    /** Days delivered and failed deliveries (and then their events) are kept; default 90. */
    retentionDays?: number;
  };
  /** Failed-login limits, counted in the issuer's store (shared by every portal process). */
  loginRateLimit?: Partial<LoginRateLimit>;
  /**
   * Two-factor login: `key` seals TOTP secrets at rest (the CLI passes LICENSOR_2FA_KEY; unset,
   * they are stored as they are), `issuerName` is what authenticator apps show.
   */
  twoFactor?: TwoFactorOptions;
  /** OpenID Connect single sign-on (the CLI reads LICENSOR_OIDC_*); unset: none. */
  sso?: SsoOptions;
  /**
   * The token a Prometheus scrape of GET /metrics must carry (`Authorization: Bearer`; the CLI
   * passes LICENSOR_METRICS_TOKEN, at least 16 characters). Unset: /metrics answers 404.
   */
  metricsToken?: string | null;
  /** False turns password login off (LICENSOR_PASSWORD_LOGIN=off): SSO only. Default true. */
  passwordLogin?: boolean;
  /**
   * Host names the portal answers to besides localhost and IP addresses (against DNS
   * rebinding): the name users type, or the one the proxy forwards. Default none.
   */
  allowedHosts?: readonly string[];
}

export interface PortalApp {
  app: Express;
  /** Exposed for the CLI's periodic sweep and for tests. */
  sessions: SessionManager;
  sessionStore: SessionStore;
  /** Sends the webhook outbox; the CLI starts it, tests drive `runOnce`. */
  webhooks: WebhookDispatcher;
  /** The webhook URL rules in force (the CLI adds the port it listens on to `selfPorts`). */
  webhookRules: UrlRules & { selfHosts: string[]; selfPorts: number[] };
  /** GET /metrics (the store's log health, behind the scrape token) and the watch that logs a failed checkpoint. */
  metrics: PortalMetrics;
}

export function createPortalApp(deps: PortalDeps): PortalApp {
  const now = deps.now ?? Date.now;
  const logger =
    deps.logger ?? pino({ name: 'licensor-portal', level: logLevelFromEnv(process.env.LOG_LEVEL) });
  const sessionStore = deps.sessionStore ?? new StoreSessionStore(deps.issuer.store.automation);
  const sessions = new SessionManager(
    sessionStore,
    { ...DEFAULT_TIMEOUTS, ...deps.timeouts },
    now,
    storeUserCheck(deps.issuer),
  );
  const loginLimiter = new LoginLimiter(
    deps.issuer.store.automation,
    { ...DEFAULT_LOGIN_RATE_LIMIT, ...deps.loginRateLimit },
    now,
  );
  const twoFactor = new TwoFactor(deps.issuer.store.twoFactor, deps.twoFactor ?? {}, now);
  const sso = deps.sso === undefined ? undefined : new Sso(deps.sso, deps.issuer, now);
  const webhookRules: PortalApp['webhookRules'] = {
    selfHosts: [...(deps.webhooks?.selfHosts ?? [])],
    selfPorts: [...(deps.webhooks?.selfPorts ?? [])],
    denyPrivate: deps.webhooks?.denyPrivate ?? false,
    hostAddresses: deps.webhooks?.hostAddresses ?? interfaceAddresses(),
  };
  const webhooks = new WebhookDispatcher({
    store: deps.issuer.store,
    now,
    logger,
    rules: webhookRules,
    ...(deps.webhooks?.timeoutMs === undefined ? {} : { timeoutMs: deps.webhooks.timeoutMs }),
    ...(deps.webhooks?.lookup === undefined ? {} : { lookup: deps.webhooks.lookup }),
    ...(deps.webhooks?.retrySchedule === undefined
      ? {}
      : { retrySchedule: deps.webhooks.retrySchedule }),
    ...(deps.webhooks?.events === undefined ? {} : { events: deps.webhooks.events }),
    ...(deps.webhooks?.retentionDays === undefined
      ? {}
      : { retentionDays: deps.webhooks.retentionDays }),
  });
  const apiDeps: ApiDeps = {
    issuer: deps.issuer,
    sessions,
    sessionStore,
    loginLimiter,
    twoFactor,
    passwordLogin: deps.passwordLogin ?? true,
    sso: sso === undefined ? null : { name: sso.name },
    webhookRules: (req) => ({
      ...webhookRules,
      // A request without Host (HTTP/1.0) names the portal by the address it came in on.
      selfHosts: [req.host ?? socketHost(req.socket), ...webhookRules.selfHosts].filter(
        (host): host is string => host !== undefined && host !== '',
      ),
      selfPorts: [req.socket.localPort ?? 0, ...webhookRules.selfPorts],
    }),
    now,
    logger,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(requestId());
  app.use(allowedHostsOnly(deps.allowedHosts ?? []));
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    // Routers strip their mount path from req.path; log the path as the client sent it.
    const path = req.originalUrl.split('?')[0];
    res.on('finish', () => {
      logger.info(
        {
          requestId: res.locals.requestId,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  });
  app.use(securityHeaders());
  const metrics = createPortalMetrics(deps.issuer.store, logger, deps.metricsToken);
  app.get('/metrics', metrics.handler);
  // Before the single-page app, whose fallback answers every other GET with its page and 200.
  app.use(healthRouter({ ping: () => deps.issuer.store.ping() }));
  app.use('/api/v1/auth/oidc', ssoRouter(apiDeps, sso));
  app.use('/api/v1', createApiRouter(apiDeps, { version: PORTAL_VERSION }));
  app.use(spaRouter(deps.webRoot === undefined ? defaultWebRoot() : deps.webRoot));
  app.use(pageNotFound());
  app.use(pageErrorHandler(logger));
  return { app, sessions, sessionStore, webhooks, webhookRules, metrics };
}

/** `address:port` (IPv6 in brackets) a socket was reached at, or undefined once it closed. */
function socketHost(socket: { localAddress?: string; localPort?: number }): string | undefined {
  const { localAddress, localPort } = socket;
  if (localAddress === undefined || localPort === undefined) return undefined;
  return isIP(localAddress) === 6
    ? `[${localAddress}]:${localPort}`
    : `${localAddress}:${localPort}`;
}
