// UTF-8 with no repair: invalid sequences are an error, never U+FFFD, so two different byte
// strings cannot decode to the same claims.

import { JsonInvalidError } from '../errors.js';
import { nodeBuffer } from './base64url.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new JsonInvalidError(`${what} is not valid UTF-8`);
  }
}

/** Bytes of a string that holds only ASCII (a compact JWS signing input). */
export function asciiBytes(text: string): Uint8Array {
  if (nodeBuffer !== undefined) return nodeBuffer.from(text, 'latin1');
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
