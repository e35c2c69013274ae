import { describe, expect, it } from 'vitest';
import { defaultAuthorize, isSystemAdministrator } from './authorize.js';

const operator = (roles: string[]) => ({ id: 'u1', name: 'Una', roles });

describe('defaultAuthorize', () => {
  it.each(['System Administrator', 'system-administrator', 'SYSTEM_ADMINISTRATOR'])(
    'lets the role spelt %j apply keys, as the seed page names it (#16.15)',
    (role) => {
      expect(isSystemAdministrator(role)).toBe(true);
      expect(defaultAuthorize(operator([role]), 'apply')).toBe(true);
    },
  );

  it('refuses other roles the changes, and lets anyone look', () => {
    expect(defaultAuthorize(operator(['Operator', 'administrator']), 'apply')).toBe(false);
    expect(defaultAuthorize(operator([]), 'challenge')).toBe(false);
    expect(defaultAuthorize(operator([]), 'view')).toBe(true);
  });
});
