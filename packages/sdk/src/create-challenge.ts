// "Get challenge": a challenge signed by the installation key that tells the vendor who asks
// (installation, product), what is in force (license, revision, customer, credentials in use)
// and what is asked for. It is stored as pending, so the key can be applied days later.
import {
  armour,
  type ChallengeClaims,
  ClaimsInvalidError,
  type LicenseModel,
  newId,
  signChallenge,
  validateChallengeClaims,
} from '@licensor/token';
import { readClock } from './clock.js';
import { type Context, checkOptionKeys } from './context.js';
import { InputInvalidError, type SdkError, TooManyPendingError } from './errors.js';
import { toPendingRequest } from './info.js';
import { type Snapshot, saveState } from './snapshot.js';
import type { ChallengeRequest, ChallengeResult, Operator } from './types.js';

export interface ChallengeOptions {
  /** Number of credentials asked for. */
  credentials?: number;
  /** Model asked for with the license (the Activate button uses requestModelSwitch instead). */
  model?: LicenseModel;
  /** New customer name asked for. */
  customerName?: string;
  /** Credentials the CMS manages now; default: the `credentialsInUse` hook of createLicensor. */
  credentialsInUse?: number;
  /** Features asked for (the customer's request, e.g. an add-on of the plan). */
  features?: string[];
  /** Named limits asked for, e.g. `{ sites: 5 }`. */
  limits?: Record<string, number>;
  /** How much of each named limit is in use now, e.g. `{ sites: 2 }`: the vendor sees it. */
  limitsInUse?: Record<string, number>;
}

const MODELS: readonly LicenseModel[] = ['perpetual', 'subscription'];

const CHALLENGE_OPTION_KEYS = [
  'credentials',
  'model',
  'customerName',
  'credentialsInUse',
  'features',
  'limits',
  'limitsInUse',
] as const;

/**
 * The most requests (challenges) pending at once: each is kept, and rewritten with the state at
 * every change, until a key answers it, it expires (pendingTtlSeconds) or it is cancelled. A new
 * one beyond this is refused (ERR_TOO_MANY_PENDING); none is dropped, as a key may still answer it.
 */
export const MAX_PENDING_REQUESTS = 20;

function invalid(message: string): SdkError {
  return new InputInvalidError(message);
}

export function checkModel(model: unknown): LicenseModel {
  if (!MODELS.includes(model as LicenseModel))
    throw invalid('model must be perpetual or subscription.');
  return model as LicenseModel;
}

/** The schema's own check of one request field (no limit is declared twice). */
function schemaProblem(
  request: ChallengeRequest,
  credentialsInUse = 0,
  limits?: { name: string; inUse: number }[],
): string | null {
  try {
    validateChallengeClaims({
      v: 2,
      jti: 'chl_probe',
      iat: 1,
      exp: 2,
      sub: 'A'.repeat(43),
      product: { name: 'probe', version: '1' },
      license: null,
      usage: limits === undefined ? { credentialsInUse } : { credentialsInUse, limits },
      request,
    });
    return null;
  } catch (error) {
    if (error instanceof ClaimsInvalidError) return error.reason;
    throw error;
  }
}

/**
 * Why a value of a challenge option is not valid, or null. The CLI names its own option with
 * it (--credentials, --customer); the SDK throws ERR_INPUT_INVALID.
 */
export function challengeOptionProblem(
  option: 'credentials' | 'customerName',
  value: unknown,
): string | null {
  if (option === 'credentials') {
    if (!Number.isSafeInteger(value) || (value as number) < 1)
      return 'must be a whole number of at least 1';
    return schemaProblem({ kind: 'license', credentials: value as number });
  }
  if (typeof value !== 'string') return 'must be text';
  const name = value.trim();
  if (name === '') return 'must not be empty';
  return schemaProblem({ kind: 'license', customerName: name });
}

function checked(option: 'credentials' | 'customerName', value: unknown): void {
  const problem = challengeOptionProblem(option, value);
  if (problem !== null) throw invalid(`${option} ${problem}.`);
}

