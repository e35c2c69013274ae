// The `licensor-issuer` command line as a spec of the CLI kit: its commands, their arguments and
// options, and the help text, all from here.

import type { CliSpec, OptionSpec, Options, ParsedCommandLine } from '@licensor/cli-kit';
import { DEFAULT_GRACE_DAYS, DEFAULT_TERM_DAYS, TERMS_LIMITS } from '../domain/terms-limits.js';
import { ISSUER_VERSION } from '../version.js';
import { AUDIT_COMMANDS } from './audit-commands.js';
import { CATALOG_COMMANDS, ENTITLEMENT_OPTIONS } from './catalog-commands.js';
import { FORK_COMMANDS } from './fork-commands.js';
import { RESTORE_COMMANDS } from './restore-commands.js';

const { credentials, termDays, graceDays } = TERMS_LIMITS;

const reason: Options = {
  reason: { type: 'string', value: 'TEXT', help: 'why (kept in the audit log)' },
};
const term: Options = {
  'term-days': {
    type: 'string',
    value: 'D',
    help: `subscription term in days, ${termDays.min} to ${termDays.max} (default ${DEFAULT_TERM_DAYS} for a new term)`,
  },
  'grace-days': {
    type: 'string',
    value: 'G',
    help: `offline grace in days, ${graceDays.min} to ${graceDays.max} (default ${DEFAULT_GRACE_DAYS} for a new term)`,
  },
};
const armour: Options = {
  armour: {
    type: 'boolean',
    help: 'print the key as a BEGIN/END LICENSOR LICENSE block (for e-mail and files); issue: preceded by the LICENSOR KEY SET blocks the installation lacks, when its challenge says which it trusts (SDK format 2)',
  },
};
const password: Options = {
  'password-stdin': { type: 'boolean', help: 'read the password from stdin' },
  'one-time': {
    type: 'boolean',
    help: 'the user must choose their own at the next portal login (always so for a generated one)',
  },
};
const role: Options = {
  role: { type: 'string', value: 'admin|issuer|viewer', help: 'the user role' },
};

function hsmOption(help: string): OptionSpec {
  return { type: 'boolean', help: `${help}; the token from LICENSOR_PKCS11_*` };
}

/** Values that begin with a dash: a key id is 43 base64url characters, 1 in 64 begins with `-`. */
const KEY_ID = /^-[A-Za-z0-9_-]{42}$/;

