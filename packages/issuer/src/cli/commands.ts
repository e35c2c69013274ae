// One function per `licensor-issuer` command: each calls the Issuer and returns what to print,
// as text and as the value printed with --json.

import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { oneOf, text as optionText, required, UsageError, wholeNumber } from '@licensor/cli-kit';
import { armour, armourBundle, type KeyPurpose, newId } from '@licensor/token';
import { ProductNotFoundError } from '../catalog/errors.js';
import { TERMS_LIMITS } from '../domain/terms-limits.js';
import { ROLES } from '../domain/users.js';
import { LicenseNotFoundError, UserNotFoundError } from '../errors.js';
import type { Issuer } from '../facade.js';
import { loadKeyPair } from '../keys/load-keys.js';
import type { Customer, Role, Terms } from '../records.js';
import { customerCursor, nextCursorOf } from '../store/cursors.js';
import type { LicenseFilter } from '../store/ports.js';
import { AUDIT_HANDLERS } from './audit-commands.js';
import {
  CATALOG_HANDLERS,
  entitlementTerms,
  formatEntitlementInspection,
  licenseFilterOf,
  planDefaults,
} from './catalog-commands.js';
import { FORK_HANDLERS } from './fork-commands.js';
import {
  formatAudit,
  formatCustomers,
  formatInspection,
  formatKeys,
  formatKeysetTrust,
  formatLicense,
  formatLicenses,
  formatRequests,
  formatRevocation,
  formatUsers,
} from './format.js';
import { RESTORE_HANDLERS } from './restore-commands.js';
import type { ParsedArgs } from './spec.js';

export interface CommandRun {
  args: ParsedArgs;
  issuer: Issuer;
  operator: string;
  io: {
    stderr: (text: string) => void;
    /** Stdout with backpressure, for output written as it is read (the audit export). */
    writeStdout: (text: string) => Promise<void>;
    readStdin: () => Promise<string>;
    env: Record<string, string | undefined>;
  };
  dataDir: string;
  readArgument: (argument: string) => Promise<string>;
}

export interface CommandOutput {
  text: string;
  value: unknown;
}

const MODELS = ['perpetual', 'subscription'] as const;

function text(args: ParsedArgs, name: string): string | undefined {
  return optionText(args.values, name);
}

/**
 * A whole number; the bounds of a term (credentials, days) are the issuer's to check, so that
 * they live in one place and a refusal names the field and its bound (ERR_TERMS_INVALID).
 */
function number(args: ParsedArgs, name: string, minimum = 0): number | undefined {
  const value = text(args, name);
  const limits = TERM_OPTIONS[name];
  // Not a whole number at all (-5, 1e3, more digits than any bound): say the term's real range.
  if (value !== undefined && limits !== undefined && !/^\d{1,15}$/.test(value)) {
    throw new UsageError(
      `--${name} must be a whole number from ${limits.min} to ${limits.max}; got "${value}"`,
    );
  }
  return wholeNumber(value, `--${name}`, { min: minimum });
}

/** The options that are terms, by the issuer's one set of limits (TERMS_LIMITS). */
const TERM_OPTIONS: Record<string, { min: number; max: number } | undefined> = {
  credentials: TERMS_LIMITS.credentials,
  'term-days': TERMS_LIMITS.termDays,
  'grace-days': TERMS_LIMITS.graceDays,
};

/**
 * A license key as printed: compact, or with --armour the BEGIN/END block, after the blocks of
 * the key set versions the installation lacks (an offline bundle the SDK applies in one step).
 */
function keyText(run: CommandRun, token: string, keysets: readonly string[] = []): string {
  if (run.args.values.armour === true) return armourBundle(token, keysets);
  if (keysets.length > 0) {
    run.io.stderr(
      `note: the installation trusts an older version of the vendor key set; this bare key does not carry the ${keysets.length} version(s) it lacks. Print it with --armour to send them with the key (the CMS applies the bundle in one step), or send keys export --keyset beside it.\n`,
    );
  }
  return `${token}\n`;
}

