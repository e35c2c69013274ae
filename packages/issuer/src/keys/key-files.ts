// Plain private key files, used only when no passphrase is set: one file per key under
// `<data>/keys/<purpose>/<kid>.json`, mode 0600 in a 0700 folder. Status and license keys sit in
// separate folders so a deployment can give the verify service the status folder alone.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyPurpose } from '@licensor/token';
import { KeyFileError } from '../errors.js';
import { readSecretFile } from './secret-file.js';

export function keyFilePath(dataDir: string, purpose: KeyPurpose, kid: string): string {
  return join(dataDir, 'keys', purpose, `${kid}.json`);
}

/** Writes the seed durably (temp file, fsync, rename) before the store records the key. */
export function writeKeyFile(
  dataDir: string,
  purpose: KeyPurpose,
  kid: string,
  seed: Uint8Array,
): string {
  const folder = join(dataDir, 'keys', purpose);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const path = keyFilePath(dataDir, purpose, kid);
  const temp = `${path}.${process.pid}.tmp`;
  const body = `${JSON.stringify({ kid, purpose, seed: Buffer.from(seed).toString('base64url') })}\n`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  return path;
}

export function readKeyFile(dataDir: string, purpose: KeyPurpose, kid: string): Uint8Array {
  const path = keyFilePath(dataDir, purpose, kid);
  const read = readSecretFile(path);
  if (!read.ok && read.problem === 'exposed') {
    throw new KeyFileError(
      `private key file ${path} is readable by other users: chmod 600 it (and check who read it)`,
    );
  }
  if (!read.ok) {
    throw new KeyFileError(
      `cannot read private key file ${path}: is --data the folder the key was created in?`,
      { cause: read.cause },
    );
  }
  const text = read.text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KeyFileError(`private key file ${path} is not JSON`, { cause: error });
  }
  const record = parsed as { kid?: unknown; purpose?: unknown; seed?: unknown };
  if (record.kid !== kid || record.purpose !== purpose || typeof record.seed !== 'string') {
    throw new KeyFileError(`private key file ${path} does not hold the ${purpose} key ${kid}`);
  }
  const seed = Buffer.from(record.seed, 'base64url');
  if (seed.length !== 32) throw new KeyFileError(`private key file ${path} holds no 32-byte seed`);
  return new Uint8Array(seed);
}
