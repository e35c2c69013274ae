// Product key sets on SQLite (issue #12.1): one table of versions per product scope, numbered
// in the one sequence of key set versions (the vendor's set of the same `seq` is in `keysets`).

import type Database from 'better-sqlite3';
import type { ProductKeysetRecord } from '../../records.js';
import { keysetOfRow } from './sqlite-keys.js';

type Row = Record<string, unknown>;

/** Migration: license keys of one product, and the key sets of each product. */
export const PRODUCT_KEYS_SQL = `
  ALTER TABLE signing_keys ADD COLUMN product_id TEXT;
  CREATE INDEX signing_keys_by_product ON signing_keys (purpose, product_id);

  CREATE TABLE product_keysets (
    product_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    product TEXT NOT NULL,
    token TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    kids TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (product_id, seq)
  );
  CREATE INDEX product_keysets_by_seq ON product_keysets (seq);
`;

export function insertProductKeyset(db: Database.Database, keyset: ProductKeysetRecord): boolean {
  const result = db
    .prepare(`INSERT OR IGNORE INTO product_keysets
      (product_id, seq, product, token, signed_by, kids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    .run(
      keyset.productId,
      keyset.seq,
      keyset.product,
      keyset.token,
      keyset.signedBy,
      JSON.stringify(keyset.kids),
      keyset.createdAt,
    );
  return result.changes === 1;
}

export function listProductKeysets(db: Database.Database, afterSeq: number): ProductKeysetRecord[] {
  const rows = db
    .prepare('SELECT * FROM product_keysets WHERE seq > ? ORDER BY seq, product_id')
    .all(afterSeq) as Row[];
  return rows.map((r) => ({
    ...keysetOfRow(r),
    productId: r.product_id as string,
    product: r.product as string,
  }));
}
