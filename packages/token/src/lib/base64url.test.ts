// Strict base64url on both decoders (Buffer-backed in Node, portable for browsers).

import { describe, expect, it } from 'vitest';
import {
  base64urlDecode as base64urlDecodeNative,
  base64urlDecodePortable,
  base64urlEncode,
  base64urlEncodePortable,
  isBase64urlOfLength,
} from './base64url.js';
import { asciiBytes } from './utf8.js';

describe('base64url encoders', () => {
  it('give the same text, Buffer-backed and portable, for every length and for views into a larger buffer', () => {
    const backing = Uint8Array.from({ length: 100 }, (_, i) => (i * 91 + 7) & 255);
    for (let length = 0; length <= 70; length++) {
      const view = backing.subarray(13, 13 + length);
      expect(base64urlEncode(view)).toBe(base64urlEncodePortable(view));
      expect(base64urlEncode(view)).toBe(Buffer.from(view).toString('base64url'));
    }
  });
  it('asciiBytes gives one byte per character of a signing input', () => {
    expect([...asciiBytes('eyJ.abc-_')]).toEqual([...'eyJ.abc-_'].map((c) => c.charCodeAt(0)));
  });
});

const code = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

for (const [variant, base64urlDecode] of [
  ['Buffer-backed', base64urlDecodeNative],
  ['portable', base64urlDecodePortable],
] as const) {
  describe(`base64url (${variant} decoder)`, () => {
    it('round-trips every length from 0 to 70 bytes and matches Buffer', () => {
      for (let length = 0; length <= 70; length++) {
        const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 255);
        const text = base64urlEncode(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(base64urlDecode(text)).toEqual(bytes);
      }
    });
    it('refuses padding, + and /, and characters outside the alphabet', () => {
      for (const text of ['AA==', 'AAA=', 'A+B/', 'AB C', 'ABé', 'AB\n']) {
        expect(code(() => base64urlDecode(text))).toBe('ERR_BASE64URL_INVALID');
      }
    });
    it('refuses a length of 1 mod 4', () => {
      expect(code(() => base64urlDecode('AAAAA'))).toBe('ERR_BASE64URL_INVALID');
    });
    it('refuses non-zero unused bits, so each byte string has one encoding', () => {
      expect(base64urlDecode('AA')).toEqual(Uint8Array.of(0));
      expect(code(() => base64urlDecode('AB'))).toBe('ERR_BASE64URL_INVALID');
      expect(base64urlDecode('AAA')).toEqual(Uint8Array.of(0, 0));
      expect(code(() => base64urlDecode('AAB'))).toBe('ERR_BASE64URL_INVALID');
    });
    it('tells a 32-byte value (43 characters) from others', () => {
      const digest = base64urlEncode(new Uint8Array(32).fill(7));
      expect(isBase64urlOfLength(digest, 32)).toBe(true);
      expect(isBase64urlOfLength(`${digest.slice(0, 42)}B`, 32)).toBe(false);
      expect(isBase64urlOfLength(digest.slice(1), 32)).toBe(false);
      expect(isBase64urlOfLength(42, 32)).toBe(false);
    });
  });
}
