// A license key pasted by an operator, read in the operator's words: a challenge pasted where
// the key belongs, a truncated or garbled paste (its signing key's id damaged among it), a key
// from other vendor keys. The error keeps its class and code (what a program reads); only the
// message says what to do.
import {
  base64urlDecode,
  isLicensorError,
  type Keyring,
  normaliseToken,
  TYP,
  verifyLicense,
} from '@licensor/token';
import { InputInvalidError } from './errors.js';

const DAMAGED = new Set([
  'ERR_JWS_MALFORMED',
  'ERR_BASE64URL_INVALID',
  'ERR_JSON_INVALID',
  'ERR_ARMOR_INVALID',
]);

/** The `typ` of a compact token's header, when it can be read at all. */
function typOf(text: string): string | undefined {
  try {
    const header = JSON.parse(
      new TextDecoder().decode(base64urlDecode(text.replace(/\s+/g, '').split('.')[0] ?? '')),
    ) as { typ?: unknown };
    return typeof header.typ === 'string' ? header.typ : undefined;
  } catch {
    return undefined;
  }
}

function isChallenge(pasted: string): boolean {
  if (pasted.includes('-----BEGIN LICENSOR CHALLENGE-----')) return true;
  // Armour of another kind is no challenge; five dashes alone may be in a signature.
  return !/-----(?:BEGIN|END) /.test(pasted) && typOf(pasted) === TYP.challenge;
}

/** A vendor key id is the RFC 7638 thumbprint of its key: SHA-256, 43 base64url characters. */
const KEY_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * True when the key's header names no key id that could be one (a damaged character, one lost
 * or added): no trusted key can ever have it, so it is a damaged paste, not keys to replace.
 */
function kidMalformed(pasted: string): boolean {
  let kid: unknown;
  try {
    const header = normaliseToken(pasted, 'license').split('.')[0] ?? '';
    kid = (JSON.parse(new TextDecoder().decode(base64urlDecode(header))) as { kid?: unknown }).kid;
  } catch {
    return false;
  }
  if (typeof kid !== 'string' || !KEY_ID.test(kid)) return true;
  try {
    return base64urlDecode(kid).length !== 32;
  } catch {
    return true;
  }
}

/** An Ed25519 signature is 64 bytes: 86 base64url characters. */
const SIGNATURE_CHARACTERS = 86;

/** True when the key's signature is not a whole one (a paste cut short inside the signature). */
function signatureCut(pasted: string): boolean {
  try {
    const signature = normaliseToken(pasted, 'license').split('.')[2] ?? '';
    return signature.length !== SIGNATURE_CHARACTERS;
  } catch {
    return false;
  }
}

function operatorWords(code: string, pasted: string): string | null {
  if (isChallenge(pasted)) {
    return 'This is a challenge, not a license key: the challenge goes to the vendor, who sends back the license key. Paste the license key here.';
  }
  if (code === 'ERR_INPUT_TOO_LARGE') {
    return 'This is far longer than a license key with the key sets it needs: paste only the license key block the vendor sent (and the key set blocks that come before it).';
  }
  if (
    DAMAGED.has(code) ||
    code === 'ERR_JWS_TYP_INVALID' ||
    (code === 'ERR_SIGNATURE_INVALID' && signatureCut(pasted)) ||
    (code === 'ERR_KID_UNKNOWN' && kidMalformed(pasted))
  ) {
    return 'This is not a whole license key: it is incomplete or damaged (cut short, or changed by the mail or the copy). Paste the whole key again, exactly as the vendor sent it; line breaks and the BEGIN/END lines are fine.';
  }
  if (code === 'ERR_SIGNATURE_INVALID') {
    return "This license key was altered or is not your vendor's: its signature does not match. Paste it again exactly as sent; if it still fails, ask the vendor for the key again.";
  }
  if (code === 'ERR_VERSION_UNSUPPORTED') {
    return 'This license key is in a newer format than this product reads: nothing was changed. Update the product (its Licensor SDK) to a release that reads it, then apply the key again; or ask the vendor for a key this release reads.';
  }
  if (code === 'ERR_KID_UNKNOWN' || code === 'ERR_KEY_WRONG_PURPOSE') {
    return 'This license key is not signed by a license key of the vendor keys this installation trusts. If the vendor published new keys, update the trusted keys (CLI: --trust FILE --replace-trust); otherwise ask the vendor for the key again.';
  }
  return null;
}

