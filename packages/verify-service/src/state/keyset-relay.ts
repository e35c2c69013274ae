// The vendor's signed key sets, relayed with statuses (status v2 `keysets`): a version 2 check
// reports the key set version its installation trusts (`keyset`), and the status carries the
// versions after it that the SDK needs to reach the newest, as a chain it can walk (each version
// signed by a key the one before it lists). The service does not vouch for them: they are signed
// by the vendor's license key and the SDK verifies each. Held in memory, read from the store at
// start, every `refreshMs` and on SIGHUP; a check never waits for the store for them.
import { MAX_RELAYED_KEYSETS } from '@licensor/token';
import type { Logger } from 'pino';
import type { CheckStore } from '../store-port.js';

/** Key set text carried by one status at most (the status cap leaves room for a license). */
export const RELAY_BUDGET_CHARS = 24_000;

interface Version {
  seq: number;
  token: string;
  signedBy: string;
  kids: ReadonlySet<string>;
}

export class KeysetRelay {
  readonly #store: Pick<CheckStore, 'listKeysets'>;
  readonly #logger: Logger | undefined;
  #versions: Version[] = [];
  #chains = new Map<number, string[]>();
  #loading: Promise<void> | null = null;

  constructor(store: Pick<CheckStore, 'listKeysets'>, logger?: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** The newest version held (0 when none). */
  get newest(): number {
    return this.#versions.at(-1)?.seq ?? 0;
  }

  /** Reads the versions published since the newest held; one read at a time. */
  refresh(): Promise<void> {
    const listKeysets = this.#store.listKeysets;
    if (listKeysets === undefined) return Promise.resolve();
    this.#loading ??= (async () => {
      try {
        const added = await listKeysets.call(this.#store, this.newest);
        const fresh = added
          .filter((record) => record.seq > this.newest)
          .sort((a, b) => a.seq - b.seq)
          .map((record) => ({
            seq: record.seq,
            token: record.token,
            signedBy: record.signedBy,
            kids: new Set(record.kids),
          }));
        if (fresh.length > 0) {
          this.#versions = [...this.#versions, ...fresh];
          this.#chains.clear();
          this.#logger?.info(
            { event: 'keysets_loaded', newest: this.newest },
            'signed key sets loaded',
          );
        }
      } catch (err) {
        // The relay is best effort: statuses go out without key sets until the next read.
        this.#logger?.warn({ err }, 'reading the signed key sets failed; relaying what is held');
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  /**
   * The versions an installation trusting `trusted` needs, oldest first: from those after it,
   * each step the furthest version signed by a key the step before lists (the first step: the
   * next version, whose signer the installation's own keys must hold). At most
   * MAX_RELAYED_KEYSETS versions and RELAY_BUDGET_CHARS characters; the rest come next time.
   */
  relayFor(trusted: number): string[] {
    if (trusted >= this.newest) return [];
    const cached = this.#chains.get(trusted);
    if (cached !== undefined) return cached;
    const after = this.#versions.filter((version) => version.seq > trusted);
    let keys = this.#versions.find((version) => version.seq === trusted)?.kids ?? null;
    const chain: string[] = [];
    let size = 0;
    let index = 0;
    while (index < after.length && chain.length < MAX_RELAYED_KEYSETS) {
      let pick = index;
      if (keys !== null) {
        for (let j = after.length - 1; j > index; j--) {
          if (keys.has(after[j]!.signedBy)) {
            pick = j;
            break;
          }
        }
      }
      const version = after[pick]!;
      if (size + version.token.length > RELAY_BUDGET_CHARS && chain.length > 0) break;
      chain.push(version.token);
      size += version.token.length;
      keys = version.kids;
      index = pick + 1;
    }
    if (this.#chains.size > 64) this.#chains.clear();
    this.#chains.set(trusted, chain);
    return chain;
  }
}
