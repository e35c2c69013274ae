// Products and plans on SQLite: JSON bodies beside a unique, case-folded name and the version a
// change is written over (optimistic concurrency: a write names the version it read).

import type Database from 'better-sqlite3';
import { catalogNameKey as nameKey } from '../../catalog/rules.js';
import type { CatalogProduct, CatalogWrite, Plan } from '../../catalog/types.js';
import { isUniqueViolation } from './sqlite-errors.js';
import { statement } from './statements.js';

export const CATALOG_MIGRATION = {
  name: 'products and plans',
  sql: `
    CREATE TABLE products (
      id TEXT PRIMARY KEY,
      name_key TEXT NOT NULL UNIQUE,
      version INTEGER NOT NULL,
      body TEXT NOT NULL
    );
    CREATE TABLE plans (
      id TEXT PRIMARY KEY,
      name_key TEXT NOT NULL UNIQUE,
      version INTEGER NOT NULL,
      body TEXT NOT NULL
    );
  `,
} as const;

type Table = 'products' | 'plans';
type Entry = { id: string; name: string; body: object; version: number };

function insert(db: Database.Database, table: Table, entry: Entry): CatalogWrite {
  try {
    db.prepare(`INSERT INTO ${table} (id, name_key, version, body) VALUES (?, ?, ?, ?)`).run(
      entry.id,
      nameKey(entry.name),
      entry.version,
      JSON.stringify(entry.body),
    );
    return 'written';
  } catch (error) {
    if (isUniqueViolation(error)) return 'name-taken';
    throw error;
  }
}

function update(db: Database.Database, table: Table, entry: Entry, expected: number): CatalogWrite {
  try {
    const result = db
      .prepare(
        `UPDATE ${table} SET name_key = ?, version = ?, body = ? WHERE id = ? AND version = ?`,
      )
      .run(nameKey(entry.name), entry.version, JSON.stringify(entry.body), entry.id, expected);
    return result.changes === 1 ? 'written' : 'conflict';
  } catch (error) {
    if (isUniqueViolation(error)) return 'name-taken';
    throw error;
  }
}

function get<T>(db: Database.Database, table: Table, column: 'id' | 'name_key', value: string) {
  const row = statement(db, `SELECT body FROM ${table} WHERE ${column} = ?`).get(value) as
    | { body: string }
    | undefined;
  return row === undefined ? null : (JSON.parse(row.body) as T);
}

function list<T extends { name: string }>(db: Database.Database, table: Table): T[] {
  const rows = statement(db, `SELECT body FROM ${table} ORDER BY name_key, id`).all() as {
    body: string;
  }[];
  return rows.map((row) => JSON.parse(row.body) as T);
}

export const insertProduct = (db: Database.Database, product: CatalogProduct) =>
  insert(db, 'products', { ...product, body: product });
export const updateProduct = (db: Database.Database, product: CatalogProduct, expected: number) =>
  update(db, 'products', { ...product, body: product }, expected);
export const getProduct = (db: Database.Database, id: string) =>
  get<CatalogProduct>(db, 'products', 'id', id);
export const findProductByName = (db: Database.Database, name: string) =>
  get<CatalogProduct>(db, 'products', 'name_key', nameKey(name));
export const listProducts = (db: Database.Database) => list<CatalogProduct>(db, 'products');

export const insertPlan = (db: Database.Database, plan: Plan) =>
  insert(db, 'plans', { ...plan, body: plan });
export const updatePlan = (db: Database.Database, plan: Plan, expected: number) =>
  update(db, 'plans', { ...plan, body: plan }, expected);
export const getPlan = (db: Database.Database, id: string) => get<Plan>(db, 'plans', 'id', id);
export const findPlanByName = (db: Database.Database, name: string) =>
  get<Plan>(db, 'plans', 'name_key', nameKey(name));
export const listPlans = (db: Database.Database) => list<Plan>(db, 'plans');

/**
 * A changed plan's affected licenses by index (migration 22): the plan and revision a license was
 * issued from as columns computed from its body (VIRTUAL: nothing stored in the rows, no rewrite
 * of the table), and an index on them without the revoked licenses, in the order of the list,
 * so that a page after a cursor is a range from the cursor (a row value compares columns, not
 * expressions: json_extract in the index would read from the plan's first license every page).
 */
export const PLAN_REVISION_INDEX_SQL = `
  ALTER TABLE licenses ADD COLUMN plan_id TEXT
    GENERATED ALWAYS AS (json_extract(body, '$.entitlements.plan.id')) VIRTUAL;
  ALTER TABLE licenses ADD COLUMN plan_revision INTEGER
    GENERATED ALWAYS AS (json_extract(body, '$.entitlements.plan.revision')) VIRTUAL;
  CREATE INDEX licenses_by_plan_revision ON licenses (plan_id, plan_revision, id)
    WHERE state != 'revoked';
`;

export const OLDER_PLAN_REVISION_SQL = `SELECT body FROM licenses
  WHERE plan_id = ? AND state != 'revoked' AND plan_revision < ? AND (plan_revision, id) > (?, ?)
  ORDER BY plan_revision, id LIMIT ?`;

/** SQL conditions on a license's recorded entitlements, for the Licenses list filters. */
export function entitlementConditions(filter: {
  planId?: string;
  product?: string;
  feature?: string;
}): { where: string[]; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.planId !== undefined) {
    where.push(`json_extract(body, '$.entitlements.plan.id') = ?`);
    args.push(filter.planId);
  }
  if (filter.product !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM json_each(licenses.body, '$.entitlements.products')
      WHERE json_extract(value, '$.name') = ?)`);
    args.push(filter.product);
  }
  if (filter.feature !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM json_each(licenses.body, '$.entitlements.features')
      WHERE json_extract(value, '$.name') = ?)`);
    args.push(filter.feature);
  }
  return { where, args };
}
