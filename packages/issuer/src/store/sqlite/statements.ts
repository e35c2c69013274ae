// Prepared statements, prepared once per database handle: better-sqlite3 statements are
// reusable, and preparing one costs more than running a short read (the issue path makes
// about ten reads and writes per issue). Keyed by the SQL text; a statement built from a filter
// is cached per filter shape (values are always bound, never in the text), and the cache is
// emptied if it ever holds MAX_CACHED texts, so it cannot grow without bound.
// Only for statements run with get/all/run: an `iterate` keeps its statement busy until the
// loop ends, and `pluck`/`raw`/`expand` change the statement for every later caller.

import type Database from 'better-sqlite3';

export const MAX_CACHED = 512;

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** The statement for `sql` on this handle, prepared on its first use. */
export function statement(db: Database.Database, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (cache === undefined) {
    cache = new Map();
    statements.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (prepared === undefined) {
    prepared = db.prepare(sql);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(sql, prepared);
  }
  return prepared;
}
