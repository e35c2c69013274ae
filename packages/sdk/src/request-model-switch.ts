// "Activate": switching between perpetual and subscription is a request to the vendor. The SDK
// makes a challenge that asks for the switch; the switch completes only when a token with the
// new model is applied, and until then the info shows it as pending.
import type { LicenseModel } from '@licensor/token';
import { type Context, checkOptionKeys } from './context.js';
import { checkModel, makeChallenge } from './create-challenge.js';
import { InputInvalidError, ModelUnchangedError, NoLicenseError } from './errors.js';
import type { Snapshot } from './snapshot.js';
import type { ChallengeResult, Operator } from './types.js';

/** What `requestModelSwitch` takes besides the target model. */
export interface ModelSwitchOptions {
  /** Credentials the CMS manages now; default: the `credentialsInUse` hook of createLicensor. */
  credentialsInUse?: number;
}

export function requestModelSwitch(
  context: Context,
  snapshot: Snapshot,
  operator: Operator,
  target: LicenseModel,
  options: ModelSwitchOptions = {},
): Promise<ChallengeResult> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InputInvalidError(
      'The model switch options must be an object: { credentialsInUse? }, or left out.',
    );
  }
  checkOptionKeys(options, ['credentialsInUse'], 'model switch');
  const model = checkModel(target);
  const license = snapshot.license;
  if (license === null) {
    throw new NoLicenseError('There is no license to switch. Apply a license key first.');
  }
  if (license.model === model) {
    throw new ModelUnchangedError(`The license is already ${model}; nothing to switch.`);
  }
  return makeChallenge(
    context,
    snapshot,
    operator,
    { kind: 'model-switch', model },
    options.credentialsInUse,
  );
}
