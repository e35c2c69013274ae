// Products, plans and entitlements: the vendor's catalogue (what it sells) and what a license
// records of it. A plan is a named template (model, term, grace, credentials, features, limits,
// products, renewals) with bounds for what issuing may override; a license records the plan and
// the plan revision it was issued from, and the entitlements its newest token carries. Editing a
// plan raises its revision and never touches a license: the licenses issued from an older
// revision are listed (`plans.affected`) and re-issued only on request (`reissueFromPlan`).

import type {
  FeatureGrant,
  LicenseModel,
  LimitGrant,
  LimitRequest,
  ProductGrant,
} from '@licensor/token';

export type CatalogStatus = 'active' | 'archived';

/** A product of the vendor, as its SDK names itself in a challenge (`product.name`). */
export interface CatalogProduct {
  id: string; // prd_…
  /** The name the product's SDK reports; unique in the catalogue (case-insensitive). */
  name: string;
  description: string | null;
  /** Version prefixes a license covers by default (`5`, `5.2`); null = every version. */
  versions: string[] | null;
  status: CatalogStatus;
  /** Grows with each change; a change is written only over the version it was read at. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface ProductInput {
  name: string;
  description?: string | null;
  versions?: string[] | null;
}

/** A value and the range an issue may override it within (min = max = value: fixed). */
export interface Bound {
  value: number;
  min: number;
  max: number;
}

export interface PlanFeature {
  name: string;
  /** The feature ends this many days after the token is issued; absent = with the license. */
  days?: number;
}

export interface PlanLimit extends Bound {
  name: string;
  /** The limit ends this many days after the token is issued; absent = with the license. */
  days?: number;
}

export interface Plan {
  id: string; // pln_…
  /** Unique in the catalogue (case-insensitive), e.g. `Standard`. */
  name: string;
  description: string | null;
  status: CatalogStatus;
  /** Grows with each change of terms; a license records the revision it was issued from. */
  revision: number;
  /** Grows with every write (archive too); a change is written only over the version it read. */
  version: number;
  /** Ids of the products a license of this plan covers; empty = any product. */
  products: string[];
  model: LicenseModel;
  credentials: Bound;
  /** Subscriptions only: the term length and the offline grace, in days. */
  termDays: Bound | null;
  graceDays: Bound | null;
  /** Days a renewal adds to the term by default (subscriptions only). */
  renewalDays: number | null;
  /**
   * Renewal policy (subscriptions only; absent on plans made before it): the offline grace a
   * renewal sets (null: the license keeps its own), and how early a renewal may be issued, in
   * days before the term ends (null: any time).
   */
  renewalGraceDays?: number | null;
  renewalWindowDays?: number | null;
  /**
   * Renewal policy (#12.3): true renews every active subscription of this plan automatically,
   * by renewalDays, before its term ends (the portal's auto-renew job); absent or false: only
   * when the vendor renews.
   */
  autoRenew?: boolean;
  /** Features every license of this plan has. */
  features: PlanFeature[];
  /** Features an issue may add on request (the customer's add-ons). */
  addOns: PlanFeature[];
  limits: PlanLimit[];
  createdAt: number;
  updatedAt: number;
}

/** What the vendor gives to create or change a plan; omitted bounds fix the value. */
export interface PlanInput {
  name: string;
  description?: string | null;
  products?: string[];
  model: LicenseModel;
  credentials: number | (Partial<Bound> & { value: number });
  termDays?: number | (Partial<Bound> & { value: number }) | null;
  graceDays?: number | (Partial<Bound> & { value: number }) | null;
  renewalDays?: number | null;
  renewalGraceDays?: number | null;
  renewalWindowDays?: number | null;
  autoRenew?: boolean;
  features?: (string | PlanFeature)[];
  addOns?: (string | PlanFeature)[];
  limits?: (Partial<PlanLimit> & { name: string; value: number })[];
}

/** What a license records of the plan and the entitlements of its newest token. */
export interface LicenseEntitlements {
  plan: { id: string; name: string; revision: number } | null;
  /** Products covered; null = any product. */
  products: ProductGrant[] | null;
  features: FeatureGrant[];
  limits: LimitGrant[];
  /** What the issue asked beyond the plan's defaults, kept for a re-issue from a changed plan. */
  overrides: { features: string[]; limits: LimitRequest[] };
  /**
   * Format version of the newest token: 1 for an installation whose SDK reads version 1 only
   * (its token carries none of these; the record still does).
   */
  tokenVersion: 1 | 2;
}

export type CatalogWrite = 'written' | 'conflict' | 'name-taken';

/** The store's role for the catalogue (products and plans); both adapters implement it. */
export interface CatalogStore {
  /** Inserts a product (version 1); `name-taken` when another has its name. */
  insertProduct(product: CatalogProduct): Promise<CatalogWrite>;
  /** Writes a product over the stored `expectedVersion`; `conflict` when it changed meanwhile. */
  updateProduct(product: CatalogProduct, expectedVersion: number): Promise<CatalogWrite>;
  getProduct(id: string): Promise<CatalogProduct | null>;
  findProductByName(name: string): Promise<CatalogProduct | null>;
  /** Every product, archived ones too, by name. */
  listProducts(): Promise<CatalogProduct[]>;

  insertPlan(plan: Plan): Promise<CatalogWrite>;
  updatePlan(plan: Plan, expectedVersion: number): Promise<CatalogWrite>;
  getPlan(id: string): Promise<Plan | null>;
  findPlanByName(name: string): Promise<Plan | null>;
  listPlans(): Promise<Plan[]>;
}

/** Licenses whose plan changed since they were issued, and what a re-issue would change. */
export interface PlanChange {
  licenseId: string;
  customerName: string;
  issuedFromRevision: number;
  /** Human-readable differences, e.g. `features: + mobile-credentials`. */
  changes: string[];
}

/** A page of a plan's affected licenses (`plans.affected`). */
export interface AffectedPage {
  /** At most this many (default 50, at most 1,000). */
  limit?: number;
  /** The nextCursor of the page before; ERR_INPUT_INVALID for one this list did not give out. */
  after?: string;
}

export interface AffectedLicenses {
  items: PlanChange[];
  /** The cursor of the next page; null: this is the last. */
  nextCursor: string | null;
}

export const AFFECTED_PAGE = 50;
export const AFFECTED_PAGE_MAX = 1_000;

/** The Issuer's catalogue operations (`issuer.products`, `issuer.plans`). */
export interface CatalogApi {
  readonly products: {
    list(): Promise<CatalogProduct[]>;
    /** By id or name (case-insensitive). */
    get(idOrName: string): Promise<CatalogProduct | null>;
    create(input: ProductInput, operator: string): Promise<CatalogProduct>;
    update(
      idOrName: string,
      input: Partial<ProductInput>,
      operator: string,
    ): Promise<CatalogProduct>;
    archive(idOrName: string, operator: string): Promise<CatalogProduct>;
    restore(idOrName: string, operator: string): Promise<CatalogProduct>;
  };
  readonly plans: {
    list(): Promise<Plan[]>;
    get(idOrName: string): Promise<Plan | null>;
    create(input: PlanInput, operator: string): Promise<Plan>;
    /** A new revision; licenses issued from the plan keep what they were issued. */
    update(idOrName: string, input: Partial<PlanInput>, operator: string): Promise<Plan>;
    archive(idOrName: string, operator: string): Promise<Plan>;
    restore(idOrName: string, operator: string): Promise<Plan>;
    /** Licenses issued from an older revision, and what a re-issue would change. */
    affected(idOrName: string, page?: AffectedPage): Promise<AffectedLicenses>;
  };
}
