// The `licensor-issuer` CLI: a thin layer over the Issuer. Exit 0 on success, 1 when the
// operation is refused (a typed error: `error: CODE: message` on stderr, or with --json
// `{"error":{"code","message"}}` on stdout), 2 for usage errors.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { isLicensorError } from '@licensor/token';
import { openIssuer } from '../domain/open-issuer.js';
import { StoreNotFoundError } from '../errors.js';
import { dataDirOf, openStore, SQLITE_FILE } from '../store/open-store.js';
import type { LicensorStore } from '../store/ports.js';
import { type ParsedArgs, parseCommandLine } from './args.js';
import { type CommandRun, execute } from './commands.js';
import { USAGE, UsageError } from './usage.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: Record<string, string | undefined>;
  cwd: string;
}

function operatorOf(args: ParsedArgs, env: CliIo['env']): string {
  if (typeof args.values.operator === 'string') return args.values.operator;
  if (env.LICENSOR_OPERATOR) return env.LICENSOR_OPERATOR;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${env.USER ?? 'operator'}`;
  }
}

/** A challenge given as text, `@FILE` or `-` (stdin). */
export async function readArgument(argument: string, io: CliIo): Promise<string> {
  if (argument === '-') return io.readStdin();
  if (!argument.startsWith('@')) return argument;
  try {
    return await readFile(resolve(io.cwd, argument.slice(1)), 'utf8');
  } catch {
    throw new UsageError(`cannot read ${argument.slice(1)}`);
  }
}

function usageError(io: CliIo, error: UsageError): number {
  io.stderr(`error: ERR_USAGE: ${error.message}\n\n${USAGE}`);
  return 2;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let args: ParsedArgs | 'help';
  try {
    args = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error);
    throw error;
  }
  if (args === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const asJson = args.values.json === true;
  const dataFlag = typeof args.values.data === 'string' ? args.values.data : undefined;
  const dataDir = resolve(io.cwd, dataDirOf(dataFlag, io.env));
  const mongoUri = io.env.MONGODB_URI;
  let store: LicensorStore | undefined;
  try {
    // Only `init` and `users add` (the first admin) make a new store: any other command on a
    // folder without one would quietly create an empty store and not find what it was asked about.
    const creates = args.command === 'init' || args.command === 'users add';
    if (!mongoUri && !creates && !existsSync(join(dataDir, SQLITE_FILE))) {
      throw new StoreNotFoundError(dataDir);
    }
    store = await openStore({ dataDir, ...(mongoUri ? { mongoUri } : {}) });
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
      readArgument: (argument) => readArgument(argument, io),
    };
    const output = await execute(run);
    io.stdout(asJson ? `${JSON.stringify(output.value, null, 2)}\n` : output.text);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return usageError(io, error);
    if (!isLicensorError(error)) throw error;
    if (asJson) {
      io.stdout(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
    } else {
      io.stderr(`error: ${error.code}: ${error.message}\n`);
    }
    return 1;
  } finally {
    await store?.close();
  }
}
