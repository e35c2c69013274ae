// Pasted tokens arrive wrapped, indented, with a trailing newline or inside an armour block
// (for files and e-mail). This module turns any of those into the one compact form, and makes
// the armour.

import { MAX_RELAYED_KEYSETS } from './claims/status.js';
import { ArmorInvalidError, InputTooLargeError, JwsMalformedError } from './errors.js';
import {
  MAX_KEYSET_TOKEN_LENGTH,
  MAX_STATUS_TOKEN_LENGTH,
  MAX_TOKEN_LENGTH,
} from './jws/limits.js';

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
const ARMOUR_LINE = /-----(?:BEGIN|END) /;
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
 * `expectedKind`, the one block of that kind is taken from a bundle of several (the key set
 * blocks before a license's count as text around it), and an armour block of another kind is
 * refused with ERR_ARMOR_INVALID; with
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
  // An armour line, not any five dashes: a signature segment may hold "-----" (its bytes are
  // random; about one token in 13 million), and its token is as valid as any other.
  if (!ARMOUR_LINE.test(pasted)) return pasted.replace(WHITESPACE, '');
  // A bundle (`issue --armour` for an offline installation: KEY SET blocks, then the LICENSE
  // block): the one block of the kind asked for; the others are text around it.
  if (typeof expectedKind === 'string' && [...pasted.matchAll(BEGIN)].length > 1) {
    const mine = armourBlocks(pasted).filter((block) => block.kind === expectedKind);
    if (mine.length === 1) return mine[0]!.token;
    if (mine.length > 1) {
      throw new ArmorInvalidError(
        `the text holds ${mine.length} ${LABELS[expectedKind]} blocks; paste one`,
      );
    }
  }
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
 * Cap on pasted text that may hold several armour blocks: a license key and as many key sets as
 * a status relays, each at its cap, with a quarter more for the armour lines, line breaks and
 * text around the blocks (an e-mail's greeting). Checked before the text is read.
 */
export const MAX_PASTED_LENGTH =
  ((MAX_TOKEN_LENGTH + MAX_RELAYED_KEYSETS * MAX_KEYSET_TOKEN_LENGTH) * 5) / 4;

/**
 * The armour blocks in a pasted text, in order: an offline license key may come with the key
 * set versions it needs (`LICENSOR KEY SET` blocks before the `LICENSOR LICENSE` block). Text
 * without any block is one unarmoured token of unknown kind. A block runs from a BEGIN line to
 * the first END line of the same label after it; a BEGIN line with no such END is text. Text
 * over MAX_PASTED_LENGTH is ERR_INPUT_TOO_LARGE. One pass over the BEGIN and END lines (each
 * label's END lines are visited once), so the work is linear in the text.
 */
export function armourBlocks(pasted: string): { kind: ArmourKind | undefined; token: string }[] {
  if (typeof pasted !== 'string') throw new JwsMalformedError('pasted text must be a string');
  if (pasted.length > MAX_PASTED_LENGTH) {
    throw new InputTooLargeError(
      `the pasted text is ${pasted.length} characters, over the cap of ${MAX_PASTED_LENGTH} (a license key and ${MAX_RELAYED_KEYSETS} key sets); paste the license key and the key sets it needs only`,
    );
  }
  const ends = new Map<string, { at: number; stop: number }[]>();
  for (const match of pasted.matchAll(END)) {
    const label = match[1]!;
    const list = ends.get(label) ?? [];
    list.push({ at: match.index!, stop: match.index! + match[0].length });
    ends.set(label, list);
  }
  const next = new Map<string, number>();
  const blocks: { kind: ArmourKind | undefined; token: string }[] = [];
  let from = 0;
  for (const begin of pasted.matchAll(BEGIN)) {
    const start = begin.index!;
    if (start < from) continue;
    const label = begin[1]!;
    const list = ends.get(label);
    if (list === undefined) continue;
    const after = start + begin[0].length;
    let i = next.get(label) ?? 0;
    while (i < list.length && list[i]!.at < after) i++;
    next.set(label, i);
    const end = list[i];
    if (end === undefined) continue;
    blocks.push({ kind: kindOfLabel(label), token: normaliseToken(pasted.slice(start, end.stop)) });
    from = end.stop;
  }
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
