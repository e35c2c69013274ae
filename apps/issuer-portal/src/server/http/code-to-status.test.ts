import { readFileSync } from 'node:fs';
import { ISSUER_ERROR_CODES } from '@licensor/issuer';
import { LicensorError, TOKEN_ERROR_CODES } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { codeToStatus, PORTAL_STATUS } from './code-to-status.js';
import { portalErrorAnswer } from './error-handler.js';
import { PORTAL_ERROR_CODES } from './portal-errors.js';

describe('codeToStatus', () => {
  it.each([
    ['ERR_UNAUTHENTICATED', 401],
    ['ERR_CSRF_INVALID', 403],
    ['ERR_FORBIDDEN', 403],
    ['ERR_REQUEST_INVALID', 400],
    ['ERR_SIGNATURE_INVALID', 422],
    ['ERR_KID_UNKNOWN', 422],
    ['ERR_INPUT_TOO_LARGE', 413],
    ['ERR_LICENSE_NOT_FOUND', 404],
    ['ERR_LICENSE_STATE', 409],
    ['ERR_STORE_UNAVAILABLE', 503],
  ])('maps %s to %i', (code, status) => {
    expect(codeToStatus(code)).toBe(status);
  });

  it('has a status other than 500 for every code of the portal, the issuer and the token package', () => {
    for (const code of [...PORTAL_ERROR_CODES, ...ISSUER_ERROR_CODES, ...TOKEN_ERROR_CODES]) {
      expect([code, codeToStatus(code)]).not.toEqual([code, 500]);
    }
  });

  it.each(['ERR_SOMETHING_NOT_FOUND', 'ERR_UNHEARD_OF'])(
    'answers a code it does not know (%s) with a plain 500 that echoes nothing',
    (code) => {
      const answer = portalErrorAnswer(new LicensorError(code, 'at /srv/secret/licensor.db'), 'r1');
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({
        error: {
          code: 'ERR_INTERNAL',
          message: 'Something went wrong on the server. Try again later.',
          requestId: 'r1',
        },
      });
    },
  );
});

describe('the README status table', () => {
  it('lists every code the portal answers under its status', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const rows = new Map<number, string>();
    for (const match of readme.matchAll(/^\| (\d{3}) +\| (.+) \|$/gm)) {
      rows.set(Number(match[1]), match[2]!);
    }
    const missing = (PORTAL_STATUS.codes as readonly string[]).filter(
      (code) => !(rows.get(PORTAL_STATUS.statusOf(code as never)) ?? '').includes(`\`${code}\``),
    );
    expect(missing).toEqual([]);
  });
});
