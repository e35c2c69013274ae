// Products and plans on MongoDB: one document each, the record in `body` beside a unique,
// case-folded `nameKey` and the `version` a change is written over (optimistic concurrency).

import { type Connection, type Model, Schema } from 'mongoose';
import { catalogNameKey as nameKey } from '../../catalog/rules.js';
import type { CatalogProduct, CatalogWrite, Plan } from '../../catalog/types.js';
import { isDuplicateKey } from './mongo-errors.js';

const { Mixed } = Schema.Types;

function catalogSchema(collection: string): Schema {
  return new Schema(
    {
      _id: { type: String, required: true },
      nameKey: { type: String, required: true, unique: true },
      version: { type: Number, required: true },
      body: { type: Mixed, required: true },
    },
    { versionKey: false, autoIndex: false, strict: true, minimize: false, collection },
  );
}

export function catalogModelsOf(connection: Connection) {
  return {
    products: connection.model('Product', catalogSchema('products')),
    plans: connection.model('Plan', catalogSchema('plans')),
  };
}

type CatalogModel = Model<unknown>;

/** A unique-index violation; FerretDB reports one in an update as its SQLite error text. */
function isNameTaken(error: unknown): boolean {
  return (
    isDuplicateKey(error) || /UNIQUE constraint failed/.test(String((error as Error)?.message))
  );
}
type Entry = { id: string; name: string; version: number; body: object };

async function insert(model: CatalogModel, entry: Entry): Promise<CatalogWrite> {
  try {
    await model.create({
      _id: entry.id,
      nameKey: nameKey(entry.name),
      version: entry.version,
      body: entry.body,
    });
    return 'written';
  } catch (error) {
    if (isNameTaken(error)) return 'name-taken';
    throw error;
  }
}

async function update(model: CatalogModel, entry: Entry, expected: number): Promise<CatalogWrite> {
  try {
    const result = await model.updateOne(
      { _id: entry.id, version: expected },
      { $set: { nameKey: nameKey(entry.name), version: entry.version, body: entry.body } },
    );
    return result.matchedCount === 1 ? 'written' : 'conflict';
  } catch (error) {
    if (isNameTaken(error)) return 'name-taken';
    throw error;
  }
}

async function findOne<T>(model: CatalogModel, query: Record<string, unknown>): Promise<T | null> {
  const document = (await model.findOne(query).lean()) as { body: T } | null;
  return document === null ? null : document.body;
}

async function list<T>(model: CatalogModel): Promise<T[]> {
  const documents = (await model.find({}).sort({ nameKey: 1, _id: 1 }).lean()) as unknown as {
    body: T;
  }[];
  return documents.map((d) => d.body);
}

export type CatalogModels = ReturnType<typeof catalogModelsOf>;
const m = (model: unknown) => model as CatalogModel;

export const insertProduct = (models: CatalogModels, product: CatalogProduct) =>
  insert(m(models.products), { ...product, body: product });
export const updateProduct = (models: CatalogModels, product: CatalogProduct, expected: number) =>
  update(m(models.products), { ...product, body: product }, expected);
export const getProduct = (models: CatalogModels, id: string) =>
  findOne<CatalogProduct>(m(models.products), { _id: id });
export const findProductByName = (models: CatalogModels, name: string) =>
  findOne<CatalogProduct>(m(models.products), { nameKey: nameKey(name) });
export const listProducts = (models: CatalogModels) => list<CatalogProduct>(m(models.products));

export const insertPlan = (models: CatalogModels, plan: Plan) =>
  insert(m(models.plans), { ...plan, body: plan });
export const updatePlan = (models: CatalogModels, plan: Plan, expected: number) =>
  update(m(models.plans), { ...plan, body: plan }, expected);
export const getPlan = (models: CatalogModels, id: string) =>
  findOne<Plan>(m(models.plans), { _id: id });
export const findPlanByName = (models: CatalogModels, name: string) =>
  findOne<Plan>(m(models.plans), { nameKey: nameKey(name) });
export const listPlans = (models: CatalogModels) => list<Plan>(m(models.plans));

/** Query members on a license's recorded entitlements, for the Licenses list filters. */
export function entitlementQuery(filter: {
  planId?: string;
  product?: string;
  feature?: string;
}): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (filter.planId !== undefined) query['entitlements.plan.id'] = filter.planId;
  if (filter.product !== undefined) query['entitlements.products.name'] = filter.product;
  if (filter.feature !== undefined) query['entitlements.features.name'] = filter.feature;
  return query;
}
