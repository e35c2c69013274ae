import {
  MAX_COUNT,
  MAX_CUSTOMER_NAME_LENGTH,
  MAX_GRACE_SECONDS,
  validateChallengeClaims,
} from '@licensor/token';
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
    // What the token's customerName reader refuses: C0 and C1 controls, DEL, U+2028 and U+2029,
    // lone surrogates (a name it refuses would block every later key of the customer).
    [{ customerName: 'Globex\ud800' }, 'customerName'],
    [{ customerName: '\udc00Globex' }, 'customerName'],
    [{ customerName: '\u0085' }, 'customerName'],
    [{ customerName: 'Glo\u009fbex' }, 'customerName'],
    [{ customerName: 'Glo\u007fbex' }, 'customerName'],
    [{ customerName: '\u2028' }, 'customerName'],
    [{ customerName: 'Glo\u2029bex' }, 'customerName'],
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

  it('keeps a name the token takes: letters of any script, emoji (a surrogate pair), inner spaces', () => {
    for (const customerName of ['Ünïcödé GmbH', 'Globex 😀', '株式会社 例', 'A\u00a0B']) {
      expect(
        normaliseTerms({ customerName, model: 'perpetual', credentials: 1 }).customerName,
      ).toBe(customerName);
    }
  });

  it('refuses exactly the inner characters the token refuses in a customer name', () => {
    const takenByToken = (customerName: string) => {
      try {
        validateChallengeClaims({
          v: 1,
          jti: 'chal_parity',
          iat: 1_700_000_000,
          exp: 1_700_086_400,
          sub: 'A'.repeat(43),
          product: { name: 'P', version: '1.0.0' },
          license: null,
          usage: { credentialsInUse: 0 },
          request: { kind: 'license', credentials: 1, customerName },
        });
        return true;
      } catch {
        return false;
      }
    };
    const takenByTerms = (customerName: string) => {
      try {
        normaliseTerms({ customerName, model: 'perpetual', credentials: 1 });
        return true;
      } catch {
        return false;
      }
    };
    const codes = [
      ...Array.from({ length: 0xb0 }, (_, i) => i),
      0x2027,
      0x2028,
      0x2029,
      0x202a,
      0xd7ff,
      0xd800,
      0xdbff,
      0xdc00,
      0xdfff,
      0xe000,
      0xfeff,
      0xfffe,
      0xffff,
    ];
    const names = [
      ...codes.map((c) => `A${String.fromCharCode(c)}B`),
      'A\ud83d\ude00B',
      'A\ude00\ud83dB',
    ];
    expect(takenByToken('Acme')).toBe(true);
    expect(names.filter((n) => takenByTerms(n) !== takenByToken(n))).toEqual([]);
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
        message: 'terms: graceDays must be a whole number of days from 1 to 3660',
      }),
    );
    // No grace at all would leave a subscription usable only at the instant of a check.
    expect(() => normaliseTerms({ ...subscription, graceDays: 0 })).toThrow(
      expect.objectContaining({
        field: 'graceDays',
        message: expect.stringContaining('only at the instant of an online check'),
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
