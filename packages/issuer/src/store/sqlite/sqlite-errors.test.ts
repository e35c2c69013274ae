import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUniqueViolation } from './sqlite-errors.js';

describe('isUniqueViolation', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = new Database(':memory:');
    db.exec(`CREATE TABLE t (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      size INTEGER CHECK (size >= 0)
    )`);
    db.prepare('INSERT INTO t (id, name, size) VALUES (?, ?, ?)').run('a', 'first', 1);
  });
  afterEach(() => db.close());

  const errorOf = (sql: string, ...params: unknown[]): unknown => {
    try {
      db.prepare(sql).run(...params);
    } catch (error) {
      return error;
    }
    throw new Error(`no error from ${sql}`);
  };

  it('is true of a second row with the same primary key or the same unique value', () => {
    expect(isUniqueViolation(errorOf('INSERT INTO t (id, name) VALUES (?, ?)', 'a', 'other'))).toBe(
      true,
    );
    expect(isUniqueViolation(errorOf('INSERT INTO t (id, name) VALUES (?, ?)', 'b', 'first'))).toBe(
      true,
    );
  });

  it('is false of the other constraints and of anything that is not a SQLite error', () => {
    expect(isUniqueViolation(errorOf('INSERT INTO t (id, name) VALUES (?, ?)', 'c', null))).toBe(
      false,
    );
    expect(
      isUniqueViolation(errorOf('INSERT INTO t (id, name, size) VALUES (?, ?, ?)', 'd', 'x', -1)),
    ).toBe(false);
    expect(isUniqueViolation(errorOf('INSERT INTO missing (id) VALUES (?)', 'e'))).toBe(false);
    expect(isUniqueViolation(new Error('UNIQUE constraint failed'))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
  });
});
