import { describe, expect, it } from 'vitest';
import { SCRAPE_TOKEN_MIN_LENGTH, scrapeTokenMatches, scrapeTokenProblem } from './index.js';

const token = 'a3f1c9e07b2d4e58a3f1c9e07b2d4e58';

describe('the scrape token', () => {
  it('is accepted when it is one word of at least 16 characters', () => {
    expect(SCRAPE_TOKEN_MIN_LENGTH).toBe(16);
    expect(scrapeTokenProblem(token)).toBeNull();
    expect(scrapeTokenProblem('x'.repeat(16))).toBeNull();
  });

  it('is refused, with what to do, when shorter or holding whitespace', () => {
    expect(scrapeTokenProblem('x'.repeat(15))).toMatch(
      /LICENSOR_METRICS_TOKEN must be at least 16 characters.*openssl rand -hex 16/,
    );
    for (const bad of [
      'two words here, long enough',
      'tab\tinside-the-token-xx',
      'new\nline-inside-the-token',
    ]) {
      expect(scrapeTokenProblem(bad)).toMatch(/must not contain spaces/);
    }
  });

  it('is refused when not printable ASCII (a header carries bytes: such a token never matches)', () => {
    for (const bad of ['é'.repeat(16), `token-with-emoji-${String.fromCodePoint(0x1f511)}`]) {
      expect(scrapeTokenProblem(bad)).toMatch(/LICENSOR_METRICS_TOKEN must be printable ASCII/);
    }
  });

  it('matches only the header Bearer <token>, the scheme in any case', () => {
    expect(scrapeTokenMatches(`Bearer ${token}`, token)).toBe(true);
    expect(scrapeTokenMatches(`bearer ${token}`, token)).toBe(true);
    expect(scrapeTokenMatches(`Bearer  ${token} `, token)).toBe(true);
  });

  it('refuses a missing header, another scheme, another token, a prefix and a second word', () => {
    const refused = [
      undefined,
      '',
      token,
      `Basic ${token}`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Bearer ${token.toUpperCase()}`,
      `Bearer ${token} extra`,
      'Bearer',
      ['Bearer', token],
    ];
    for (const header of refused) expect(scrapeTokenMatches(header, token)).toBe(false);
  });
});
