// What an error of better-sqlite3 means to the store: the one place its error codes are read.

/**
 * A UNIQUE or PRIMARY KEY conflict: the row (or another with the same unique key) is there
 * already. A NOT NULL, CHECK or FOREIGN KEY failure is not one: those are bugs, rethrown.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
