// Keyset (cursor) paging of the long lists. A page is asked for "after" the last row of the one
// before, by the row's sort key, so page 5,000 costs what page 1 does (an OFFSET reads and drops
// every row before it). A cursor is opaque to callers: base64url of the sort key as JSON.

import { InputInvalidError } from '../errors.js';
import type { Customer, License } from '../records.js';
import type { LicenseFilter, PlanRevisionKey } from './ports.js';

function encode(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decode(cursor: string, shape: readonly ('string' | 'number')[]): unknown[] {
  let parts: unknown;
  try {
    parts = /^[A-Za-z0-9_-]{1,2048}$/.test(cursor)
      ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
      : null;
  } catch {
    parts = null;
  }
  if (
    !Array.isArray(parts) ||
    parts.length !== shape.length ||
    parts.some((part, i) => typeof part !== shape[i])
  ) {
    throw new InputInvalidError(
      'cursor',
      'is not a cursor this list gave out: pass the nextCursor of the page before, unchanged',
    );
  }
  return parts;
}

/** Licenses go newest change first: (updatedAt descending, id ascending). */
export function licenseCursor(license: Pick<License, 'updatedAt' | 'id'>): string {
  return encode([license.updatedAt, license.id]);
}

export function decodeLicenseCursor(cursor: string): { updatedAt: number; id: string } {
  const [updatedAt, id] = decode(cursor, ['number', 'string']) as [number, string];
  return { updatedAt, id };
}

/** A filter's `before` cursor decoded (null: none); refused beside `after` or `offset`. */
export function beforeCursorOf(
  filter: Pick<LicenseFilter, 'after' | 'before' | 'offset'>,
): { updatedAt: number; id: string } | null {
  if (filter.before === undefined) return null;
  if (filter.after !== undefined || (filter.offset ?? 0) !== 0) {
    throw new InputInvalidError(
      'before',
      'pages back from one cursor: give it without after and offset',
    );
  }
  return decodeLicenseCursor(filter.before);
}

/** A plan's affected licenses go by the revision they were issued from, then id. */
export function planRevisionCursor(key: PlanRevisionKey): string {
  return encode([key.revision, key.id]);
}

export function decodePlanRevisionCursor(cursor: string): PlanRevisionKey {
  const [revision, id] = decode(cursor, ['number', 'string']) as [number, string];
  return { revision, id };
}

/** Customers go by name, ASCII letters folded (SQLite NOCASE), then id. */
export function customerCursor(customer: Pick<Customer, 'name' | 'id'>): string {
  return encode([customer.name, customer.id]);
}

export function decodeCustomerCursor(cursor: string): { name: string; id: string } {
  const [name, id] = decode(cursor, ['string', 'string']) as [string, string];
  return { name, id };
}

/** A customer name's sort key on both stores: ASCII letters folded, as SQLite's NOCASE does. */
export function foldName(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * The names starting with `prefix` as a range of the name order: from the prefix up to (not
 * including) the prefix followed by the highest code point, which sorts (UTF-8 bytes) after
 * every name with that prefix.
 */
export function namePrefixRange(prefix: string): { from: string; below: string } {
  return { from: prefix, below: `${prefix}\u{10FFFF}` };
}

/** The cursor of the page after `items`, or null when this was the last page. */
export function nextCursorOf<T>(
  items: readonly T[],
  limit: number,
  cursorOf: (item: T) => string,
): string | null {
  const last = items[items.length - 1];
  return items.length < limit || last === undefined ? null : cursorOf(last);
}

/**
 * A page answer from `limit + 1` rows read: the first `limit`, and the cursor of the next page
 * only when there is one (the extra row came back), so the last page says so.
 */
export function pageOfRows<T>(
  rows: readonly T[],
  limit: number,
  cursorOf: (item: T) => string,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  };
}

/**
 * Every license matching `filter`, a page at a time, by cursor. A license changed while the
 * pages are read moves ahead of the cursor (newest change first): it is neither read twice nor
 * makes another one skipped, as it would with offsets.
 */
export async function* licensePages(
  list: (filter: LicenseFilter) => Promise<License[]>,
  filter: Omit<LicenseFilter, 'after' | 'offset' | 'limit'>,
  size = 1_000,
): AsyncGenerator<License[]> {
  let after: string | undefined;
  for (;;) {
    const page = await list({ ...filter, limit: size, ...(after === undefined ? {} : { after }) });
    if (page.length > 0) yield page;
    const next = nextCursorOf(page, size, licenseCursor);
    if (next === null) return;
    after = next;
  }
}
