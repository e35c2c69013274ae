// Projections shared by both adapters.

import type { CheckView, License } from '../records.js';

export function checkViewOf(license: License): CheckView {
  return {
    licenseId: license.id,
    state: license.state,
    model: license.model,
    revision: license.revision,
    term: license.term,
    installationId: license.installationId,
    installationKey: license.installationKey,
    latestToken: license.latestToken,
  };
}
