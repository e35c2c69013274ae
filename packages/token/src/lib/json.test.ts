// The strict JSON reader: what JSON.parse accepts but Licensor must not.

import { describe, expect, it } from 'vitest';
import { parseJsonObject } from './json.js';

const parse = (text: string | Uint8Array) =>
  parseJsonObject(typeof text === 'string' ? new TextEncoder().encode(text) : text, 'test');
const code = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('strict JSON', () => {
  it('reads what JSON.parse reads for ordinary objects', () => {
    const samples = [
      '{}',
      '{"a":1,"b":[true,false,null],"c":{"d":"e\\n\\u00e9\\ud83d\\ude00"},"f":-1.5e3}',
      ' { "x" : [ ] , "y" : { } } ',
      '{"n":0,"m":-0.25,"big":12345678901234}',
    ];
    for (const text of samples) expect(parse(text)).toEqual(JSON.parse(text));
  });
  it('refuses duplicate members, also nested', () => {
    expect(code(() => parse('{"a":1,"a":2}'))).toBe('ERR_JSON_INVALID');
    expect(code(() => parse('{"o":{"b":1,"b":1}}'))).toBe('ERR_JSON_INVALID');
  });
  it('refuses anything but an object at the top', () => {
    for (const text of ['[]', '"x"', '1', 'null', '']) {
      expect(code(() => parse(text))).toBe('ERR_JSON_INVALID');
    }
  });
  it('refuses invalid UTF-8 and lone surrogates', () => {
    expect(code(() => parse(Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d)))).toBe(
      'ERR_JSON_INVALID',
    );
    expect(code(() => parse('{"a":"\\ud800"}'))).toBe('ERR_JSON_INVALID');
    expect(code(() => parse('{"a":"\\udc00x"}'))).toBe('ERR_JSON_INVALID');
  });
  it('refuses a byte order mark, trailing data, comments and JavaScript-only syntax', () => {
    for (const text of [
      '\ufeff{}',
      '{} {}',
      '{"a":1,}',
      "{'a':1}",
      '{"a":01}',
      '{"a":NaN}',
      '{/*c*/}',
      '{"a":"\t"}',
      '{"a":1e999}',
    ]) {
      expect(
        code(() => parse(text)),
        text,
      ).toBe('ERR_JSON_INVALID');
    }
  });
  it('keeps a member named __proto__ as plain data', () => {
    const value = parse('{"__proto__":{"polluted":true}}');
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('refuses deep nesting instead of exhausting the stack', () => {
    expect(code(() => parse(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`))).toBe(
      'ERR_JSON_INVALID',
    );
  });
});
