// Pasted tokens: whitespace anywhere and armour blocks (also inside an e-mail) give the compact token.

import { describe, expect, it } from 'vitest';
import {
  armour,
  armourBlocks,
  armourBundle,
  MAX_PASTED_LENGTH,
  normaliseToken,
} from './normalise.js';

const token = `${'a'.repeat(100)}.${'b'.repeat(150)}.${'c'.repeat(86)}`;

describe('normaliseToken', () => {
  it.each([42, null, undefined, {}, ['a.b.c']])(
    'refuses %j that is not text with ERR_JWS_MALFORMED',
    (value) => {
      expect(() => normaliseToken(value as unknown as string)).toThrow(
        expect.objectContaining({ code: 'ERR_JWS_MALFORMED' }),
      );
    },
  );

  it('drops whitespace and line breaks anywhere', () => {
    expect(
      normaliseToken(
        `  ${token.slice(0, 10)}\n\t${token.slice(10, 200)}\r\n  ${token.slice(200)}\n`,
      ),
    ).toBe(token);
  });
  it('unwraps an armour block, ignoring text around it', () => {
    const mail = `Hello,\n\nhere is your key:\n\n${armour(token, 'license')}\nRegards\n`;
    expect(normaliseToken(mail)).toBe(token);
    expect(normaliseToken(mail, 'license')).toBe(token);
  });
  it('takes the one block of the kind asked for from a bundle (key sets before a license)', () => {
    const other = `${'x'.repeat(100)}.${'y'.repeat(150)}.${'z'.repeat(86)}`;
    const bundle = `Your key:\n${armourBundle(token, [other, other])}Regards`;
    expect(normaliseToken(bundle, 'license')).toBe(token);
    // Two of the kind, or no kind asked: which one is meant is not said.
    expect(() => normaliseToken(bundle, 'keyset')).toThrow(
      expect.objectContaining({
        code: 'ERR_ARMOR_INVALID',
        message: expect.stringContaining('holds 2 KEY SET blocks; paste one'),
      }),
    );
    expect(() => normaliseToken(bundle)).toThrow(
      expect.objectContaining({ code: 'ERR_ARMOR_INVALID' }),
    );
    expect(() => normaliseToken(bundle, 'challenge')).toThrow(
      expect.objectContaining({ code: 'ERR_ARMOR_INVALID' }),
    );
  });
  it('unwraps an armour block that was re-indented', () => {
    const indented = armour(token, 'challenge')
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\r\n');
    expect(normaliseToken(indented, 'challenge')).toBe(token);
  });
});

describe('armour', () => {
  it('wraps at 64 columns between BEGIN and END lines of the kind', () => {
    const lines = armour(token, 'license').trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN LICENSOR LICENSE-----');
    expect(lines.at(-1)).toBe('-----END LICENSOR LICENSE-----');
    const body = lines.slice(1, -1);
    expect(body.slice(0, -1).every((line) => line.length === 64)).toBe(true);
    expect(body.join('')).toBe(token);
    expect(armour(token, 'challenge')).toContain('-----BEGIN LICENSOR CHALLENGE-----\n');
  });
  it('is idempotent on an armoured token of the same kind', () => {
    expect(armour(armour(token, 'license'), 'license')).toBe(armour(token, 'license'));
  });
});

describe('armourBlocks', () => {
  it('splits a bundle of key sets and a license, ignoring text around and unmatched lines', () => {
    const pasted = `Hello,\n-----BEGIN NOTHING-----\n${armourBundle(token, [token, token])}Regards`;
    expect(armourBlocks(pasted)).toEqual([
      { kind: 'keyset', token },
      { kind: 'keyset', token },
      { kind: 'license', token },
    ]);
  });

  it('refuses text longer than a license and the most key sets a bundle carries, before reading it, with ERR_INPUT_TOO_LARGE', () => {
    const pasted = '-----BEGIN A-----'.repeat(16_000);
    expect(pasted.length).toBeGreaterThan(MAX_PASTED_LENGTH);
    expect(() => armourBlocks(pasted)).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_TOO_LARGE' }),
    );
  });

  it('reads many BEGIN lines with no END in one pass (the largest text allowed)', () => {
    const line = '-----BEGIN A-----';
    const pasted = `${line.repeat(Math.floor(MAX_PASTED_LENGTH / line.length) - 30)}${armour(token, 'license')}`;
    expect(pasted.length).toBeLessThanOrEqual(MAX_PASTED_LENGTH);
    // No timing asserted: a scan quadratic in the BEGIN lines runs into vitest's timeout.
    expect(armourBlocks(pasted)).toEqual([{ kind: 'license', token }]);
  });
});