/** `{ [key]: value }` when the value is given, `{}` otherwise (exactOptionalPropertyTypes). */
function given<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function warnPlainKeys(run: CommandRun, created: { protection: string }[]): void {
  if (!created.some((key) => key.protection === 'file')) return;
  const folder = resolve(run.dataDir, 'keys');
  run.io.stderr(
    '\nWARNING: LICENSOR_KEY_PASSPHRASE is not set: private signing keys are NOT encrypted.\n' +
      `WARNING: they are plain files in ${folder} (mode 0600, owner only).\n` +
      'WARNING: anyone who can read the license key file can mint licenses, the verify service too.\n' +
      'WARNING: set LICENSOR_KEY_PASSPHRASE and LICENSOR_STATUS_KEY_PASSPHRASE (two different\n' +
      'WARNING: secrets) to seal new keys (AES-256-GCM, scrypt).\n\n',
  );
}

/**
 * A license key's passphrase shorter than this (characters), or the examples' `change-me…`
 * placeholder, draws a warning when it seals one.
 */
const STRONG_PASSPHRASE_CHARS = 16;

/**
 * A new license key sealed under a short LICENSOR_KEY_PASSPHRASE (or the placeholder). The verify service's database
 * role can read the sealed license keys, and scrypt makes a guess cost only about 0.1 s: a short
 * passphrase is found offline, and the key with it. Warned, not refused: stores sealed under a
 * short one exist, and all the license keys of a store are sealed under one passphrase (a new one
 * that does not open them is ERR_PASSPHRASE_WRONG).
 */
function warnShortPassphrase(
  run: CommandRun,
  created: { purpose: string; protection: string }[],
): void {
  if (!created.some((key) => key.purpose === 'license' && key.protection === 'encrypted')) return;
  const passphrase = run.io.env.LICENSOR_KEY_PASSPHRASE ?? '';
  const length = [...passphrase].length;
  // The examples' placeholder (deploy/*.env.example) is long enough, and public.
  const placeholder = /^change-?me/i.test(passphrase.trim());
  if (length >= STRONG_PASSPHRASE_CHARS && !placeholder) return;
  const why = placeholder
    ? "is the examples' placeholder (`change-me…`), which anyone can read"
    : `has ${length} characters, fewer than ${STRONG_PASSPHRASE_CHARS}`;
  run.io.stderr(
    `\nWARNING: LICENSOR_KEY_PASSPHRASE ${why}: the new license key is sealed under a weak secret.\n` +
      "WARNING: the verify service's database role can read the sealed license keys, and a guess\n" +
      'WARNING: costs about 0.1 s (scrypt): a short passphrase is found offline, and with it anyone\n' +
      'WARNING: can mint licenses. Make a strong one with `openssl rand -base64 32`; all the license\n' +
      'WARNING: keys of a store are sealed under one passphrase, so set a strong one before `init`.\n\n',
  );
}

/**
 * `init` on a store that has keys already makes none, so a secret given to it would otherwise
 * never be tried: each one given (non-empty) must open the newest key sealed under it, or the
 * command is refused with ERR_PASSPHRASE_WRONG before anything is written. A secret not given is
 * not checked (a store of plain key files, or a shell with one role's secret only); the first
 * command that needs it asks for it.
 */
async function checkGivenSecrets(run: CommandRun): Promise<void> {
  const secrets = {
    license: run.io.env.LICENSOR_KEY_PASSPHRASE,
    status: run.io.env.LICENSOR_STATUS_KEY_PASSPHRASE,
  };
  for (const purpose of ['license', 'status'] as const) {
    const secret = secrets[purpose];
    if (secret === undefined || secret === '') continue;
    const sealed = await run.issuer.store.readSealedKey(purpose);
    if (sealed !== null) await loadKeyPair(run.dataDir, sealed, purpose, secret);
  }
}

