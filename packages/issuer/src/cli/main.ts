// The `licensor-issuer` CLI: a thin layer over the Issuer. Exit 0 on success, 1 when the
// operation is refused (a typed error: `error: CODE: message` on stderr, or with --json
// `{"error":{"code","message"}}` on stdout), 2 for usage errors.

import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import {
  type CliIo,
  formatUsageError,
  isUsageError,
  parseCommandLine,
  readArgument,
  type UsageError,
} from '@licensor/cli-kit';
import { isLicensorError } from '@licensor/token';
import { openIssuer } from '../domain/open-issuer.js';
import { dataDirOf, openStore } from '../store/open-store.js';
import type { LicensorStore } from '../store/ports.js';
import { type CommandRun, execute } from './commands.js';
import { ISSUER_CLI, type ParsedArgs } from './spec.js';

export type { CliIo };

/** The option a term's field is given with, named beside a terms error. */
const TERM_FLAGS: Record<string, string> = {
  customerName: '--customer',
  customerId: '--customer-id',
  credentials: '--credentials',
  model: '--model',
  termDays: '--term-days',
  graceDays: '--grace-days',
  plan: '--plan',
  features: '--feature',
  limits: '--limit',
};

function operatorOf(args: ParsedArgs, env: CliIo['env']): string {
  if (typeof args.values.operator === 'string') return args.values.operator;
  if (env.LICENSOR_OPERATOR) return env.LICENSOR_OPERATOR;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${env.USER ?? 'operator'}`;
  }
}

/** The error and one line on where the help is (with --json, the error object on stdout). */
function usageError(io: CliIo, error: UsageError, asJson: boolean): number {
  const text = formatUsageError(ISSUER_CLI, error, asJson);
  if (asJson) io.stdout(text);
  else io.stderr(text);
  return 2;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(ISSUER_CLI, argv);
  } catch (error) {
    if (isUsageError(error)) return usageError(io, error, argv.includes('--json'));
    throw error;
  }
  if (parsed.kind !== 'run') {
    io.stdout(parsed.text);
    return 0;
  }
  const args: ParsedArgs = parsed;
  const asJson = args.values.json === true;
  const dataFlag = typeof args.values.data === 'string' ? args.values.data : undefined;
  const dataDir = resolve(io.cwd, dataDirOf(dataFlag, io.env));
  const mongoUri = io.env.MONGODB_URI;
  let store: LicensorStore | undefined;
  try {
    // Only `init` and `users add` (the first admin) make a new store: any other command on a
    // folder without one would quietly create an empty store and not find what it was asked about.
    const creates = args.command === 'init' || args.command === 'users add';
    store = await openStore({ dataDir, create: creates, ...(mongoUri ? { mongoUri } : {}) });
    const passphrase = io.env.LICENSOR_KEY_PASSPHRASE;
    const statusPassphrase = io.env.LICENSOR_STATUS_KEY_PASSPHRASE;
    const issuer = await openIssuer({
      store,
      passphrase: passphrase ?? '',
      statusPassphrase: statusPassphrase ?? '',
    });
    const run: CommandRun = {
      args,
      issuer,
      operator: operatorOf(args, io.env),
      io,
      dataDir,
      readArgument: (argument) => readArgument(argument, io, 'the challenge'),
    };
    const output = await execute(run);
    io.stdout(asJson ? `${JSON.stringify(output.value, null, 2)}\n` : output.text);
    return 0;
  } catch (error) {
    if (isUsageError(error)) {
      error.command ??= args.command;
      return usageError(io, error, asJson);
    }
    if (!isLicensorError(error)) throw error;
    if (asJson) {
      io.stdout(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
    } else {
      const field = error.code === 'ERR_TERMS_INVALID' ? (error as { field?: string }).field : '';
      // `limits.sites`, `features[0]`: the option of the list the field is in.
      // `customers rename ID NAME` takes the name as its argument, not as --customer.
      const flag =
        args.command === 'customers rename' && field === 'customerName'
          ? 'NAME'
          : TERM_FLAGS[(field ?? '').replace(/[.[].*$/, '')];
      io.stderr(`error: ${error.code}: ${error.message}${flag ? ` (${flag})` : ''}\n`);
    }
    return 1;
  } finally {
    await store?.close();
  }
}
