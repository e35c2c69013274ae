// Vendor users on SQLite: the records beside the transaction log.

import type Database from 'better-sqlite3';
import type { VendorUser } from '../../records.js';

type Row = Record<string, unknown>;

export function insertUser(db: Database.Database, user: VendorUser, passwordHash: string): void {
  db.prepare(`INSERT INTO users (id, name, role, disabled, password_hash, password_one_time,
      created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
    user.id,
    user.name,
    user.role,
    user.disabled ? 1 : 0,
    passwordHash,
    user.passwordOneTime ? 1 : 0,
    user.createdAt,
    user.updatedAt,
  );
}

export function getUserByName(
  db: Database.Database,
  name: string,
): (VendorUser & { passwordHash: string }) | null {
  const row = db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row | undefined;
  return row === undefined ? null : { ...userOf(row), passwordHash: row.password_hash as string };
}

export function listUsers(db: Database.Database): VendorUser[] {
  const rows = db.prepare('SELECT * FROM users ORDER BY name COLLATE NOCASE').all() as Row[];
  return rows.map(userOf);
}

export type UserPatch = Partial<Pick<VendorUser, 'role' | 'disabled' | 'updatedAt'>> & {
  passwordHash?: string;
  passwordOneTime?: boolean;
};

export function updateUser(db: Database.Database, id: string, patch: UserPatch): void {
  const columns: [string, unknown][] = [
    ['role', patch.role],
    ['disabled', patch.disabled === undefined ? undefined : patch.disabled ? 1 : 0],
    ['updated_at', patch.updatedAt],
    ['password_hash', patch.passwordHash],
    [
      'password_one_time',
      patch.passwordOneTime === undefined ? undefined : patch.passwordOneTime ? 1 : 0,
    ],
  ];
  const sets: string[] = [];
  const args: unknown[] = [];
  for (const [column, value] of columns) {
    if (value === undefined) continue;
    sets.push(`${column} = ?`);
    args.push(value);
  }
  if (sets.length === 0) return;
  db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
}

function userOf(row: Row): VendorUser {
  return {
    id: row.id as string,
    name: row.name as string,
    role: row.role as VendorUser['role'],
    disabled: row.disabled === 1,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    ...(row.password_one_time === 1 ? { passwordOneTime: true as const } : {}),
  };
}