export function licenseRequest(options: unknown): ChallengeRequest {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(
      'The challenge options must be an object: { credentials?, model?, customerName? }.',
    );
  }
  checkOptionKeys(options, CHALLENGE_OPTION_KEYS, 'challenge');
  const given = options as ChallengeOptions;
  const request: ChallengeRequest = { kind: 'license' };
  if (given.credentials !== undefined) {
    checked('credentials', given.credentials);
    request.credentials = given.credentials;
  }
  if (given.model !== undefined) request.model = checkModel(given.model);
  if (given.customerName !== undefined) {
    checked('customerName', given.customerName);
    request.customerName = given.customerName.trim();
  }
  if (given.features !== undefined) {
    if (!Array.isArray(given.features)) {
      throw invalid("features must be a list of names, e.g. ['hsm-support'].");
    }
    if (given.features.length > 0) request.features = [...new Set(given.features)].sort();
  }
  const limits = namedCounts(given.limits, 'limits', 'value');
  if (limits !== undefined) request.limits = limits;
  const problem = schemaProblem(request);
  if (problem !== null) throw invalid(`The request ${problem}.`);
  return request;
}

/** `{ sites: 5 }` as the schema's sorted list `[{ name: 'sites', [member]: 5 }]`. */
function namedCounts<K extends 'value' | 'inUse'>(
  given: Record<string, number> | undefined,
  option: string,
  member: K,
): ({ name: string } & Record<K, number>)[] | undefined {
  if (given === undefined) return undefined;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw invalid(`${option} must be an object of names and whole numbers, e.g. { sites: 5 }.`);
  }
  const list = Object.entries(given)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, [member]: value }) as { name: string } & Record<K, number>);
  return list.length === 0 ? undefined : list;
}

async function credentialsInUse(context: Context, given: number | undefined): Promise<number> {
  const inUse = given ?? (await context.credentialsInUse());
  if (!Number.isSafeInteger(inUse) || inUse < 0) {
    throw invalid('credentialsInUse must be a whole number of at least 0.');
  }
  const problem = schemaProblem({ kind: 'license' }, inUse);
  if (problem !== null) throw invalid(`credentialsInUse ${problem}.`);
  return inUse;
}

/** Makes, signs and stores a pending challenge. Shared by "Get challenge" and "Activate". */
export async function makeChallenge(
  context: Context,
  snapshot: Snapshot,
  operator: Operator,
  request: ChallengeRequest,
  inUse?: number,
  limitsInUse?: Record<string, number>,
): Promise<ChallengeResult> {
  const clock = readClock(context, snapshot.stored);
  const pending = snapshot.pending.filter((entry) => entry.claims.exp >= clock.effective);
  if (pending.length >= MAX_PENDING_REQUESTS) {
    throw new TooManyPendingError(
      `${pending.length} requests are pending already (at most ${MAX_PENDING_REQUESTS}): send one of them to the vendor, or cancel those not needed (licensor requests cancel REQUEST_ID), then make a new one. Nothing was changed.`,
    );
  }
  const license = snapshot.license;
  const usedLimits = namedCounts(limitsInUse, 'limitsInUse', 'inUse');
  if (usedLimits !== undefined) {
    const problem = schemaProblem({ kind: 'license' }, 0, usedLimits);
    if (problem !== null) throw invalid(`limitsInUse ${problem}.`);
  }
  // Format 2: this SDK reads license format 2 (entitlements), so it asks for it.
  const claims: ChallengeClaims = {
    v: 2,
    jti: newId('chl'),
    iat: clock.effective,
    exp: clock.effective + context.pendingTtlSeconds,
    sub: snapshot.installationId,
    product: context.product,
    license:
      license === null
        ? null
        : {
            id: license.lid,
            revision: license.rev,
            customerName: license.customer.name,
            model: license.model,
          },
    usage: {
      credentialsInUse: await credentialsInUse(context, inUse),
      ...(usedLimits === undefined ? {} : { limits: usedLimits }),
    },
    request,
  };
  // The chain value of the newest status: the vendor sees a challenge from a copy or an older
  // backup by it (a challenge member of format 2; without a chained status it is left out).
  const chain = snapshot.lastStatus?.chain;
  if (chain !== undefined) claims.chain = chain;
  // The vendor key set version trusted: the vendor sends the versions after it with the key.
  claims.keyset = snapshot.trust.seq;
  const token = signChallenge(claims, snapshot.installation);
  const stored = { id: claims.jti, token, expiresAt: claims.exp, requestedBy: operator.id };
  await saveState(
    context,
    { ...snapshot.stored, pending: [...snapshot.stored.pending, stored] },
    clock,
  );
  return {
    challenge: token,
    armoured: armour(token, 'challenge'),
    request: toPendingRequest({ stored, claims }),
  };
}

export function createChallenge(
  context: Context,
  snapshot: Snapshot,
  operator: Operator,
  options: ChallengeOptions = {},
): Promise<ChallengeResult> {
  const request = licenseRequest(options);
  return makeChallenge(
    context,
    snapshot,
    operator,
    request,
    options.credentialsInUse,
    options.limitsInUse,
  );
}
