// The `licensor` CLI: one command per button of the CMS license page, over the file store.
// Exit 0 on success, 1 when the operation is refused (a typed error), 2 for usage errors.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ArgumentFileError,
  type CliIo,
  formatUsageError,
  isUsageError,
  readArgument,
  UsageError,
  wholeNumber,
} from '@licensor/cli-kit';
import { isLicensorError, type LicenseModel } from '@licensor/token';
import { SYSTEM_ADMINISTRATOR } from '../authorize.js';
import { assertCapacity, capacityOf } from '../capacity.js';
import { assertLimit, limitCapacityOf } from '../entitlements.js';
import { InputInvalidError, SdkError, StateNotFoundError } from '../errors.js';
import { createLicensor, type Licensor } from '../licensor.js';
import { FileStore, KEY_FILE, STATE_FILE } from '../store/file-store.js';
import type { ChallengeResult, Operator } from '../types.js';
import { SDK_VERSION } from '../version.js';
import { modelOf, namedCountsOf, type ParsedArgs, parseCommandLine } from './args.js';
import {
  closedText,
  describeRequest,
  formatAudit,
  formatAuditVerification,
  formatClosedRequests,
  formatInfo,
  formatRequests,
  time,
} from './format.js';
import { LICENSOR_CLI } from './spec.js';
import { resolveTrust } from './trust.js';

export type { CliIo };

/** Commands that read an installation's state; only `challenge` may start a new one. */
const NEEDS_STATE = new Set([
  'apply',
  'trust',
  'show',
  'capacity',
  'verify',
  'activate',
  'requests',
  'requests cancel',
  'audit',
]);

/**
 * An installation's folder holds its key or its state. An existing empty folder (made by hand,
 * or a mount point) is not one: a command other than `challenge` there would make a new
 * installation as a side effect of, say, a refused `apply`.
 */
function holdsState(stateDir: string): boolean {
  return existsSync(join(stateDir, KEY_FILE)) || existsSync(join(stateDir, STATE_FILE));
}

function osUser(env: CliIo['env']): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? 'operator';
  }
}

function productOf(spec: string | undefined): { name: string; version: string } {
  if (spec === undefined) return { name: 'licensor-cli', version: SDK_VERSION };
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) throw new UsageError('--product must be NAME@VERSION');
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

async function readKey(argument: string, io: CliIo, what = 'the license key'): Promise<string> {
  try {
    return await readArgument(argument, io, what);
  } catch (error) {
    if (!(error instanceof ArgumentFileError)) throw error;
    throw new InputInvalidError(error.message);
  }
}

function trustFileOf(file: string | undefined, io: CliIo): string | undefined {
  return file === undefined || file === '' ? undefined : resolve(io.cwd, file);
}

