// Text that goes into a record whose bytes are hashed (the audit chain): well-formed UTF-16, so
// that what is hashed is what a store keeps. A lone surrogate would be hashed as JSON's "\udXXX"
// escape, while SQLite (UTF-8) and MongoDB (BSON) store it as U+FFFD, and the entry would read
// back as edited.

/** `text` with every lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, Node 20). */
export function wellFormed(text: string): string {
  return (text as string & { toWellFormed(): string }).toWellFormed();
}

/** `value` (plain JSON data) with every string in it, member names too, well-formed. */
export function wellFormedJson<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(wellFormedJson) as T;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    // Defined, not assigned: an own member named "__proto__" (JSON.parse makes one) stays one.
    Object.defineProperty(out, wellFormed(key), {
      value: wellFormedJson(member),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out as T;
}

/** At most `max` code points of `text`: never half of a surrogate pair. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let units = 0;
  let points = 0;
  for (const point of text) {
    if (points === max) break;
    units += point.length;
    points += 1;
  }
  return text.slice(0, units);
}
