// License keys of one product (issue #12.1). A product may have license keys of its own, with
// the same states and moves as the vendor's (`keys rotate --use license --product P`, then
// `keys activate`, `retire`, `revoke` by kid). Which key signs a license token:
//
//   - a format 2 token that covers exactly one product (`products` has one entry) whose
//     catalogue product has an active key of its own: that product's key;
//   - anything else (format 1 tokens, tokens for any product, tokens covering several products,
//     products without keys of their own): the vendor's own active license key, which every
//     product's installations trust.
//
// The vendor's key alone signs key sets: a product key signs licenses of its product and can
// never extend anyone's trust. Each product with keys has its own key set (format 2, `scope` =
// its name): the vendor's keys and its own, numbered in the one sequence of versions.

import {
  type JwsSigner,
  type KeysetClaims,
  type KeysetKey,
  type LicenseClaims,
  scopedVersions,
} from '@licensor/token';
import { findProduct } from '../catalog/catalog.js';
import { ProductNotFoundError } from '../catalog/errors.js';
import type { CatalogProduct } from '../catalog/types.js';
import { InputInvalidError } from '../errors.js';
import type { KeysetRecord, ProductKeysetRecord, SigningKeyRecord } from '../records.js';
import type { IssuerContext } from './context.js';

/** The keys that sign license tokens, chosen by what each token covers (the rule above). */
export interface LicenseSigning {
  /** The vendor's own active license key. */
  readonly vendor: JwsSigner;
  /** The key that signs a token with these claims. */
  forClaims(claims: LicenseClaims): JwsSigner;
}

/** The product a token's claims are signed for, when it is exactly one (format 2 only). */
export function signingProductOf(claims: Pick<LicenseClaims, 'v' | 'products'>): string | null {
  if (claims.v < 2 || claims.products === undefined || claims.products.length !== 1) return null;
  return claims.products[0]!.name;
}

/**
 * The signing keys, before the records are read: the vendor's, and the active key of each
 * product that has one (by the product's name, as tokens name products). Read from the store
 * once per key set version (LicenseKeys.perKeysetVersion), not per issue.
 */
export function licenseSigning(context: IssuerContext): Promise<LicenseSigning> {
  return context.licenseKeys.perKeysetVersion(() => readLicenseSigning(context));
}

async function readLicenseSigning(context: IssuerContext): Promise<LicenseSigning> {
  const vendor = await context.licenseKeys.active();
  const products = activeProductKeys(await context.store.listSigningKeys());
  if (products.length === 0) return { vendor, forClaims: () => vendor };
  const byName = new Map<string, JwsSigner>();
  for (const productId of products) {
    const product = await context.store.getProduct(productId);
    const signer = await context.licenseKeys.activeOf(productId);
    if (product !== null && signer !== null) byName.set(product.name, signer);
  }
  return {
    vendor,
    forClaims: (claims) => {
      const product = signingProductOf(claims);
      return (product === null ? undefined : byName.get(product)) ?? vendor;
    },
  };
}

/** Catalogue ids of the products with an active license key of their own. */
function activeProductKeys(keys: readonly SigningKeyRecord[]): string[] {
  const ids = keys
    .filter((key) => key.purpose === 'license' && key.status === 'active')
    .map((key) => key.product)
    .filter((id): id is string => id !== undefined);
  return [...new Set(ids)];
}

/** The catalogue product a new key is for (by id or name); only license keys belong to one. */
export async function keyProduct(
  context: IssuerContext,
  purpose: string,
  idOrName: string,
): Promise<CatalogProduct> {
  if (purpose !== 'license') {
    throw new InputInvalidError(
      '--product',
      'is for license keys: status keys sign statuses for every product',
    );
  }
  const product = await findProduct(context, idOrName);
  if (product === null) throw new ProductNotFoundError(idOrName);
  return product;
}

/** The keys of one scope: the vendor's own (`product` null) or one product's. */
export function inScope(key: SigningKeyRecord, product: string | null): boolean {
  return (key.product ?? null) === product;
}

/** Catalogue ids of the products that have (or had) keys of their own. */
export function productsWithKeys(keys: readonly SigningKeyRecord[]): string[] {
  return [
    ...new Set(keys.map((key) => key.product).filter((id): id is string => id !== undefined)),
  ];
}

/** A product key set's claims (format 2): the vendor's keys, then the product's, marked. */
export function productKeysetOf(
  vendor: Omit<KeysetClaims, 'seq' | 'iat'>,
  keys: readonly SigningKeyRecord[],
  product: CatalogProduct,
): Omit<KeysetClaims, 'seq' | 'iat'> {
  const own = keys.filter((key) => key.product === product.id);
  return {
    v: 2,
    scope: product.name,
    keys: [
      ...vendor.keys,
      ...own
        .filter((key) => key.status !== 'revoked')
        .map(
          (key): KeysetKey => ({
            ...key.publicKey,
            kid: key.kid,
            alg: 'EdDSA',
            use: 'sig',
            purpose: key.purpose,
            state: key.status as KeysetKey['state'],
            product: product.name,
          }),
        ),
    ],
    revoked: [...vendor.revoked, ...own.filter((k) => k.status === 'revoked').map((k) => k.kid)],
  };
}

/** A product's view of the published versions: its own where published, else the vendor's. */
export async function versionsOfProduct(
  context: IssuerContext,
  vendor: readonly KeysetRecord[],
  productName: string,
): Promise<KeysetRecord[]> {
  const own = (await context.store.listProductKeysets(0)).filter(
    (version) => version.product === productName,
  );
  return own.length === 0 ? [...vendor] : scopedVersions<KeysetRecord>(vendor, own.map(plain));
}

function plain({ productId: _id, product: _name, ...record }: ProductKeysetRecord): KeysetRecord {
  return record;
}
