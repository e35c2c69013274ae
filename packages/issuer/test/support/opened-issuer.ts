// A contract's usual setup: before each test a fresh store of the adapter and an Issuer on it
// (frozen clock at T0, initialised by alice unless `init: false`), closed and removed after it.
// A contract reads them through the answer (`opened.store`), or is handed each test's pair by
// `use` to keep in its own variables.

import { afterEach, beforeEach } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter, StoreHandle } from './adapters.js';
import { type Clock, T0 } from './fixtures.js';

export interface Opened {
  readonly store: LicensorStore;
  readonly issuer: Issuer;
  /** What opened the store: open it again as another process would (e.g. its check role). */
  readonly handle: StoreHandle;
}

export interface OpenedOptions {
  /** Make the signing keys (`issuer.init('alice')`) before each test; default true. */
  init?: boolean;
  /** Called in each test's beforeEach with its store and issuer, once they are ready. */
  use?: (opened: { store: LicensorStore; issuer: Issuer; handle: StoreHandle }) => void;
}

export function openedIssuer(adapter: Adapter, clock: Clock, options: OpenedOptions = {}): Opened {
  let opened: { store: LicensorStore; issuer: Issuer; handle: StoreHandle } | undefined;
  beforeEach(async () => {
    clock.set(T0);
    const handle = await adapter.create();
    const store = await handle.open();
    const issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    if (options.init !== false) await issuer.init('alice');
    opened = { store, issuer, handle };
    options.use?.(opened);
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
    get handle() {
      return opened!.handle;
    },
  };
}
