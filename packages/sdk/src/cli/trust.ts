// The vendor's JWKS for the CLI. Given once with --trust, it is copied into the state directory
// (trust.jwks.json), so later commands need not repeat it; a new --trust replaces the copy.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Jwks } from '@licensor/token';
import { toKeyring } from '../context.js';
import { SdkError } from '../errors.js';
import { replaceFileAtomic } from '../store/atomic-write.js';
import { UsageError } from './usage.js';

export const TRUST_FILE = 'trust.jwks.json';

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`no such file: ${path}`);
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new SdkError(
      'ERR_TRUST_INVALID',
      `${path} is not JSON. Use the JWKS file the vendor published.`,
    );
  }
}

export async function resolveTrust(stateDir: string, trustFile: string | undefined): Promise<Jwks> {
  const remembered = join(stateDir, TRUST_FILE);
  if (trustFile === undefined) {
    try {
      await readFile(remembered);
    } catch {
      throw new UsageError(
        '--trust FILE (the vendor JWKS) is required the first time a state directory is used',
      );
    }
    const jwks = await readJson(remembered);
    toKeyring(jwks);
    return jwks as Jwks;
  }
  const jwks = await readJson(trustFile);
  toKeyring(jwks);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await replaceFileAtomic(remembered, `${JSON.stringify(jwks, null, 2)}\n`, 0o644);
  return jwks as Jwks;
}
