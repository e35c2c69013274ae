// The vendor's signed key sets, relayed with statuses (status v2 `keysets`): a version 2 check
// reports the key set version its installation trusts (`keyset`), and the status carries the
// versions after it that the SDK needs to reach the newest, as a chain it can walk (each version
// signed by a key the one before it lists). The service does not vouch for them: they are signed
// by the vendor's license key and the SDK verifies each. Held in memory, read from the store at
// start, every `refreshMs` and on SIGHUP; a check never waits for the store for them.
// A product with license keys of its own has its own sets (key set format 2, #12.1): a check of
// that product (its `product.name`) gets, at each version number, its product's set where there
// is one, otherwise the vendor's (scopedVersions).
import { keysetChain, type PublishedKeyset, scopedVersions } from '@licensor/token';
import type { Logger } from 'pino';
import type { CheckStore } from '../store-port.js';

export class KeysetRelay {
  readonly #store: Pick<CheckStore, 'listKeysets' | 'listProductKeysets'>;
  readonly #logger: Logger | undefined;
  #versions: PublishedKeyset[] = [];
  /** Each product's own versions, by the product's name. */
  #products = new Map<string, PublishedKeyset[]>();
  #newestProduct = 0;
  #chains = new Map<string, string[]>();
  #loading: Promise<void> | null = null;

  constructor(store: Pick<CheckStore, 'listKeysets' | 'listProductKeysets'>, logger?: Logger) {
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
        const products = await this.#readProducts();
        if (fresh.length > 0 || products > 0) {
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

  /** Reads the products' versions published since the newest held; how many were new. */
  async #readProducts(): Promise<number> {
    const listProductKeysets = this.#store.listProductKeysets;
    if (listProductKeysets === undefined) return 0;
    const added = await listProductKeysets.call(this.#store, this.#newestProduct);
    let count = 0;
    for (const record of added.sort((a, b) => a.seq - b.seq)) {
      const own = this.#products.get(record.product) ?? [];
      if (own.some((version) => version.seq === record.seq)) continue;
      const { seq, token, signedBy, kids } = record;
      this.#products.set(record.product, [...own, { seq, token, signedBy, kids }]);
      this.#newestProduct = Math.max(this.#newestProduct, seq);
      count++;
    }
    return count;
  }

  /**
   * The versions an installation trusting `trusted` lacks, as a chain (token's keysetChain);
   * for a product with sets of its own, that product's view of the versions.
   */
  relayFor(trusted: number, product?: string): string[] {
    if (trusted >= this.newest) return [];
    const own = product === undefined ? undefined : this.#products.get(product);
    const key = own === undefined ? `:${trusted}` : `${product}:${trusted}`;
    const cached = this.#chains.get(key);
    if (cached !== undefined) return cached;
    const versions = own === undefined ? this.#versions : scopedVersions(this.#versions, own);
    const chain = keysetChain(versions, trusted);
    if (this.#chains.size > 64) this.#chains.clear();
    this.#chains.set(key, chain);
    return chain;
  }
}
