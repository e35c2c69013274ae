import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyFilePath, readKeyFile, writeKeyFile } from './key-files.js';

const seed = new Uint8Array(32).fill(7);
const posix = process.platform !== 'win32';

describe('plain key files', () => {
  it('writes a file readable by its owner only, in a folder per purpose', () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-keys-'));
    const path = writeKeyFile(dir, 'status', 'kid1', seed);
    expect(path).toBe(join(dir, 'keys', 'status', 'kid1.json'));
    if (posix) expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readKeyFile(dir, 'status', 'kid1')).toEqual(seed);
  });

  it.runIf(posix)('refuses a key file others can read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-keys-'));
    const path = writeKeyFile(dir, 'license', 'kid1', seed);
    chmodSync(path, 0o644);
    expect(() => readKeyFile(dir, 'license', 'kid1')).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_FILE' }),
    );
  });

  it('refuses a missing file, or one holding another key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-keys-'));
    expect(() => readKeyFile(dir, 'license', 'nope')).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_FILE' }),
    );
    writeKeyFile(dir, 'license', 'kid1', seed);
    const other = keyFilePath(dir, 'license', 'kid2');
    writeFileSync(other, readFileSync(keyFilePath(dir, 'license', 'kid1')), { mode: 0o600 });
    expect(() => readKeyFile(dir, 'license', 'kid2')).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_FILE' }),
    );
  });
});
