// Typed errors of the catalogue (products, plans) and of issuing from it. Each names the field
// it refuses; nothing is stored when one is thrown.

import { LicensorError } from '@licensor/token';

export class ProductInvalidError extends LicensorError {
  static readonly code = 'ERR_PRODUCT_INVALID';
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(ProductInvalidError.code, `product: ${field} ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/** A plan that is malformed or contradicts itself (a default outside its own bounds, …). */
export class PlanInvalidError extends LicensorError {
  static readonly code = 'ERR_PLAN_INVALID';
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(PlanInvalidError.code, `plan: ${field} ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

export class ProductNotFoundError extends LicensorError {
  static readonly code = 'ERR_PRODUCT_NOT_FOUND';
  readonly product: string;
  constructor(product: string) {
    super(
      ProductNotFoundError.code,
      `no product "${product}" in the catalogue (list them with \`products list\`)`,
    );
    this.product = product;
  }
}

export class PlanNotFoundError extends LicensorError {
  static readonly code = 'ERR_PLAN_NOT_FOUND';
  readonly plan: string;
  constructor(plan: string) {
    super(PlanNotFoundError.code, `no plan "${plan}" (list them with \`plans list\`)`);
    this.plan = plan;
  }
}

/**
 * Another product, plan or customer already has this name (ignoring case). `holder`: the id of
 * the customer that has it, when known; `detail`: what the refused change was.
 */
export class NameTakenError extends LicensorError {
  static readonly code = 'ERR_NAME_TAKEN';
  readonly field = 'name';
  readonly holder: string | null;
  constructor(
    what: 'product' | 'plan' | 'customer',
    name: string,
    holder?: { id: string; name: string },
    detail?: string,
  ) {
    const who =
      holder === undefined
        ? `a ${what} named "${name}" exists`
        : `${what} ${holder.id} is named "${holder.name}"${holder.name === name ? '' : ' (the same name ignoring case)'}`;
    super(
      NameTakenError.code,
      `${who}${detail === undefined ? '' : `: ${detail}`}: choose another name`,
    );
    this.holder = holder?.id ?? null;
  }
}

/** The license (its plan) does not cover the product or version the installation runs. */
export class ProductNotCoveredError extends LicensorError {
  static readonly code = 'ERR_PRODUCT_NOT_COVERED';
  readonly field = 'plan';
  readonly product: { name: string; version: string };
  constructor(product: { name: string; version: string }, covered: string) {
    super(
      ProductNotCoveredError.code,
      `the installation runs ${product.name} ${product.version}, which the plan does not cover (it covers ${covered}): choose a plan for this product or add it to the plan`,
    );
    this.product = product;
  }
}

export const CATALOG_ERROR_CODES = [
  ProductInvalidError.code,
  PlanInvalidError.code,
  ProductNotFoundError.code,
  PlanNotFoundError.code,
  NameTakenError.code,
  ProductNotCoveredError.code,
] as const;