function lastIndex(lines: readonly string[], test: (line: string) => boolean): number {
  for (let index = lines.length - 1; index >= 0; index--)
    if (test(lines[index] as string)) return index;
  return -1;
}

/** A mail client's quote marks at the start of a line: `> `, `>> `, `> > `. */
const QUOTE = /^[ \t]*>(?:[ \t]?>)*[ \t]?/;

/**
 * A paste quoted in an e-mail reply (each line of the key prefixed with `> `) without its quote
 * marks: the lines from the first BEGIN line to the last END line (the whole paste when it has
 * no armour) must all carry a quote mark, and lose one consistent prefix (that of the first such
 * line; a line of quote marks alone is an empty line). Anything else is returned as it is.
 */
export function unquoted(pasted: string): string {
  if (typeof pasted !== 'string') return pasted;
  const lines = pasted.split(/\r?\n/);
  let first = lines.findIndex((line) => /-----BEGIN /.test(line));
  let last = lastIndex(lines, (line) => /-----END /.test(line));
  if (first === -1 || last < first) {
    first = lines.findIndex((line) => line.trim() !== '');
    last = lastIndex(lines, (line) => line.trim() !== '');
    if (first === -1) return pasted;
  }
  const prefix = QUOTE.exec(lines[first] as string)?.[0];
  if (prefix === undefined) return pasted;
  const bare = prefix.trimEnd();
  const region = lines.slice(first, last + 1);
  const consistent = region.every(
    (line) => line.startsWith(prefix) || line.trimEnd() === bare || line.trim() === '',
  );
  if (!consistent) return pasted;
  const stripped = region.map((line) =>
    line.startsWith(prefix) ? line.slice(prefix.length) : line.trimEnd() === bare ? '' : line,
  );
  return [...lines.slice(0, first), ...stripped, ...lines.slice(last + 1)].join('\n');
}

/** A compact JWS of this SDK's kinds: three base64url parts, the header a JSON object. */
const COMPACT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Refuses a paste holding more than one license key (two keys pasted together, an old one and
 * the new one): each is whole, so the paste is not "damaged", and which one to apply is the
 * operator's choice. ERR_INPUT_INVALID, nothing changed.
 */
export function assertOneLicense(pasted: string): void {
  if (typeof pasted !== 'string') return;
  const begins = pasted.match(/-----BEGIN LICENSOR LICENSE-----/g)?.length ?? 0;
  const ends = pasted.match(/-----END LICENSOR LICENSE-----/g)?.length ?? 0;
  let count = Math.min(begins, ends);
  if (begins === 0 && !/-----BEGIN /.test(pasted)) {
    count = pasted
      .split(/\s+/)
      .map((part) => part.replace(/^["'`]+|["'`]+$/g, ''))
      .filter((part) => COMPACT.test(part) && typOf(part) === TYP.license).length;
  }
  if (count >= 2) {
    throw new InputInvalidError(
      `This paste holds ${count} license keys: paste one key (the one the vendor sent last, with the key set blocks before it). Nothing was changed.`,
    );
  }
}

/** Verifies a pasted key; a refusal keeps its code and says what to do in the operator's words. */
export function readPastedKey(pasted: string, keyring: Keyring): ReturnType<typeof verifyLicense> {
  try {
    return verifyLicense(normaliseToken(pasted, 'license'), keyring);
  } catch (error) {
    if (!isLicensorError(error)) throw error;
    const words = operatorWords(error.code, pasted);
    if (words !== null) error.message = `${words} (${error.message})`;
    throw error;
  }
}
