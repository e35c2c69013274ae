// Strict base64url (RFC 4648 section 5, no padding). One byte string has exactly one encoding:
// padding, `+`, `/`, any other character, a length of 1 mod 4 and non-zero unused bits in the
// last character are all refused, so tokens can be compared as strings.

import { Base64urlInvalidError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

// In Node, Buffer encodes and decodes natively (once the strict checks have passed, for
// decoding); browsers use the loops below.
type BufferLike = {
  from(text: string, encoding: 'base64url' | 'latin1'): Uint8Array;
  from(
    bytes: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): { toString(e: 'base64url'): string };
};
export const nodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

export function base64urlEncode(bytes: Uint8Array): string {
  if (nodeBuffer !== undefined) {
    return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
  }
  return base64urlEncodePortable(bytes);
}

/** The same encoding in plain JavaScript (browsers; tested in Node too). */
export function base64urlEncodePortable(bytes: Uint8Array): string {
  let out = '';
  const full = bytes.length - (bytes.length % 3);
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[n >>> 18]! +
      ALPHABET[(n >>> 12) & 63]! +
      ALPHABET[(n >>> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const rest = bytes.length - full;
  if (rest === 1) {
    const n = bytes[full]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[full]! << 16) | (bytes[full + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

function valueAt(text: string, index: number, what: string): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? VALUES[code]! : -1;
  if (value < 0) {
    const shown = code === 61 ? '"=" (padding)' : JSON.stringify(text[index]);
    throw new Base64urlInvalidError(
      `${what} is not base64url: character ${shown} at position ${index}; use the token exactly as issued`,
    );
  }
  return value;
}

const ALPHABET_ONLY = /^[A-Za-z0-9_-]*$/;

/** Decodes strict base64url; `what` names the input in the error message. */
export function base64urlDecode(text: string, what = 'input'): Uint8Array {
  const tail = text.length % 4;
  if (tail === 1) {
    throw new Base64urlInvalidError(`${what} is not base64url: impossible length ${text.length}`);
  }
  if (nodeBuffer !== undefined && ALPHABET_ONLY.test(text)) {
    const last = tail === 0 ? 0 : VALUES[text.charCodeAt(text.length - 1)]!;
    if ((tail === 2 && (last & 15) !== 0) || (tail === 3 && (last & 3) !== 0))
      throw unusedBits(what);
    const decoded = nodeBuffer.from(text, 'base64url');
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
  }
  return base64urlDecodePortable(text, what);
}

/** The same decoding in plain JavaScript (browsers; tested in Node too). */
export function base64urlDecodePortable(text: string, what = 'input'): Uint8Array {
  const tail = text.length % 4;
  if (tail === 1) {
    throw new Base64urlInvalidError(`${what} is not base64url: impossible length ${text.length}`);
  }
  const out = new Uint8Array(((text.length - tail) / 4) * 3 + (tail === 0 ? 0 : tail - 1));
  const full = text.length - tail;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const n =
      (valueAt(text, i, what) << 18) |
      (valueAt(text, i + 1, what) << 12) |
      (valueAt(text, i + 2, what) << 6) |
      valueAt(text, i + 3, what);
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  if (tail === 2) {
    const a = valueAt(text, full, what);
    const b = valueAt(text, full + 1, what);
    if ((b & 15) !== 0) throw unusedBits(what);
    out[o] = (a << 2) | (b >>> 4);
  } else if (tail === 3) {
    const a = valueAt(text, full, what);
    const b = valueAt(text, full + 1, what);
    const c = valueAt(text, full + 2, what);
    if ((c & 3) !== 0) throw unusedBits(what);
    out[o++] = (a << 2) | (b >>> 4);
    out[o] = ((b & 15) << 4) | (c >>> 2);
  }
  return out;
}

function unusedBits(what: string): Base64urlInvalidError {
  return new Base64urlInvalidError(
    `${what} is not canonical base64url: the last character carries non-zero unused bits`,
  );
}

/** True when `text` is strict base64url of exactly `byteLength` bytes. */
export function isBase64urlOfLength(text: unknown, byteLength: number): text is string {
  if (typeof text !== 'string' || text.length !== Math.ceil((byteLength * 4) / 3)) return false;
  try {
    base64urlDecode(text);
    return true;
  } catch {
    return false;
  }
}
