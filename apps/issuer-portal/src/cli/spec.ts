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
        'MONGODB_URI selects the MongoDB store; otherwise the SQLite file under --data. Every option and variable is checked before the store is opened: a wrong one exits 2 naming it and touches nothing (the HSM settings LICENSOR_PKCS11_* and LICENSOR_STATUS_KEY_PASSPHRASE are read when a key needs them). SIGTERM/SIGINT stop gracefully (the webhook sender and the check roll-up finish, then the store is closed).',
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
  footer: `environment (empty counts as unset; switches take on/off, true/false, yes/no, 1/0):
  MONGODB_URI                           use the MongoDB store instead of the SQLite file
  LICENSOR_DATA                         the data folder when --data is not given (default ./.licensor-data)
  LICENSOR_PORTAL_PORT                  the port when --port is not given (default 4000)
  LICENSOR_PORTAL_HOSTS                 host names users reach the portal by, comma-separated (as --allowed-host)
  LICENSOR_PORTAL_URL                   the portal's URL(s), comma-separated: webhooks never go there
  LICENSOR_KEY_PASSPHRASE               unlocks license signing keys sealed with a passphrase
  LICENSOR_STATUS_KEY_PASSPHRASE        seals a status key the Keys page rotates (503 without)
  LICENSOR_2FA_KEY                      seals users' TOTP secrets at rest (at least 16 characters)
  LICENSOR_OIDC_ISSUER                  single sign-on: the provider's issuer URL (https; http on loopback)
  LICENSOR_OIDC_CLIENT_ID               single sign-on: the client registered at the provider
  LICENSOR_OIDC_CLIENT_SECRET           single sign-on: its secret (HTTP Basic at the token endpoint)
  LICENSOR_OIDC_REDIRECT_URL            single sign-on: this portal's callback, as registered
  LICENSOR_OIDC_ROLE_MAP                single sign-on: GROUP=ROLE,… (the highest role wins)
  LICENSOR_OIDC_GROUPS_CLAIM            single sign-on: the claim listing the groups (default groups)
  LICENSOR_OIDC_SCOPES                  single sign-on: scopes asked for (default openid email profile)
  LICENSOR_OIDC_NAME                    single sign-on: the login button's name
  LICENSOR_PASSWORD_LOGIN               on/off (default on); off: single sign-on only
  LICENSOR_METRICS_TOKEN                serves GET /metrics to Authorization: Bearer <it> (16+ chars); unset: off
  LOG_LEVEL                             fatal, error, warn, info, debug, trace or silent (default info)
  LICENSOR_CHECK_RETENTION_DAYS         days of raw check records kept, then rolled up per day (default 30)
  LICENSOR_WEBHOOKS                     on/off (default on): whether this process sends webhooks
  LICENSOR_WEBHOOK_TIMEOUT_MS           each webhook attempt's time, 100 to 300000 (default 10000)
  LICENSOR_WEBHOOK_DENY_PRIVATE         on/off (default off): refuse webhook URLs on private networks
  LICENSOR_WEBHOOK_RETENTION_DAYS       days sent and failed deliveries are kept, above 30 (default 90)
  LICENSOR_NEAR_CAP_PERCENT             usage.near-cap webhook at this share of the cap (1-100, default 90)
  LICENSOR_CHECK_INTERVAL_SECONDS       how often installations check, 60 to 31536000 (default 86400)
  LICENSOR_CHECK_STOPPED_AFTER_SECONDS  check.stopped webhook after this silence (default two intervals)
  LICENSOR_AUTO_RENEW                   on/off (default on): whether this process runs the auto-renew job
  LICENSOR_PKCS11_MODULE                PKCS#11 library of the HSM (license keys made with hsm: true)
  LICENSOR_PKCS11_TOKEN                 label of the HSM token that holds them
  LICENSOR_PKCS11_PIN_FILE              file holding the token's user PIN (or LICENSOR_PKCS11_PIN)
  LICENSOR_PKCS11_PIN                   the token's user PIN itself (or LICENSOR_PKCS11_PIN_FILE)
  LICENSOR_SQLITE_CACHE_MIB             SQLite page cache per connection, MiB (default sized from the store)
  LICENSOR_SQLITE_ISSUE_THREAD          on/off (default on): SQLite commits on a thread of their own
  LICENSOR_SQLITE_CHECKPOINT_THREAD     on/off (default on): SQLite checkpoints on a thread of their own

exit codes: 0 stopped, 1 refused (error: CODE: message), 2 usage or setting error`,
};
