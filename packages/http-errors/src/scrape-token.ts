// The scrape token of both servers' GET /metrics (LICENSOR_METRICS_TOKEN): what a token must look
// like, and whether a request's Authorization header carries it. The comparison takes the same
// time whatever the header holds (digests of equal length, compared in constant time), so a
// caller cannot find the token a character at a time.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The shortest scrape token the servers accept: 16 characters (`openssl rand -hex 16` gives 32). */
export const SCRAPE_TOKEN_MIN_LENGTH = 16;

/**
 * What is wrong with a scrape token, as a sentence naming LICENSOR_METRICS_TOKEN and saying what
 * to do; null when it is fine. A token is one word of printable ASCII (a scrape sends it as
 * `Bearer <token>`) of at least SCRAPE_TOKEN_MIN_LENGTH characters.
 */
export function scrapeTokenProblem(token: string): string | null {
  if (/\s/.test(token)) {
    return 'LICENSOR_METRICS_TOKEN must not contain spaces (a scrape sends it as one Bearer word): use e.g. `openssl rand -hex 16`';
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    return 'LICENSOR_METRICS_TOKEN must be printable ASCII (a scrape sends it in an HTTP header, where other characters do not arrive as typed): use e.g. `openssl rand -hex 16`';
  }
  if (token.length < SCRAPE_TOKEN_MIN_LENGTH) {
    return `LICENSOR_METRICS_TOKEN must be at least ${SCRAPE_TOKEN_MIN_LENGTH} characters: use a random one, e.g. \`openssl rand -hex 16\``;
  }
  return null;
}

/**
 * LICENSOR_METRICS_TOKEN as a server reads it from its environment: unset or empty is no token;
 * surrounding whitespace is dropped; blank (only spaces) and a token the rule above refuses are a
 * `problem` (a sentence for the usage error), `unset` saying what leaving it unset does.
 */
export function scrapeTokenSetting(
  raw: string | undefined,
  unset: string,
): { token: string | null; problem: string | null } {
  if (raw === undefined || raw === '') return { token: null, problem: null };
  const token = raw.trim();
  if (token === '') {
    return {
      token: null,
      problem: `LICENSOR_METRICS_TOKEN is blank (only spaces): unset it to ${unset}, or set a random token, e.g. \`openssl rand -hex 16\``,
    };
  }
  return { token, problem: scrapeTokenProblem(token) };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Whether an Authorization header is `Bearer <token>` (scheme in any case) for this token.
 * Anything else (no header, another scheme, another token, two words) is false.
 */
export function scrapeTokenMatches(
  authorization: string | readonly string[] | undefined,
  token: string,
): boolean {
  if (typeof authorization !== 'string') return false;
  const given = /^Bearer +(\S+)\s*$/i.exec(authorization)?.[1];
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(token));
}
