// Product key sets on MongoDB (issue #12.1): one document per product and version, `_id`
// `<productId>:<seq>` (unique: a version is written once), numbered in the one sequence of key
// set versions (the vendor's set of the same `seq` is in `keysets`).

import { type Connection, Schema } from 'mongoose';
import type { ProductKeysetRecord } from '../../records.js';
import { insertedOnce, keysetOfDocument } from './mongo-keys.js';

type Doc = Record<string, unknown>;

const productKeyset = new Schema(
  {
    _id: { type: String, required: true },
    productId: { type: String, required: true },
    seq: { type: Number, required: true },
    product: { type: String, required: true },
    token: { type: String, required: true },
    signedBy: { type: String, required: true },
    kids: { type: [String], required: true },
    createdAt: { type: Number, required: true },
  },
  {
    versionKey: false,
    autoIndex: false,
    strict: true,
    minimize: false,
    collection: 'product_keysets',
  },
);
productKeyset.index({ seq: 1 });

export function productKeyModelsOf(connection: Connection) {
  return { productKeysets: connection.model('ProductKeyset', productKeyset) };
}

type Models = ReturnType<typeof productKeyModelsOf>;

export async function insertProductKeyset(
  models: Models,
  keyset: ProductKeysetRecord,
): Promise<boolean> {
  return insertedOnce(() =>
    models.productKeysets.create({ _id: `${keyset.productId}:${keyset.seq}`, ...keyset }),
  );
}

export async function listProductKeysets(
  models: Models,
  afterSeq: number,
): Promise<ProductKeysetRecord[]> {
  const documents = (await models.productKeysets
    .find({ seq: { $gt: afterSeq } })
    .sort({ seq: 1, productId: 1 })
    .lean()) as Doc[];
  return documents.map((d) => ({
    ...keysetOfDocument(d, d.seq as number),
    productId: d.productId as string,
    product: d.product as string,
  }));
}
