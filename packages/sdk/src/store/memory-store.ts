// An in-memory store for tests and for CMSs that keep the state elsewhere. Copies in and out so
// that a caller holding a reference cannot change what the SDK stored.
import { StateCorruptError, StateForeignError } from '../errors.js';
import type { AuditEntry } from '../types.js';
import type { LicensorStore, StateDocument } from './store.js';

export class MemoryStore implements LicensorStore {
  #seed: Uint8Array | null = null;
  #state: string | null = null;
  #audit: AuditEntry[] = [];
  #sealMark = false;

  async loadInstallationKey(): Promise<Uint8Array | null> {
    return this.#seed === null ? null : this.#seed.slice();
  }

  async saveInstallationKey(seed: Uint8Array): Promise<void> {
    if (this.#seed !== null) {
      throw new StateForeignError('This store already holds an installation key.');
    }
    this.#seed = seed.slice();
  }

  async saveSealMark(): Promise<void> {
    this.#sealMark = true;
  }

  async loadSealMark(): Promise<boolean> {
    return this.#sealMark;
  }

  async loadState(): Promise<unknown | null> {
    if (this.#state === null) return null;
    let document: unknown;
    try {
      document = JSON.parse(this.#state);
    } catch {
      throw new StateCorruptError('The stored state is not valid JSON. Restore it.');
    }
    // `null` would read as "no state yet"; the SDK refuses any other non-object itself.
    if (document === null) {
      throw new StateCorruptError('The stored state is null. Restore it.');
    }
    return document;
  }

  async saveState(state: StateDocument): Promise<void> {
    this.#state = JSON.stringify(state);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.#audit.push(structuredClone(entry));
  }

  async loadAudit(): Promise<AuditEntry[]> {
    return structuredClone(this.#audit);
  }

  /** Test hook: the raw state document, to edit it as an attacker would. */
  rawState(): string | null {
    return this.#state;
  }

  /** Test hook: replace the raw state document. */
  setRawState(raw: string): void {
    this.#state = raw;
  }
}