function termsOf(
  args: ParsedArgs,
  plan: Partial<Pick<Terms, 'model' | 'credentials'>> = {},
): Terms {
  return {
    customerName: required(text(args, 'customer'), '--customer'),
    model: required(oneOf(text(args, 'model'), '--model', MODELS) ?? plan.model, '--model'),
    credentials: required(number(args, 'credentials') ?? plan.credentials, '--credentials'),
    ...entitlementTerms(args),
    ...given('customerId', text(args, 'customer-id')),
    ...given('termDays', number(args, 'term-days')),
    ...given('graceDays', number(args, 'grace-days')),
  };
}

async function passwordOf(run: CommandRun): Promise<{ password: string; generated: boolean }> {
  if (run.args.values['password-stdin'] === true) {
    return { password: (await run.io.readStdin()).replace(/\r?\n$/, ''), generated: false };
  }
  const fromEnv = run.io.env.LICENSOR_USER_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, generated: false };
  return { password: randomBytes(18).toString('base64url'), generated: true };
}

function roleOf(args: ParsedArgs): Role {
  return required(oneOf(text(args, 'role'), '--role', ROLES), '--role');
}

type Handler = (run: CommandRun, first: string, second: string) => Promise<CommandOutput>;

const out = (value: unknown, shown: string): CommandOutput => ({ value, text: shown });

/** The catalogue name of `--product` (given by id or name); undefined without the option. */
async function productName(run: CommandRun): Promise<string | undefined> {
  const named = text(run.args, 'product');
  if (named === undefined) return undefined;
  const product = await run.issuer.products.get(named);
  if (product === null) throw new ProductNotFoundError(named);
  return product.name;
}

