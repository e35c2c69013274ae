import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIo } from '@licensor/cli-kit';
import { describe, expect, it } from 'vitest';
import { golden } from '../../test/fixtures.js';
import { v1 } from '../../test/keysets.js';
import { main } from './main.js';

function io(cwd: string, stdin: () => Promise<string>) {
  const { io: cli, out } = memoryIo({ cwd, stdin });
  return { cli, out };
}

describe('licensor main', () => {
  it('reports an unexpected error as ERR_UNEXPECTED, as JSON with --json', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'licensor-main-'));
    writeFileSync(join(cwd, 'vendor.jwks.json'), JSON.stringify(golden.jwks));
    mkdirSync(join(cwd, '.licensor'));
    const broken = () => Promise.reject(new Error('stdin closed'));
    const asJson = io(cwd, broken);
    const args = ['apply', '-', '--trust', 'vendor.jwks.json'];
    expect(await main([...args, '--json'], asJson.cli)).toBe(1);
    expect(JSON.parse(asJson.out.stdout)).toEqual({
      error: { code: 'ERR_UNEXPECTED', message: 'stdin closed' },
    });
    expect(asJson.out.stderr).toBe('');
    const plain = io(cwd, broken);
    expect(await main(args, plain.cli)).toBe(1);
    expect(plain.out.stderr).toBe('error: ERR_UNEXPECTED: stdin closed\n');
  });

  it.each([
    ['trust', v1],
    ['apply', 'key'],
    ['show'],
    ['capacity'],
    ['verify'],
    ['activate', 'subscription'],
    ['requests'],
    ['requests', 'cancel', 'chl_x'],
    ['audit'],
  ])(
    'refuses %s … on a missing --state folder (ERR_STATE_NOT_FOUND) and creates nothing',
    async (...command: string[]) => {
      const cwd = mkdtempSync(join(tmpdir(), 'licensor-main-'));
      writeFileSync(join(cwd, 'vendor.jwks.json'), JSON.stringify(golden.jwks));
      const run = io(cwd, async () => '');
      const args = [...command, '--state', 'missing', '--trust', 'vendor.jwks.json'];
      expect(await main(args, run.cli)).toBe(1);
      expect(run.out.stderr).toMatch(/^error: ERR_STATE_NOT_FOUND: There is no license state in /);
      expect(run.out.stdout).toBe('');
      expect(existsSync(join(cwd, 'missing'))).toBe(false);
    },
  );
});
