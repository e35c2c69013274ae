// The default answer to "may this operator do this?", used when the CMS supplies no hook: the
// operations that change the license (the upgrade procedure and the model switch) need the
// System Administrator role, as the CMS's license page requires, and so does applying a vendor
// key set by hand (it changes which keys the installation trusts) and cancelling a pending
// request; any operator may look, and may run Verify License (which records the status and the
// vendor key sets it relays, but applies a license it delivers only for an operator allowed
// 'apply').
import type { Authorize, OperatorAction } from './types.js';

export const SYSTEM_ADMINISTRATOR = 'system-administrator';

const ADMINISTRATOR_ACTIONS: ReadonlySet<OperatorAction> = new Set([
  'challenge',
  'apply',
  'activate',
  'trust',
  'cancel',
]);

/**
 * True for the System Administrator role however the CMS spells it: `System Administrator` (as
 * the CMS's license page names it), `system-administrator`, `SYSTEM_ADMINISTRATOR`.
 */
export function isSystemAdministrator(role: string): boolean {
  return (
    typeof role === 'string' &&
    role
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, '-') === SYSTEM_ADMINISTRATOR
  );
}

export const defaultAuthorize: Authorize = (operator, action) =>
  !ADMINISTRATOR_ACTIONS.has(action) || operator.roles.some(isSystemAdministrator);