const HANDLERS: Record<string, Handler> = {
  ...CATALOG_HANDLERS,
  ...FORK_HANDLERS,
  ...RESTORE_HANDLERS,
  ...AUDIT_HANDLERS,
  async init(run) {
    await checkGivenSecrets(run);
    const result = await run.issuer.init(run.operator, { hsm: run.args.values.hsm === true });
    warnPlainKeys(run, result.created);
    warnShortPassphrase(run, result.created);
    const head =
      result.created.length === 0
        ? 'already initialised\n'
        : `created ${result.created.length} key(s)\n`;
    return out(result, head + formatKeys(result.keys));
  },
  async 'keys list'(run) {
    // Each key with what it signed; below, who trusts which key set version.
    const usage = await run.issuer.keys.usage();
    const name = await productName(run);
    const product = name === undefined ? null : await run.issuer.products.get(name);
    const keys = usage.keys.filter((key) => product === null || key.product === product.id);
    return out(keys, formatKeys(keys) + (product === null ? formatKeysetTrust(usage) : ''));
  },
  async 'keys usage'(run) {
    const usage = await run.issuer.keys.usage();
    return out(usage, formatKeys(usage.keys) + formatKeysetTrust(usage));
  },
  async 'keys rotate'(run) {
    const use: KeyPurpose =
      oneOf(text(run.args, 'use'), '--use', ['license', 'status'] as const) ?? 'license';
    const product = text(run.args, 'product');
    const key = await run.issuer.keys.rotate(use, run.operator, {
      hsm: run.args.values.hsm === true,
      ...(product === undefined ? {} : { product }),
    });
    warnPlainKeys(run, [key]);
    warnShortPassphrase(run, [key]);
    const where =
      key.hsm === undefined ? '' : ` in HSM token "${key.hsm.token}" (${key.hsm.label})`;
    return out(
      key,
      `new next ${use} key ${key.kid}${where}: published in the key set, not signing yet.\n` +
        `Installations pick it up at their next check (offline ones: keys export --keyset).\n` +
        `Then: licensor-issuer keys activate ${key.kid}\n`,
    );
  },
  async 'keys activate'(run, kid) {
    const key = await run.issuer.keys.activate(kid, run.operator);
    // Only a key that replaced one says so: a product's first key replaces none.
    const retired =
      key.retired.length === 0
        ? ''
        : `; the key it replaces is retired (${key.retired.join(', ')})`;
    if (key.purpose !== 'license') {
      return out(
        key,
        key.alreadyActive
          ? `${key.kid} is already active: it signs statuses, and nothing was left to do\n`
          : `${key.kid} now signs statuses${retired}\n`,
      );
    }
    const count = `${key.resigned} license${key.resigned === 1 ? '' : 's'}`;
    return out(
      key,
      key.alreadyActive
        ? key.resigned === 0
          ? `${key.kid} is already active: it signs licenses, and no license was left to re-sign\n`
          : `${key.kid} is already active: it signs licenses; re-signed ${count} the retired key still signed\n`
        : `${key.kid} now signs licenses${key.product === undefined ? '' : ` of ${key.product}`}${retired}; re-signed ${count}\n`,
    );
  },
  async 'keys retire'(run, kid) {
    const key = await run.issuer.keys.retire(kid, run.operator);
    return out(key, `retired ${key.kid}\n`);
  },
  async 'keys revoke'(run, kid) {
    const revocation = await run.issuer.keys.revoke(kid, run.operator, text(run.args, 'reason'));
    return out(revocation, formatRevocation(revocation));
  },
  async 'keys export'(run) {
    if (run.args.values.keyset === true) {
      // Every version, armoured, oldest first: what an offline installation pastes.
      const keysets = await run.issuer.keys.keysets(await productName(run));
      return out(keysets, keysets.map((k) => armour(k.token, 'keyset')).join(''));
    }
    const jwks = await run.issuer.keys.exportJwks(text(run.args, 'product'));
    return out(jwks, `${JSON.stringify(jwks, null, 2)}\n`);
  },
  async inspect(run, challenge) {
    const inspection = await run.issuer.inspect(await run.readArgument(challenge), run.operator);
    const data = run.args.values.data;
    const command =
      typeof data === 'string' ? `licensor-issuer --data ${shellQuote(data)}` : 'licensor-issuer';
    return out(
      inspection,
      formatInspection(inspection, command) + formatEntitlementInspection(inspection),
    );
  },
  async issue(run, challenge) {
    const terms = termsOf(run.args, await planDefaults(run));
    const supersede = run.args.values.supersede === true;
    const result = await run.issuer.issue(
      await run.readArgument(challenge),
      terms,
      run.operator,
      supersede ? { supersede } : {},
    );
    return out(result, keyText(run, result.token, result.keysets));
  },
  async 'licenses list'(run) {
    const args = run.args;
    const filter: LicenseFilter = {
      ...given(
        'state',
        oneOf(text(args, 'state'), '--state', ['active', 'suspended', 'revoked'] as const),
      ),
      ...given('model', oneOf(text(args, 'model'), '--model', MODELS)),
      ...given('q', text(args, 'search')),
      ...given('limit', number(args, 'limit', 1)),
      ...(await licenseFilterOf(run, Date.now())),
    };
    const licenses = await run.issuer.listLicenses(filter);
    return out(licenses, formatLicenses(licenses));
  },
  async 'licenses show'(run, id) {
    const detail = await run.issuer.getLicense(id);
    if (detail === null) throw new LicenseNotFoundError(id);
    return out(detail, formatLicense(detail));
  },
  revoke: (run, id) => stateChange(run, 'revoke', id),
  suspend: (run, id) => stateChange(run, 'suspend', id),
  resume: (run, id) => stateChange(run, 'resume', id),
  async renew(run, id) {
    const termDays = number(run.args, 'term-days');
    const graceDays = number(run.args, 'grace-days');
    const result = await run.issuer.renew(
      id,
      { ...given('termDays', termDays), ...given('graceDays', graceDays) },
      run.operator,
    );
    const end = new Date(result.license.term!.end * 1000).toISOString();
    run.io.stderr(
      `renewed until ${end}; the installation receives it at its next online check\n` +
        // The key answers no challenge: `licensor apply` refuses it (ERR_CHALLENGE_REQUIRED).
        'note: the key on stdout is for your records and scripts, not for the customer: the CMS refuses a renewal pasted by hand, armoured or not (ERR_CHALLENGE_REQUIRED). An installation that cannot check online sends a challenge (licensor challenge) and gets its key from issue.\n',
    );
    return out(result, keyText(run, result.token));
  },
  async 'requests list'(run) {
    const status = oneOf(text(run.args, 'status'), '--status', [
      'pending',
      'approved',
      'rejected',
    ] as const);
    const requests = await run.issuer.listRequests(given('status', status));
    return out(requests, formatRequests(requests));
  },
  async approve(run, id) {
    const options = {
      ...given('termDays', number(run.args, 'term-days')),
      ...given('graceDays', number(run.args, 'grace-days')),
      ...given('credentials', number(run.args, 'credentials')),
      ...entitlementTerms(run.args),
    };
    const result = await run.issuer.approveRequest(id, run.operator, options);
    const { license } = result;
    const term =
      license.term === null ? '' : `, until ${new Date(license.term.end * 1000).toISOString()}`;
    const what = result.replayed
      ? `already approved (transaction ${result.transaction.id}, the same key again)`
      : 'approved';
    run.io.stderr(
      `${what}: ${license.id} revision ${license.revision} (${license.model}${term}); the installation receives it at its next online check, or apply the key below with \`licensor apply\`\n`,
    );
    return out(result, keyText(run, result.token, result.keysets));
  },
  async reject(run, id) {
    const reason = text(run.args, 'reason');
    const request = await run.issuer.rejectRequest(
      id,
      run.operator,
      ...(reason === undefined ? [] : [reason]),
    );
    return out(request, `request ${request.id} rejected\n`);
  },
  async 'customers list'(run) {
    // Every customer, a page at a time (by name, by cursor).
    const customers: Customer[] = [];
    for (let after: string | null | undefined; after !== null; ) {
      const page = await run.issuer.listCustomers({
        limit: 1_000,
        ...(after === undefined ? {} : { after }),
      });
      customers.push(...page);
      after = nextCursorOf(page, 1_000, customerCursor);
    }
    return out(customers, formatCustomers(customers));
  },
  async 'customers rename'(run, id, name) {
    const customer = await run.issuer.renameCustomer(id, name, run.operator);
    run.io.stderr(
      "renamed in the vendor's records only: licenses and keys already issued keep the old name, and the CMS shows it until the next key of each license (renew, approve, a new challenge)\n",
    );
    return out(customer, `customer ${customer.id} is now "${customer.name}"\n`);
  },
  async 'users add'(run, name) {
    const role = roleOf(run.args);
    const { password, generated } = await passwordOf(run);
    const user = await run.issuer.users.add(name, role, password, run.operator, {
      oneTime: generated || run.args.values['one-time'] === true,
    });
    if (!generated) return out(user, `added ${user.name} (${user.role})\n`);
    run.io.stderr(
      'the generated password is shown this once: keep it now; it is one-time: the portal asks for a new one at the first login\n',
    );
    return out({ user, password }, `added ${user.name} (${user.role})\npassword: ${password}\n`);
  },
  async 'users list'(run) {
    const users = await run.issuer.users.list();
    return out(users, formatUsers(users));
  },
  async 'users set-role'(run, name) {
    const user = await run.issuer.users.setRole(name, roleOf(run.args), run.operator);
    return out(user, `${user.name} is ${user.role}\n`);
  },
  async 'users set-password'(run, name) {
    const { password, generated } = await passwordOf(run);
    const user = await run.issuer.users.setPassword(name, password, run.operator, {
      oneTime: generated || run.args.values['one-time'] === true,
    });
    if (!generated) return out(user, `${user.name} has a new password\n`);
    run.io.stderr(
      'the generated password is shown this once: keep it now; it is one-time: the portal asks for a new one at the first login\n',
    );
    return out({ user, password }, `${user.name} has a new password\npassword: ${password}\n`);
  },
  async 'users disable'(run, name) {
    const user = await run.issuer.users.disable(name, run.operator);
    return out(user, `${user.name} is disabled\n`);
  },
  async 'users enable'(run, name) {
    const user = await run.issuer.users.enable(name, run.operator);
    return out(user, `${user.name} is enabled\n`);
  },
  async 'users reset-2fa'(run, name) {
    // The break-glass path for a user (the last admin included) who lost the authenticator
    // and the recovery codes: whoever can run this can read the store anyway.
    const user = (await run.issuer.users.list()).find((u) => u.name === name);
    if (user === undefined) throw new UserNotFoundError(name);
    const reset = await run.issuer.store.twoFactor.deleteTwoFactor(user.id);
    if (reset) {
      await run.issuer.store.appendAuditEvent({
        id: newId('evt'),
        at: Date.now(),
        actor: run.operator,
        action: '2fa.reset',
        subjectId: user.id,
        transactionId: null,
        details: { name: user.name, by: 'licensor-issuer' },
      });
    }
    const text = reset
      ? `${user.name}'s two-factor login is off: they log in with the password alone (and enrol again if the policy requires it)\n`
      : `${user.name} has no two-factor login: nothing changed\n`;
    return out({ user, reset }, text);
  },
  async audit(run) {
    const events = await run.issuer.listAuditEvents(given('limit', number(run.args, 'limit', 1)));
    return out(events, formatAudit(events));
  },
};

