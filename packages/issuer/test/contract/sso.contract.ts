// Contract: the single sign-on port (logins in flight, linked identities), the same on both
// adapters. Two handles on one store stand for two portal processes.

import { expect, it } from 'vitest';
import type { SsoLoginRecord } from '../../src/store/sso-port.js';
import { type Adapter, twoHandlesPerTest } from '../support/adapters.js';
import { T0 } from '../support/fixtures.js';

function login(overrides: Partial<SsoLoginRecord> = {}): SsoLoginRecord {
  return {
    idHash: 'hash-1',
    state: 'state-1',
    nonce: 'nonce-1',
    codeVerifier: 'verifier-1',
    createdAt: T0,
    ...overrides,
  };
}

export function ssoContract(adapter: Adapter): void {
  const handles = twoHandlesPerTest(adapter);

  it('a login started by one process is taken once by another', async () => {
    await handles.store.sso.putSsoLogin(login());
    expect(await handles.other.sso.takeSsoLogin('hash-1')).toEqual(login());
    expect(await handles.store.sso.takeSsoLogin('hash-1')).toBeNull();
    expect(await handles.store.sso.takeSsoLogin('unknown')).toBeNull();
  });

  it('sweeps logins never finished', async () => {
    await handles.store.sso.putSsoLogin(login({ idHash: 'old', createdAt: T0 }));
    await handles.store.sso.putSsoLogin(login({ idHash: 'new', createdAt: T0 + 60_000 }));
    expect(await handles.other.sso.sweepSsoLogins(T0 + 1)).toBe(1);
    expect(await handles.store.sso.takeSsoLogin('old')).toBeNull();
    expect((await handles.store.sso.takeSsoLogin('new'))?.idHash).toBe('new');
  });

  it('links a subject to one user; a second link is refused and changes nothing', async () => {
    const identity = { issuer: 'https://idp', subject: 'sub-1', userId: 'usr_1', linkedAt: T0 };
    expect(await handles.store.sso.getSsoIdentity('https://idp', 'sub-1')).toBeNull();
    expect(await handles.store.sso.linkSsoIdentity(identity)).toBe(true);
    expect(await handles.other.sso.linkSsoIdentity({ ...identity, userId: 'usr_2' })).toBe(false);
    expect(await handles.other.sso.getSsoIdentity('https://idp', 'sub-1')).toEqual(identity);
    // The same subject at another issuer is another identity.
    expect(await handles.store.sso.getSsoIdentity('https://other-idp', 'sub-1')).toBeNull();
  });
}
