// "Get challenge": a challenge signed by the installation key that tells the vendor who asks
// (installation, product), what is in force (license, revision, customer, credentials in use)
// and what is asked for. It is stored as pending, so the key can be applied days later.
import { armour, type ChallengeClaims, type LicenseModel, signChallenge } from '@licensor/token';
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

export function licenseRequest(options: ChallengeOptions): ChallengeRequest {
  const request: ChallengeRequest = { kind: 'license' };
  if (options.credentials !== undefined) {
    if (!Number.isSafeInteger(options.credentials) || options.credentials < 1) {
      throw invalid('credentials must be a whole number of at least 1.');
    }
    request.credentials = options.credentials;
  }
  if (options.model !== undefined) request.model = checkModel(options.model);
  if (options.customerName !== undefined) {
    const name = options.customerName.trim();
    if (name === '' || name.length > 200)
      throw invalid('customerName must be 1 to 200 characters.');
    request.customerName = name;
  }
  return request;
}

async function credentialsInUse(context: Context, given: number | undefined): Promise<number> {
  const inUse = given ?? (await context.credentialsInUse());
  if (!Number.isSafeInteger(inUse) || inUse < 0) {
    throw invalid('credentialsInUse must be a whole number of at least 0.');
  }
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
  return makeChallenge(
    context,
    snapshot,
    operator,
    licenseRequest(options),
    options.credentialsInUse,
  );
}
