// A contract's usual setup: before each test a fresh store of the adapter and an initialised
// Issuer on it (frozen clock at T0), closed and removed after it.

import { afterEach, beforeEach } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter } from './adapters.js';
import { type Clock, T0 } from './fixtures.js';

export interface Opened {
  readonly store: LicensorStore;
  readonly issuer: Issuer;
}

export function openedIssuer(adapter: Adapter, clock: Clock): Opened {
  let opened: { store: LicensorStore; issuer: Issuer } | undefined;
  beforeEach(async () => {
    clock.set(T0);
    const store = await (await adapter.create()).open();
    const issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    await issuer.init('alice');
    opened = { store, issuer };
  });
  afterEach(async () => {
    await opened?.store.close();
    opened = undefined;
    await adapter.cleanup();
  });
  return {
    get store() {
      return opened!.store;
    },
    get issuer() {
      return opened!.issuer;
    },
  };
}
