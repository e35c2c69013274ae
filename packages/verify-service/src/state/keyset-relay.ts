// The vendor's signed key sets, relayed with statuses (status v2 `keysets`): a version 2 check
// reports the key set version its installation trusts (`keyset`), and the status carries the
// versions after it that the SDK needs to reach the newest, as a chain it can walk (each version
// signed by a key the one before it lists). The service does not vouch for them: they are signed
// by the vendor's license key and the SDK verifies each. Held in memory, read from the store at
// start, every `refreshMs` and on SIGHUP; a check never waits for the store for them.
import { keysetChain, type PublishedKeyset } from '@licensor/token';
import type { Logger } from 'pino';
import type { CheckStore } from '../store-port.js';

export class KeysetRelay {
  readonly #store: Pick<CheckStore, 'listKeysets'>;
  readonly #logger: Logger | undefined;
  #versions: PublishedKeyset[] = [];
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
          .map(({ seq, token, signedBy, kids }) => ({ seq, token, signedBy, kids }));
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

  /** The versions an installation trusting `trusted` lacks, as a chain (token's keysetChain). */
  relayFor(trusted: number): string[] {
    if (trusted >= this.newest) return [];
    const cached = this.#chains.get(trusted);
    if (cached !== undefined) return cached;
    const chain = keysetChain(this.#versions, trusted);
    if (this.#chains.size > 64) this.#chains.clear();
    this.#chains.set(trusted, chain);
    return chain;
  }
}