async function stateChange(
  run: CommandRun,
  change: 'revoke' | 'suspend' | 'resume',
  id: string,
): Promise<CommandOutput> {
  const reason = text(run.args, 'reason');
  const result = await run.issuer[change](
    id,
    run.operator,
    ...(reason === undefined ? [] : [reason]),
  );
  return out(
    result,
    `license ${result.license.id} is ${result.license.state} (transaction ${result.transaction.id})\n`,
  );
}

export async function execute(run: CommandRun): Promise<CommandOutput> {
  const handler = HANDLERS[run.args.command];
  if (handler === undefined) throw new UsageError(`unknown command ${run.args.command}`);
  const [first = '', second = ''] = run.args.positionals;
  const output = await handler(run, first, second);
  // init and keys rotate print the long warning about the keys they made.
  if (run.args.command !== 'init' && run.args.command !== 'keys rotate') {
    await warnPlainActiveKeys(run);
  }
  return output;
}

/** One line on every run while an active signing key is a plain file: never silent. */
async function warnPlainActiveKeys(run: CommandRun): Promise<void> {
  const plain = (await run.issuer.keys.list())
    .filter((key) => key.status === 'active' && key.protection === 'file')
    .sort((a, b) => a.purpose.localeCompare(b.purpose));
  if (plain.length === 0) return;
  const uses = plain.map((key) => key.purpose).join(' and ');
  const rotate = plain.map((key) => `\`licensor-issuer keys rotate --use ${key.purpose}\``);
  run.io.stderr(
    `WARNING: the active ${uses} signing key${plain.length > 1 ? 's are' : ' is'} NOT encrypted (plain file${plain.length > 1 ? 's' : ''} in ${resolve(run.dataDir, 'keys')}); set LICENSOR_KEY_PASSPHRASE and LICENSOR_STATUS_KEY_PASSPHRASE (two different secrets) and run ${rotate.join(' and ')} then \`keys activate\` the new key${plain.length > 1 ? 's' : ''} to replace ${plain.length > 1 ? 'them' : 'it'} with sealed keys\n`,
  );
}

/** A word as a POSIX shell reads it back: bare when safe, else in single quotes. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
