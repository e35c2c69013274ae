import { LicensorError } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import { errorAnswer, requestIdFrom, statusTable } from './index.js';

type Code = 'ERR_A' | 'ERR_B' | 'ERR_BROKEN';
const table = statusTable<Code>({ ERR_A: 400, ERR_B: 503, ERR_BROKEN: 500 });

describe('errorAnswer', () => {
  it('keeps the code and message of a typed error the table maps', () => {
    expect(errorAnswer(new LicensorError('ERR_A', 'fix the input'), 'r1', table, 'oops')).toEqual({
      status: 400,
      body: { error: { code: 'ERR_A', message: 'fix the input', requestId: 'r1' } },
      internal: false,
    });
    expect(errorAnswer(new LicensorError('ERR_B', 'store down'), 'r1', table, 'oops').status).toBe(
      503,
    );
  });

  it.each([
    ['an error without a code', new Error('SQLITE_CORRUPT /srv/secret.db')],
    ['a code the table does not hold', new LicensorError('ERR_NEW', 'at /srv/secret.db')],
    ['a code the table maps to 500', new LicensorError('ERR_BROKEN', 'at /srv/secret.db')],
    ['a thrown string', 'boom at /srv/secret.db'],
  ])('answers %s with a plain 500 that echoes nothing', (_what, error) => {
    const answer = errorAnswer(error, 'r2', table, 'Retry later.');
    expect(answer).toEqual({
      status: 500,
      body: { error: { code: 'ERR_INTERNAL', message: 'Retry later.', requestId: 'r2' } },
      internal: true,
    });
  });
});

describe('statusTable', () => {
  it('lists its codes and answers 500 for others', () => {
    expect(table.codes).toEqual(['ERR_A', 'ERR_B', 'ERR_BROKEN']);
    expect(table.statusOf('ERR_OTHER')).toBe(500);
  });

  it('refuses a status that is not an error status', () => {
    expect(() => statusTable({ ERR_A: 200 })).toThrow(RangeError);
  });
});

describe('requestIdFrom', () => {
  it.each(['abc-1', 'trace.123:x_y', 'a'.repeat(64)])('keeps %s', (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });

  it.each([undefined, '', 'bad id <script>', 'a'.repeat(65), ['a', 'b']])(
    'replaces %j with a UUID',
    (id) => {
      expect(requestIdFrom(id as string | undefined)).toMatch(/^[0-9a-f-]{36}$/);
    },
  );
});
