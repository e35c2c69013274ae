// The form's limits of a license's terms: the issuer's one set (TERMS_LIMITS, built on the
// token's bounds), so the hints, the checks in the browser and the API's schema cannot differ.
import { DEFAULT_GRACE_DAYS, DEFAULT_TERM_DAYS, TERMS_LIMITS } from '@licensor/issuer/terms';

export { DEFAULT_GRACE_DAYS, DEFAULT_TERM_DAYS, TERMS_LIMITS };

type Field = 'credentials' | 'termDays' | 'graceDays';

const count = (value: number) => value.toLocaleString('en-US');

/** `1 to 3,660 days`: the range of a field, for a hint or an error. */
export function rangeText(field: Field): string {
  const { min, max } = TERMS_LIMITS[field];
  return `${count(min)} to ${count(max)}${field === 'credentials' ? '' : ' days'}`;
}

/** What is wrong with a value typed for `field`, or null when it is within the limits. */
export function rangeProblem(field: Field, text: string): string | null {
  const value = Number(text);
  const { min, max } = TERMS_LIMITS[field];
  if (text.trim() !== '' && Number.isInteger(value) && value >= min && value <= max) return null;
  return `Enter a whole number from ${rangeText(field)}.`;
}
