// Pasted tokens arrive wrapped, indented, with a trailing newline or inside an armour block
// (for files and e-mail). This module turns any of those into the one compact form, and makes
// the armour.

import { ArmorInvalidError, InputTooLargeError, JwsMalformedError } from './errors.js';
import { MAX_STATUS_TOKEN_LENGTH } from './jws/limits.js';

export type ArmourKind = 'challenge' | 'license' | 'keyset';

const ARMOUR_WIDTH = 64;
const LABELS: Record<ArmourKind, string> = {
  challenge: 'CHALLENGE',
  license: 'LICENSE',
  keyset: 'KEY SET',
};
const BEGIN = /-----BEGIN ([A-Z ]*)-----/g;
const END = /-----END ([A-Z ]*)-----/g;
const WHITESPACE = /\s+/g;
const TOKEN_TEXT = /^[A-Za-z0-9_.=+/-]*$/;

function kindOfLabel(label: string): ArmourKind | undefined {
  if (label === 'LICENSOR CHALLENGE') return 'challenge';
  if (label === 'LICENSOR LICENSE') return 'license';
  if (label === 'LICENSOR KEY SET') return 'keyset';
  return undefined;
}

/**
 * The compact token inside pasted text: whitespace anywhere is dropped, and an armour block is
 * unwrapped (text around the block, such as an e-mail's greeting, is ignored). With
 * `expectedKind`, an armour block of another kind is refused with ERR_ARMOR_INVALID; with
 * `null`, any armour block is (check requests and statuses travel over HTTP, never armoured).
 */
export function normaliseToken(pasted: string, expectedKind?: ArmourKind | null): string {
  if (typeof pasted !== 'string') {
    throw new JwsMalformedError(
      'a token must be text: paste the compact token or its armour block',
    );
  }
  if (pasted.length > MAX_STATUS_TOKEN_LENGTH) {
    throw new InputTooLargeError(
      `the token is ${pasted.length} characters, over the cap of ${MAX_STATUS_TOKEN_LENGTH}`,
    );
  }
  if (!pasted.includes('-----')) return pasted.replace(WHITESPACE, '');
  return unarmour(pasted, expectedKind);
}

function unarmour(text: string, expectedKind: ArmourKind | null | undefined): string {
  const begins = [...text.matchAll(BEGIN)];
  const ends = [...text.matchAll(END)];
  if (begins.length !== 1 || ends.length !== 1) {
    throw new ArmorInvalidError(
      'the text must hold exactly one -----BEGIN LICENSOR …----- line and one -----END LICENSOR …----- line; paste the whole block',
    );
  }
  const begin = begins[0]!;
  const end = ends[0]!;
  const kind = kindOfLabel(begin[1]!);
  if (kind === undefined)
    throw new ArmorInvalidError(`"${begin[0]}" is not a Licensor armour line`);
  if (end[1] !== begin[1]) {
    throw new ArmorInvalidError(`the block begins as ${begin[1]} but ends as ${end[1]}`);
  }
  if (end.index! < begin.index!)
    throw new ArmorInvalidError('the END line comes before the BEGIN line');
  if (expectedKind === null) {
    throw new ArmorInvalidError(
      `this is a Licensor ${kind} block; this message is never armoured, give the compact token`,
    );
  }
  if (expectedKind !== undefined && kind !== expectedKind) {
    throw new ArmorInvalidError(
      `this is a Licensor ${kind} block, but a ${expectedKind} was expected`,
    );
  }
  const body = text.slice(begin.index! + begin[0].length, end.index!).replace(WHITESPACE, '');
  if (body === '' || !TOKEN_TEXT.test(body)) {
    throw new ArmorInvalidError(
      'the armour block does not hold a token; paste the whole block unchanged',
    );
  }
  return body;
}

/** The armoured form of a token: BEGIN/END lines around the token wrapped at 64 columns. */
export function armour(token: string, kind: ArmourKind): string {
  if (kind !== 'challenge' && kind !== 'license' && kind !== 'keyset') {
    throw new TypeError('armour kind must be "challenge", "license" or "keyset"');
  }
  const compact = normaliseToken(token, kind);
  const lines: string[] = [];
  for (let i = 0; i < compact.length; i += ARMOUR_WIDTH)
    lines.push(compact.slice(i, i + ARMOUR_WIDTH));
  const label = `LICENSOR ${LABELS[kind]}`;
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The armour blocks in a pasted text, in order: an offline license key may come with the key
 * set versions it needs (`LICENSOR KEY SET` blocks before the `LICENSOR LICENSE` block). Text
 * without any block is one unarmoured token of unknown kind.
 */
export function armourBlocks(pasted: string): { kind: ArmourKind | undefined; token: string }[] {
  if (typeof pasted !== 'string') throw new JwsMalformedError('pasted text must be a string');
  const blocks = [...pasted.matchAll(/-----BEGIN ([A-Z ]*)-----[\s\S]*?-----END \1-----/g)].map(
    (match) => ({ kind: kindOfLabel(match[1] ?? ''), token: normaliseToken(match[0]) }),
  );
  return blocks.length > 0 ? blocks : [{ kind: undefined, token: normaliseToken(pasted) }];
}

/**
 * A license key with the key set versions it needs, for an offline installation: the `LICENSOR
 * KEY SET` blocks, oldest first, then the `LICENSOR LICENSE` block (what `armourBlocks` splits
 * and the SDK's Upgrade applies in one step).
 */
export function armourBundle(license: string, keysets: readonly string[] = []): string {
  return [...keysets.map((token) => armour(token, 'keyset')), armour(license, 'license')].join('');
}
