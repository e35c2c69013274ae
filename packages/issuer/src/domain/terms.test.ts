import { MAX_COUNT, MAX_CUSTOMER_NAME_LENGTH, MAX_GRACE_SECONDS } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { normaliseTerms, renewedTerm, sameTerms, TERMS_LIMITS, termFor } from './terms.js';

const DAY = 86_400;

describe('terms', () => {
  it('trims the customer name and keeps only what applies', () => {
    expect(normaliseTerms({ customerName: '  Acme ', model: 'perpetual', credentials: 3 })).toEqual(
      {
        customerName: 'Acme',
        model: 'perpetual',
        credentials: 3,
      },
    );
  });

  it.each([
    [{ credentials: 1.5 }, 'credentials'],
    [{ credentials: -1 }, 'credentials'],
    [{ model: 'lifetime' }, 'model'],
    [{ customerName: 'a\nb' }, 'customerName'],
    [{ customerId: 'lic_x' }, 'customerId'],
  ])('refuses %o naming the field %s', (change, field) => {
    expect(() =>
      normaliseTerms({
        customerName: 'Acme',
        model: 'perpetual',
        credentials: 3,
        ...change,
      } as never),
    ).toThrow(expect.objectContaining({ code: 'ERR_TERMS_INVALID', field }));
  });

  it('compares terms, a customer id only when given', () => {
    const stored = {
      customerName: 'Acme',
      model: 'subscription',
      credentials: 3,
      termDays: 30,
    } as const;
    expect(sameTerms({ ...stored }, stored, 'cus_1')).toBe(true);
    expect(sameTerms({ ...stored, customerId: 'cus_1' }, stored, 'cus_1')).toBe(true);
    expect(sameTerms({ ...stored, customerId: 'cus_2' }, stored, 'cus_1')).toBe(false);
    expect(sameTerms({ ...stored, termDays: 31 }, stored, 'cus_1')).toBe(false);
  });

  it('starts a default term of 365 days with 30 days of grace for a new subscription', () => {
    expect(
      termFor({ customerName: 'A', model: 'subscription', credentials: 1 }, null, 1000),
    ).toEqual({
      start: 1000,
      end: 1000 + 365 * DAY,
      grace: 30 * DAY,
    });
  });

  it('keeps the current term on an upgrade without termDays', () => {
    const current = { start: 10, end: 20 * DAY, grace: 5 * DAY };
    expect(
      termFor({ customerName: 'A', model: 'subscription', credentials: 9 }, current, 100),
    ).toEqual(current);
  });

  it('renews from the end of the term, or from now when it has ended', () => {
    const current = { start: 0, end: 100 * DAY, grace: DAY };
    expect(renewedTerm(current, 10, undefined, 50 * DAY)).toEqual({
      start: 0,
      end: 110 * DAY,
      grace: DAY,
    });
    expect(renewedTerm(current, 10, 2, 200 * DAY)).toEqual({
      start: 0,
      end: 210 * DAY,
      grace: 2 * DAY,
    });
    expect(() => renewedTerm(current, 0, undefined, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_TERMS_INVALID' }),
    );
  });
});

describe('terms limits (#10.1)', () => {
  it("are the token's bounds, and a refusal names the field and the bound", () => {
    expect(TERMS_LIMITS.credentials.max).toBe(MAX_COUNT);
    expect(TERMS_LIMITS.graceDays.max * DAY).toBe(MAX_GRACE_SECONDS);
    expect(TERMS_LIMITS.customerName.maxLength).toBe(MAX_CUSTOMER_NAME_LENGTH);
    const subscription = { customerName: 'Acme', model: 'subscription', credentials: 3 } as const;
    expect(() => normaliseTerms({ ...subscription, graceDays: 5000 })).toThrow(
      expect.objectContaining({
        code: 'ERR_TERMS_INVALID',
        field: 'graceDays',
        message: 'terms: graceDays must be a whole number of days from 0 to 3660',
      }),
    );
    expect(() => normaliseTerms({ ...subscription, termDays: 3661 })).toThrow(
      expect.objectContaining({ field: 'termDays' }),
    );
    expect(normaliseTerms({ ...subscription, credentials: MAX_COUNT, graceDays: 3660 })).toEqual({
      ...subscription,
      credentials: MAX_COUNT,
      graceDays: 3660,
    });
  });
});
