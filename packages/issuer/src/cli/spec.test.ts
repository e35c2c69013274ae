import { readFileSync } from 'node:fs';
import { parseCommandLine as parseWith, UsageError } from '@licensor/cli-kit';
import { describe, expect, it } from 'vitest';
import { ISSUER_VERSION } from '../version.js';
import { ISSUER_CLI } from './spec.js';

const parseCommandLine = (argv: string[]) => parseWith(ISSUER_CLI, argv);

// One key id in 64 begins with '-': a thumbprint is 43 base64url characters.
const DASHED_KID = '-1PqfL2c1Dn3OYsQmoq6tlz4nDyZbX0aWnuiDTk3zFY';

describe('parseCommandLine', () => {
  it('takes a key id that begins with a dash as the argument, not as an option', () => {
    expect(parseCommandLine(['keys', 'retire', DASHED_KID])).toMatchObject({
      command: 'keys retire',
      positionals: [DASHED_KID],
    });
    expect(parseCommandLine(['keys', 'retire', DASHED_KID, '--json'])).toMatchObject({
      positionals: [DASHED_KID],
      values: { json: true },
    });
  });

  it('still accepts the explicit -- form', () => {
    expect(parseCommandLine(['keys', 'retire', '--', DASHED_KID])).toMatchObject({
      positionals: [DASHED_KID],
    });
  });

  it('keeps a dashed word that is the value of a string option with that option', () => {
    expect(parseCommandLine(['revoke', 'lic_x', '--reason', DASHED_KID])).toMatchObject({
      positionals: ['lic_x'],
      values: { reason: DASHED_KID },
    });
  });

  it('takes an armoured challenge as the argument', () => {
    const armoured = '-----BEGIN LICENSOR CHALLENGE-----\nabc\n-----END LICENSOR CHALLENGE-----';
    expect(parseCommandLine(['inspect', armoured])).toMatchObject({
      positionals: [armoured],
    });
  });

  it('refuses an unknown short option with a usage error', () => {
    expect(() => parseCommandLine(['keys', 'retire', '-x'])).toThrow(UsageError);
  });

  it('prints the version of the package with --version (#16.19)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(ISSUER_VERSION).toBe(pkg.version);
    expect(parseCommandLine(['--version'])).toEqual({
      kind: 'version',
      text: `licensor-issuer ${pkg.version}\n`,
    });
  });
});
