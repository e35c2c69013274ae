// The vendor's JWKS for the CLI. Given once with --trust (or LICENSOR_TRUST), it is copied into
// the state directory (trust.jwks.json), so later commands need not repeat it. The saved trust is
// the anchor every license key is checked against: a --trust with other keys is refused
// (ERR_TRUST_CHANGED) unless --replace-trust says the vendor really published new keys, so a
// command line cannot quietly add a key that signs licenses. It is as safe as the state folder.
import { createReadStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputTooLargeError, MAX_ARGUMENT_BYTES, readBounded, UsageError } from '@licensor/cli-kit';
import type { Jwks } from '@licensor/token';
import { toKeyring } from '../context.js';
import { InputInvalidError, TrustChangedError, TrustInvalidError } from '../errors.js';
import { replaceFileAtomic } from '../store/atomic-write.js';

export const TRUST_FILE = 'trust.jwks.json';

/**
 * Reads a JWKS file, up to MAX_ARGUMENT_BYTES (a JWKS is a few KB): `--trust /dev/zero`, or a
 * backup named by mistake, is invalid input, not read until memory runs out.
 */
async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readBounded(createReadStream(path), MAX_ARGUMENT_BYTES, path);
  } catch (error) {
    if (error instanceof InputTooLargeError) {
      throw new InputInvalidError(
        new InputTooLargeError(path, MAX_ARGUMENT_BYTES, "the vendor's JWKS").message,
      );
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no such file: ${path}`);
    throw new TrustInvalidError(
      `${path} cannot be read (${code ?? (error as Error).message}). Give the JWKS file the vendor published.`,
      code,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TrustInvalidError(`${path} is not JSON. Use the JWKS file the vendor published.`);
  }
}

/** The keys a JWKS trusts, in a form two JWKS can be compared by. */
function trusted(jwks: unknown): string {
  return toKeyring(jwks)
    .toJwks()
    .keys.map((key) => `${key.kid}:${key.purpose}`)
    .sort()
    .join(',');
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new TrustInvalidError(
      `${path} cannot be read (${(error as NodeJS.ErrnoException).code}). Check the state directory.`,
    );
  }
}

export interface TrustOptions {
  /** The JWKS file given on this run (--trust or LICENSOR_TRUST). */
  file: string | undefined;
  /** --replace-trust: the given file may replace a saved one with other keys. */
  replace: boolean;
}

/**
 * The trust a command runs with, and `save`, which writes it into the state directory. The CLI
 * saves only after the command succeeded: a refused or misused command (a key that does not
 * verify, a bad option) leaves the saved trust, and an empty folder, as they were.
 */
export interface ResolvedTrust {
  jwks: Jwks;
  /** Writes the given JWKS as the saved trust; nothing to do when the saved one is used. */
  save(): Promise<void>;
}

const NOTHING_TO_SAVE = async (): Promise<void> => {};

export async function resolveTrust(
  stateDir: string,
  options: TrustOptions,
): Promise<ResolvedTrust> {
  const remembered = join(stateDir, TRUST_FILE);
  const saved = (await exists(remembered)) ? await readJson(remembered) : undefined;
  if (options.file === undefined) {
    if (saved === undefined) {
      throw new UsageError(
        '--trust FILE (the vendor JWKS) is required the first time a state directory is used',
      );
    }
    toKeyring(saved);
    return { jwks: saved as Jwks, save: NOTHING_TO_SAVE };
  }
  const jwks = await readJson(options.file);
  const given = trusted(jwks);
  if (saved !== undefined && !options.replace) {
    let same = false;
    try {
      same = trusted(saved) === given;
    } catch {
      // A damaged saved file is replaced only on purpose, like a changed one.
    }
    if (same) return { jwks: saved as Jwks, save: NOTHING_TO_SAVE };
    throw new TrustChangedError(
      `${options.file} holds other keys than the vendor keys saved in ${remembered}. If the vendor published new keys, run the command again with --replace-trust; otherwise leave out --trust.`,
    );
  }
  return {
    jwks: jwks as Jwks,
    save: async () => {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      await replaceFileAtomic(remembered, `${JSON.stringify(jwks, null, 2)}\n`, 0o600);
    },
  };
}
