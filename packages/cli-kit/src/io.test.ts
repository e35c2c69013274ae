import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentFileError, memoryIo, readArgument } from './io.js';

describe('memoryIo', () => {
  it('keeps what is written to stdout and stderr apart, in order', () => {
    const { io, out } = memoryIo();
    io.stdout('a');
    io.stderr('x');
    io.stdout('b\n');
    expect(out).toEqual({ stdout: 'ab\n', stderr: 'x' });
  });

  it('reads the stdin it is given, and only the environment it is given', async () => {
    expect(await memoryIo({ stdin: 'token\n' }).io.readStdin()).toBe('token\n');
    expect(await memoryIo().io.readStdin()).toBe('');
    const broken = memoryIo({ stdin: () => Promise.reject(new Error('stdin closed')) });
    await expect(broken.io.readStdin()).rejects.toThrow('stdin closed');
    expect(memoryIo().io.env).toEqual({});
    expect(memoryIo({ env: { A: '1' }, cwd: '/x' }).io).toMatchObject({
      env: { A: '1' },
      cwd: '/x',
    });
  });
});

describe('readArgument', () => {
  it('reads text as it is, @FILE from the folder of the io, and - from stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-kit-io-'));
    try {
      writeFileSync(join(dir, 'key.txt'), 'from a file');
      const { io } = memoryIo({ cwd: dir, stdin: 'from stdin' });
      expect(await readArgument('plain', io)).toBe('plain');
      expect(await readArgument('@key.txt', io)).toBe('from a file');
      expect(await readArgument('-', io)).toBe('from stdin');
      const missing = readArgument('@absent.txt', io, 'the license key');
      await expect(missing).rejects.toBeInstanceOf(ArgumentFileError);
      await expect(missing).rejects.toThrow(
        `cannot read ${join(dir, 'absent.txt')} (ENOENT). Give the path of the file that holds the license key.`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
