// What an error of the MongoDB driver (or mongoose) means to the store: the one place its error
// codes are read. The SQLite store's counterpart is ../sqlite/sqlite-errors.ts.

/** A duplicate key (11000, or 11001 from older servers): the document is there already. */
export function isDuplicateKey(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 11000 || code === 11001;
}

/**
 * A bulk write whose every failure is a duplicate key (what is there already): nothing is
 * missing. Any other write error (a server that lost its storage, a restart mid-write) is not
 * this, and must reach the caller, which keeps and retries what it wrote.
 */
export function onlyDuplicateKeys(error: unknown): boolean {
  // The driver gives one WriteError alone, or several in an array.
  const given = (error as { writeErrors?: unknown }).writeErrors;
  const writeErrors = given === undefined || given === null ? [] : [given].flat();
  // A driver WriteError has `code`; mongoose's insertMany hands over `{ err: { code }, index }`.
  const codeOf = (e: unknown) =>
    (e as { code?: unknown; err?: { code?: unknown } }).code ??
    (e as { err?: { code?: unknown } }).err?.code;
  if (writeErrors.length > 0) return writeErrors.every((e) => isDuplicateKey({ code: codeOf(e) }));
  return isDuplicateKey(error);
}