function optionalCounts<K extends string>(key: K, counts: Record<string, number> | undefined) {
  return counts === undefined ? {} : ({ [key]: counts } as Record<K, Record<string, number>>);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function printChallenge(result: ChallengeResult, args: ParsedArgs, io: CliIo): void {
  if (args.values.json === true) io.stdout(json(result));
  else {
    const text = args.values.armour === true ? result.armoured : result.challenge;
    io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }
}

async function run(
  args: ParsedArgs,
  licensor: Licensor,
  operator: Operator,
  io: CliIo,
): Promise<number> {
  const { values, positionals } = args;
  const asJson = values.json === true;
  const inUse = wholeNumber(values['in-use'], '--in-use', { min: 0 });
  switch (args.command) {
    case 'challenge': {
      const credentials = wholeNumber(values.credentials, '--credentials', { min: 1 });
      const model = modelOf(values.model);
      const options = {
        ...(credentials === undefined ? {} : { credentials }),
        ...(model === undefined ? {} : { model }),
        ...(values.customer === undefined ? {} : { customerName: values.customer }),
        ...(inUse === undefined ? {} : { credentialsInUse: inUse }),
        ...(values.feature === undefined ? {} : { features: values.feature }),
        ...optionalCounts('limits', namedCountsOf(values['ask-limit'], '--ask-limit')),
        ...optionalCounts('limitsInUse', namedCountsOf(values['limit-in-use'], '--limit-in-use')),
      };
      printChallenge(await licensor.createChallenge(operator, options), args, io);
      return 0;
    }
    case 'activate': {
      const target = modelOf(positionals[0]) as LicenseModel;
      printChallenge(
        await licensor.requestModelSwitch(
          operator,
          target,
          inUse === undefined ? {} : { credentialsInUse: inUse },
        ),
        args,
        io,
      );
      return 0;
    }
    case 'apply': {
      const result = await licensor.applyLicenseKey(
        operator,
        await readKey(positionals[0] ?? '', io),
      );
      io.stdout(
        asJson
          ? json(result)
          : `Applied license ${result.licenseId} revision ${result.revision} (transaction ${result.transactionId}). State: ${result.info.state}.\n`,
      );
      return 0;
    }
    case 'trust': {
      const result = await licensor.applyKeysets(
        operator,
        await readKey(positionals[0] ?? '', io, 'the key set'),
      );
      io.stdout(
        asJson
          ? json(result)
          : `Trusting vendor key set version ${result.keysetVersion} (was ${result.previousVersion}): ${result.keys.length} keys.\n`,
      );
      return 0;
    }
    case 'show': {
      const info = await licensor.getLicenseInfo(operator);
      io.stdout(asJson ? json(info) : formatInfo(info));
      return 0;
    }
    case 'capacity': {
      const info = await licensor.getLicenseInfo(operator);
      const name = values.limit;
      const capacity =
        name === undefined ? capacityOf(info, inUse ?? 0) : limitCapacityOf(info, name, inUse ?? 0);
      try {
        if (name === undefined) assertCapacity(info, capacity.inUse, 1);
        else assertLimit(info, name, capacity.inUse, 1);
      } catch (error) {
        if (error instanceof SdkError) return refuse(error, asJson, io, `State: ${info.state}.`);
        throw error;
      }
      io.stdout(
        asJson
          ? json(capacity)
          : `${capacity.inUse} of ${capacity.limit} ${name ?? 'credentials'} in use; ${capacity.available} more may be ${name === undefined ? 'managed' : 'used'}. State: ${capacity.state}.\n`,
      );
      return 0;
    }
    case 'verify': {
      const url = values.url ?? io.env.LICENSOR_VERIFY_URL;
      const timeoutMs = wholeNumber(values.timeout, '--timeout', { min: 1 });
      const result = await licensor.verifyOnline(operator, {
        ...(url === undefined ? {} : { url }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(inUse === undefined ? {} : { credentialsInUse: inUse }),
      });
      if (result.error !== null)
        return refuse(result.error, asJson, io, `State: ${result.info.state}.`);
      if (asJson) io.stdout(json(result));
      else {
        const applied =
          result.appliedRevision === null
            ? ''
            : ` Applied the newer license revision ${result.appliedRevision}.`;
        const refused =
          result.deliveredTokenRefused === null
            ? ''
            : deliveryRefused(result.deliveredTokenRefused);
        const declined = result.rejectedRequests
          .map(
            (request) =>
              ` Request ${request.id} (${describeRequest(request)}) ${closedText(request)}.`,
          )
          .join('');
        io.stdout(
          `Last verify result: ${result.outcome} at ${time(result.verifiedAt)}. State: ${result.info.state}.${applied}${refused}${declined}\n`,
        );
      }
      return 0;
    }
    case 'requests': {
      if (values.closed === true) {
        const closed = await licensor.listClosedRequests(operator);
        io.stdout(asJson ? json(closed) : formatClosedRequests(closed));
        return 0;
      }
      const requests = await licensor.listPendingRequests(operator);
      if (asJson) {
        io.stdout(json(requests));
        return 0;
      }
      const closed = await licensor.listClosedRequests(operator);
      io.stdout(
        formatRequests(requests) +
          (closed.length === 0 ? '' : `\nClosed without a key:\n${formatClosedRequests(closed)}`),
      );
      return 0;
    }
    case 'requests cancel': {
      const closed = await licensor.cancelRequest(operator, positionals[0] ?? '', values.reason);
      io.stdout(
        asJson
          ? json(closed)
          : `Cancelled request ${closed.id} (${describeRequest(closed)}). A key the vendor sends for it will be refused; tell the vendor if they should not act on it.\n`,
      );
      return 0;
    }
    case 'audit': {
      if (values.verify === true) {
        const result = await licensor.verifyAudit(operator);
        io.stdout(asJson ? json(result) : formatAuditVerification(result));
        return result.ok ? 0 : 1;
      }
      const limit = wholeNumber(values.limit, '--limit', { min: 1 });
      const entries = await licensor.listAudit(operator, limit === undefined ? {} : { limit });
      io.stdout(asJson ? json(entries) : formatAudit(entries));
      return 0;
    }
  }
}

/**
 * A license revision the service delivered and this installation refused: why, and what to do.
 * Only the vendor can send a key that fits (the license in force stays as it was), except for an
 * operator who may not apply one, whose message says who may.
 */
function deliveryRefused(refusal: { code: string; message: string }): string {
  const message = refusal.message.replace(/\.$/, '');
  const action =
    refusal.code === 'ERR_NOT_AUTHORIZED'
      ? ''
      : ' The license in force stays as it was: tell the vendor, with this message, so that they can send a license key this installation accepts.';
  return ` The delivered license was refused (${refusal.code}): ${message}.${action}`;
}

function refuse(
  error: { code: string; message: string },
  asJson: boolean,
  io: CliIo,
  note = '',
): number {
  if (asJson) io.stdout(json({ error: { code: error.code, message: error.message } }));
  else io.stderr(`error: ${error.code}: ${error.message}${note === '' ? '' : ` ${note}`}\n`);
  return 1;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let command: string | undefined;
  try {
    const args = parseCommandLine(argv);
    if ('kind' in args) {
      io.stdout(args.text);
      return 0;
    }
    command = args.command;
    const stateDir = resolve(io.cwd, args.values.state ?? '.licensor');
    if (NEEDS_STATE.has(args.command) && !holdsState(stateDir)) {
      throw new StateNotFoundError(
        `There is no license state in ${stateDir} (no ${KEY_FILE} or ${STATE_FILE} there). Check --state (default ./.licensor, in the folder you run from); \`licensor challenge --trust FILE\` starts a new installation there.`,
      );
    }
    const name = args.values.operator ?? osUser(io.env);
    const operator: Operator = {
      id: name,
      name,
      roles: args.values.role ?? [SYSTEM_ADMINISTRATOR],
    };
    const product = productOf(args.values.product ?? io.env.LICENSOR_PRODUCT);
    const trust = await resolveTrust(stateDir, {
      file: trustFileOf(args.values.trust ?? io.env.LICENSOR_TRUST, io),
      replace: args.values['replace-trust'] === true,
    });
    const licensor = createLicensor({ store: new FileStore(stateDir), trust: trust.jwks, product });
    const code = await run(args, licensor, operator, io);
    // Only a command that succeeded keeps a new trust: a refused one changes nothing on disk.
    if (code === 0) await trust.save();
    return code;
  } catch (error) {
    const asJson = argv.includes('--json');
    if (isUsageError(error)) {
      error.command ??= command;
      const text = formatUsageError(LICENSOR_CLI, error, asJson);
      if (asJson) io.stdout(text);
      else io.stderr(text);
      return 2;
    }
    if (isLicensorError(error)) return refuse(error, asJson, io);
    // A bug or an environment the SDK did not foresee: still one line (or one JSON object).
    const message = error instanceof Error ? error.message : String(error);
    return refuse({ code: 'ERR_UNEXPECTED', message }, asJson, io);
  }
}
