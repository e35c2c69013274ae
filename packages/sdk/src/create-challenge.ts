// "Get challenge": a challenge signed by the installation key that tells the vendor who asks
// (installation, product), what is in force (license, revision, customer, credentials in use)
// and what is asked for. It is stored as pending, so the key can be applied days later.
import {
  armour,
  type ChallengeClaims,
  ClaimsInvalidError,
  type LicenseModel,
  signChallenge,
  validateChallengeClaims,
} from '@licensor/token';
import { readClock } from './clock.js';
import type { Context } from './context.js';
import { SdkError } from './errors.js';
import { newId } from './ids.js';
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
}

const MODELS: readonly LicenseModel[] = ['perpetual', 'subscription'];

function invalid(message: string): SdkError {
  return new SdkError('ERR_INPUT_INVALID', message);
}

export function checkModel(model: unknown): LicenseModel {
  if (!MODELS.includes(model as LicenseModel))
    throw invalid('model must be perpetual or subscription.');
  return model as LicenseModel;
}

/** The schema's own check of one request field (no limit is declared twice). */
function schemaProblem(request: ChallengeRequest, credentialsInUse = 0): string | null {
  try {
    validateChallengeClaims({
      v: 1,
      jti: 'chl_probe',
      iat: 1,
      exp: 2,
      sub: 'A'.repeat(43),
      product: { name: 'probe', version: '1' },
      license: null,
      usage: { credentialsInUse },
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
  return request;
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
): Promise<ChallengeResult> {
  const clock = readClock(context, snapshot.stored);
  const license = snapshot.license;
  const claims: ChallengeClaims = {
    v: 1,
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
    usage: { credentialsInUse: await credentialsInUse(context, inUse) },
    request,
  };
  // The chain value of the newest status: the vendor sees a challenge from a copy or an older
  // backup by it (format 2; without a chained status the challenge stays format 1).
  const chain = snapshot.lastStatus?.chain;
  if (chain !== undefined) {
    claims.v = 2;
    claims.chain = chain;
  }
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
  return makeChallenge(context, snapshot, operator, request, options.credentialsInUse);
}
