// The `licensor-portal` command line as a spec of the CLI kit (`@licensor/cli-kit`): the same
// help format, --help/--version and usage-error shape as `licensor`, `licensor-issuer` and
// `licensor-verify`.

import type { CliSpec } from '@licensor/cli-kit';
import { PORTAL_VERSION } from '../server/app.js';

export const PORTAL_CLI: CliSpec = {
  name: 'licensor-portal',
  version: PORTAL_VERSION,
  summary:
    "the vendor's web portal and its REST API (/api/v1), on the same store as licensor-issuer.",
  commands: [
    {
      name: 'serve',
      summary: 'serve the portal until stopped',
      details:
        'MONGODB_URI selects the MongoDB store; otherwise the SQLite file under --data. Every setting is checked before the store is opened: a wrong one exits 2 and touches nothing. SIGTERM/SIGINT stop gracefully (the webhook sender and the check roll-up finish, then the store is closed).',
      options: {
        port: {
          type: 'string',
          value: 'P',
          help: 'port to listen on, 0 for any free one (env LICENSOR_PORTAL_PORT, default 4000)',
        },
        host: {
          type: 'string',
          value: 'H',
          help: 'address to bind (default 127.0.0.1; 0.0.0.0 behind a proxy)',
        },
        data: {
          type: 'string',
          value: 'DIR',
          help: 'data folder of the SQLite store (env LICENSOR_DATA, default ./.licensor-data); ignored when MONGODB_URI is set',
        },
        'trust-proxy': {
          type: 'string',
          value: 'HOPS',
          help: 'number of proxies in front (sets express "trust proxy"), so Secure cookies and the login rate limit see the client\'s scheme and address',
        },
        'allowed-host': {
          type: 'string',
          value: 'NAME',
          multiple: true,
          help: 'a host name users reach the portal by (repeatable; also LICENSOR_PORTAL_HOSTS, comma-separated). Requests naming any other host are refused (DNS rebinding); localhost and IP addresses are always answered',
        },
      },
    },
  ],
  footer: `environment:
  MONGODB_URI                     use the MongoDB store instead of the SQLite file
  LICENSOR_KEY_PASSPHRASE         unlocks signing keys sealed with a passphrase
  LICENSOR_2FA_KEY                seals users' TOTP secrets at rest
  LICENSOR_OIDC_*                 single sign-on (LICENSOR_PASSWORD_LOGIN=off: SSO only)
  LICENSOR_METRICS_TOKEN          serves GET /metrics to a scrape sending Authorization: Bearer
                                  <it> (at least 16 characters); unset, /metrics is off
  LICENSOR_CHECK_RETENTION_DAYS   days of raw check records kept (default 30); older ones are
                                  rolled up per license per day, hourly, then dropped
  LICENSOR_NEAR_CAP_PERCENT       usage.near-cap webhook at this share of the cap (1-100, default 90)
  LICENSOR_CHECK_INTERVAL_SECONDS how often installations check (default 86400)
  LICENSOR_CHECK_STOPPED_AFTER_SECONDS
                                  check.stopped webhook after this long without a check
                                  (default two intervals)

exit codes: 0 stopped, 1 refused (error: CODE: message), 2 usage or setting error`,
};
