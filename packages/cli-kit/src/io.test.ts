import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ArgumentFileError,
  InputTooLargeError,
  MAX_ARGUMENT_BYTES,
  memoryIo,
  readArgument,
  readBounded,
} from './io.js';

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

describe('readArgument past its size', () => {
  it('refuses a file over the cap with a typed error naming it, and reads one at the cap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-kit-io-'));
    try {
      writeFileSync(join(dir, 'big.txt'), 'x'.repeat(1025));
      writeFileSync(join(dir, 'fits.txt'), 'x'.repeat(1024));
      const { io } = memoryIo({ cwd: dir });
      const big = readArgument('@big.txt', io, 'the license key', 1024);
      await expect(big).rejects.toBeInstanceOf(InputTooLargeError);
      await expect(big).rejects.toThrow(
        `${join(dir, 'big.txt')} holds more than 1024 bytes, more than the license key can be. Give the file that holds the license key only.`,
      );
      expect(await readArgument('@fits.txt', io, 'the license key', 1024)).toHaveLength(1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops reading an endless file (/dev/zero) at the default cap instead of exhausting memory', async () => {
    const { io } = memoryIo({ cwd: '/' });
    const endless = readArgument('@/dev/zero', io, 'the challenge');
    await expect(endless).rejects.toBeInstanceOf(InputTooLargeError);
    await expect(endless).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
      maxBytes: MAX_ARGUMENT_BYTES,
    });
  });

  it('refuses stdin over the cap, naming stdin and what was expected', async () => {
    const { io } = memoryIo({ stdin: 'y'.repeat(2000) });
    await expect(readArgument('-', io, 'the license key', 1000)).rejects.toThrow(
      'stdin holds more than 1000 bytes, more than the license key can be.',
    );
    expect(await readArgument('-', io, 'the license key', 2000)).toHaveLength(2000);
  });

  it('counts bytes, not characters, and destroys the stream it gave up on', async () => {
    const stream = Readable.from([Buffer.from('é'.repeat(300)), Buffer.from('é'.repeat(300))]);
    await expect(readBounded(stream, 1000, 'stdin')).rejects.toBeInstanceOf(InputTooLargeError);
    expect(stream.destroyed).toBe(true);
    expect(await readBounded(Readable.from([Buffer.from('é'.repeat(500))]), 1000, 'stdin')).toBe(
      'é'.repeat(500),
    );
  });
});