export const ISSUER_CLI: CliSpec = {
  name: 'licensor-issuer',
  version: ISSUER_VERSION,
  summary: "the vendor's license authority: signing keys, license keys, licenses, users.",
  dashedValue: (arg) => KEY_ID.test(arg),
  common: {
    data: {
      type: 'string',
      value: 'DIR',
      help: 'data folder (default $LICENSOR_DATA, else ./.licensor-data, as `pnpm start`); MONGODB_URI selects MongoDB',
    },
    json: { type: 'boolean', help: 'machine-readable output' },
    operator: {
      type: 'string',
      value: 'NAME',
      help: 'who acts (default $LICENSOR_OPERATOR, else cli:<os user>)',
    },
  },
  commands: [
    {
      name: 'init',
      summary: 'create the license-use and status-use signing keys',
      options: { hsm: hsmOption('make the license key inside the PKCS#11 token') },
    },
    {
      name: 'keys list',
      summary:
        "list signing keys (next, active, retired, revoked), the vendor's and the products', with the license tokens each signed, and the installations on each key set version",
      options: {
        product: { type: 'string', value: 'ID|NAME', help: "only that product's own keys" },
      },
    },
    {
      name: 'keys usage',
      summary:
        'the same counts as one object (--json: keys, newestKeyset, keysets, installationsReporting, installationsOnNewest)',
    },
    {
      name: 'keys rotate',
      summary: 'make a next key (default: license): published and trusted, not signing yet',
      options: {
        use: { type: 'string', value: 'license|status', help: 'the key to rotate' },
        product: {
          type: 'string',
          value: 'ID|NAME',
          help: "a license key of that product's own: it signs the licenses that cover that product alone",
        },
        hsm: hsmOption('make the license key inside the PKCS#11 token (license keys only)'),
      },
    },
    {
      name: 'keys activate',
      args: ['KID'],
      summary:
        'the next key signs from now on; the old one is retired (a license key re-signs every license for online delivery)',
    },
    {
      name: 'keys retire',
      args: ['KID'],
      summary: 'confirm a key is retired (activation retires the key it replaces)',
    },
    {
      name: 'keys revoke',
      args: ['KID'],
      summary:
        'trusted by nobody from the next key set on; lists the licenses that still depend on it and how they get a new key',
      options: {
        reason: { type: 'string', value: 'TEXT', help: 'why (kept in the audit log)' },
      },
    },
    {
      name: 'keys export',
      summary:
        'print the public JWKS (what the SDK ships with); --keyset: every signed key set version, armoured, for an offline installation (licensor trust)',
      options: {
        keyset: { type: 'boolean', help: 'the signed key set versions instead of the JWKS' },
        product: {
          type: 'string',
          value: 'ID|NAME',
          help: "what a build of that product ships with: the vendor's keys and the product's own (--keyset: the versions its installations walk)",
        },
      },
    },
    {
      name: 'inspect',
      args: ['CHALLENGE|@FILE|-'],
      summary: 'what a challenge is and what to know before issuing',
    },
    {
      name: 'issue',
      args: ['CHALLENGE|@FILE|-'],
      summary: 'issue a license key (stdout: the key only)',
      details: `A subscription without --term-days gets ${DEFAULT_TERM_DAYS} days and ${DEFAULT_GRACE_DAYS} days of grace.`,
      options: {
        customer: { type: 'string', value: 'NAME', help: 'customer name (required)' },
        ...ENTITLEMENT_OPTIONS,
        'customer-id': { type: 'string', value: 'ID', help: 'an existing customer (cus_…)' },
        credentials: {
          type: 'string',
          value: 'N',
          help: `credentials the license allows, ${credentials.min} to ${credentials.max} (required; with --plan default the plan's)`,
        },
        model: {
          type: 'string',
          value: 'perpetual|subscription',
          help: "license model (required; with --plan the plan's)",
        },
        ...term,
        supersede: {
          type: 'boolean',
          help: 'the installation holds another license: revoke it as superseded by this one',
        },
        ...armour,
      },
    },
    {
      name: 'licenses list',
      summary: 'licenses, newest first',
      options: {
        state: { type: 'string', value: 'active|suspended|revoked', help: 'only this state' },
        model: { type: 'string', value: 'perpetual|subscription', help: 'only this model' },
        search: { type: 'string', value: 'TEXT', help: 'customer name or license id contains' },
        plan: {
          ...ENTITLEMENT_OPTIONS.plan!,
          help: 'only licenses issued from this plan (id or name)',
        },
        product: { type: 'string', value: 'NAME', help: 'only licenses covering this product' },
        feature: { ...ENTITLEMENT_OPTIONS.feature!, help: 'only licenses granting this feature' },
        expiring: {
          type: 'string',
          value: 'DAYS',
          help: 'only subscriptions whose term ends in the next DAYS days (30, 60, 90)',
        },
        limit: { type: 'string', value: 'N', help: 'at most N' },
      },
    },
    {
      name: 'licenses show',
      args: ['ID'],
      summary: 'a license, its transactions, requests and last check',
    },
    { name: 'revoke', args: ['ID'], summary: 'revoke a license for good', options: reason },
    { name: 'suspend', args: ['ID'], summary: 'suspend a license until resumed', options: reason },
    { name: 'resume', args: ['ID'], summary: 'resume a suspended license', options: reason },
    {
      name: 'renew',
      args: ['ID'],
      summary: 'a longer term, delivered at the next online check',
      details:
        "Without --term-days, a license of a plan renews by the plan's renewal days; a license without a plan (or of a plan without renewal days) needs --term-days.",
      options: {
        'term-days': {
          ...term['term-days']!,
          help: `days to add to the term, ${termDays.min} to ${termDays.max} (default: the plan's renewal days; required for a license without a plan)`,
        },
        'grace-days': {
          ...term['grace-days']!,
          help: `offline grace in days, ${graceDays.min} to ${graceDays.max} (default: the plan's renewal grace, else the license keeps its grace)`,
        },
        armour: {
          type: 'boolean',
          help: 'print the key as a BEGIN/END LICENSOR LICENSE block, for your records: not to send, the CMS takes a renewal only from its online check (pasted by hand: ERR_CHALLENGE_REQUIRED)',
        },
      },
    },
    {
      name: 'requests list',
      summary: 'model switches and rehosts',
      options: {
        status: { type: 'string', value: 'pending|approved|rejected', help: 'only this status' },
      },
    },
    {
      name: 'approve',
      args: ['REQUEST_ID'],
      summary: 'approve a model switch or a rehost; prints the key',
      details: `A switch to subscription starts a term of ${DEFAULT_TERM_DAYS} days with ${DEFAULT_GRACE_DAYS} days of grace unless --term-days and --grace-days say otherwise; a rehost keeps the term. The key keeps the license's plan, add-ons and limits unless --plan, --feature and --limit say otherwise (within the plan's bounds). Run again with the same terms, it gives the same key; with other terms it is refused.`,
      options: {
        ...term,
        ...ENTITLEMENT_OPTIONS,
        credentials: {
          type: 'string',
          value: 'N',
          help: 'credentials (default: what the installation asks, else the license has)',
        },
        ...armour,
      },
    },
    { name: 'reject', args: ['REQUEST_ID'], summary: 'decline a request', options: reason },
    ...CATALOG_COMMANDS,
    ...FORK_COMMANDS,
    ...RESTORE_COMMANDS,
    { name: 'customers list', summary: 'customers' },
    {
      name: 'customers rename',
      args: ['CUSTOMER_ID', 'NAME'],
      summary: "rename a customer in the vendor's records (keys already issued keep the old name)",
      details:
        'The rename does not reach the CMS by itself: the licenses and the keys already issued keep the name they were signed with, and the CMS shows it, until the next key of each license (a renewal, an approved request, a new challenge answered).',
    },
    {
      name: 'users add',
      args: ['NAME'],
      summary: 'add a portal user',
      details:
        'The password comes from stdin (--password-stdin), from $LICENSOR_USER_PASSWORD, or is generated and printed once. A generated password, or one given with --one-time, is one-time: the portal asks the user for their own at the first login and allows nothing else until then.',
      options: { ...role, ...password },
    },
    { name: 'users list', summary: 'portal users' },
    {
      name: 'users set-password',
      args: ['NAME'],
      summary: 'a new password for a forgotten one',
      details:
        "From stdin, $LICENSOR_USER_PASSWORD, or generated and printed once; the portal's open sessions of that user end within 5 seconds. A generated password, or one given with --one-time, is one-time: the portal asks for the user's own at the next login.",
      options: password,
    },
    { name: 'users set-role', args: ['NAME'], summary: "change a user's role", options: role },
    { name: 'users disable', args: ['NAME'], summary: 'a user may no longer log in' },
    { name: 'users enable', args: ['NAME'], summary: 'a disabled user may log in again' },
    {
      name: 'users reset-2fa',
      args: ['NAME'],
      summary: "turn off a user's two-factor login (lost authenticator and recovery codes)",
      details:
        "For the portal's TOTP login: the user then logs in with the password alone, and enrols again if the two-factor policy requires it. Audited as 2fa.reset.",
    },
    {
      name: 'audit',
      summary: 'the audit log, newest first',
      options: { limit: { type: 'string', value: 'N', help: 'at most N events' } },
    },
    ...AUDIT_COMMANDS,
  ],
  footer: `environment:
  LICENSOR_DATA                   the data folder when --data is not given
  LICENSOR_KEY_PASSPHRASE         seals license signing keys at rest (the issuing side's secret)
  LICENSOR_STATUS_KEY_PASSPHRASE  seals status signing keys (the verify service's secret; must differ)
  MONGODB_URI                     use this MongoDB instead of the SQLite file in the data folder
  LICENSOR_PKCS11_MODULE          PKCS#11 library of the HSM (license keys made with --hsm)
  LICENSOR_PKCS11_TOKEN           label of the HSM token that holds them
  LICENSOR_PKCS11_PIN_FILE        file holding the token's user PIN (or LICENSOR_PKCS11_PIN)

exit codes: 0 done, 1 refused (error: CODE: message), 2 usage error`,
};

/** A command line to run: the command, its arguments and option values. */
export type ParsedArgs = Extract<ParsedCommandLine, { kind: 'run' }>;
