// An in-memory CheckStore for tests: licenses as CheckViews, recorded checks in an array, and
// switches to make it fail like an unreachable database.
import type { CheckRecord, CheckStore, CheckView } from '../../src/store-port.js';
import { MemoryChains } from './memory-chains.js';

export class MemoryStore implements CheckStore {
  readonly chains = new MemoryChains();
  readonly views = new Map<string, CheckView>();
  readonly records: CheckRecord[] = [];
  /** While true every call fails as a network error would. */
  down = false;
  /** Number of upcoming recordChecks calls that fail. */
  failingWrites = 0;
  reads = 0;
  closed = false;

  put(view: CheckView): void {
    this.views.set(view.licenseId, structuredClone(view));
  }

  update(licenseId: string, patch: Partial<CheckView>): void {
    const view = this.views.get(licenseId);
    if (view === undefined) throw new Error(`no view ${licenseId}`);
    this.views.set(licenseId, { ...view, ...patch });
  }

  async getCheckView(licenseId: string): Promise<CheckView | null> {
    this.reads++;
    this.#failIfDown();
    const view = this.views.get(licenseId);
    return view === undefined ? null : structuredClone(view);
  }

  async recordChecks(records: CheckRecord[]): Promise<void> {
    this.#failIfDown();
    if (this.failingWrites > 0) {
      this.failingWrites--;
      throw new Error('write failed');
    }
    this.records.push(...structuredClone(records));
  }

  async ping(): Promise<void> {
    this.#failIfDown();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  #failIfDown(): void {
    if (this.down)
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), {
        code: 'ECONNREFUSED',
      });
  }
}
