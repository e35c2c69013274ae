import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CACHED, statement } from './statements.js';

describe('prepared statements per handle', () => {
  const opened: Database.Database[] = [];
  const open = () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    opened.push(db);
    return db;
  };
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
  });

  it('prepares a text once per handle and reuses the statement, with fresh bindings each run', () => {
    const db = open();
    const insert = statement(db, 'INSERT INTO t (v) VALUES (?)');
    expect(statement(db, 'INSERT INTO t (v) VALUES (?)')).toBe(insert);
    insert.run('a');
    statement(db, 'INSERT INTO t (v) VALUES (?)').run('b');
    const read = statement(db, 'SELECT v FROM t WHERE id = ?');
    expect(read.get(1)).toEqual({ v: 'a' });
    expect(statement(db, 'SELECT v FROM t WHERE id = ?').get(2)).toEqual({ v: 'b' });
    expect(statement(db, 'SELECT v FROM t WHERE id = ?').get(3)).toBeUndefined();
  });

  it('never hands one handle the statement of another', () => {
    const first = open();
    const second = open();
    const sql = 'SELECT count(*) AS n FROM t';
    expect(statement(first, sql)).not.toBe(statement(second, sql));
    statement(first, 'INSERT INTO t (v) VALUES (?)').run('only in the first');
    expect(statement(first, sql).get()).toEqual({ n: 1 });
    expect(statement(second, sql).get()).toEqual({ n: 0 });
  });

  it(`holds at most ${MAX_CACHED} texts per handle: past that it starts again`, () => {
    const db = open();
    const first = statement(db, 'SELECT 0 AS n');
    for (let i = 1; i < MAX_CACHED; i++) statement(db, `SELECT ${i} AS n`);
    expect(statement(db, 'SELECT 0 AS n')).toBe(first);
    statement(db, `SELECT ${MAX_CACHED} AS n`);
    const again = statement(db, 'SELECT 0 AS n');
    expect(again).not.toBe(first);
    expect(again.get()).toEqual({ n: 0 });
  });
});
