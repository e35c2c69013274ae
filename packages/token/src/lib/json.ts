// Strict JSON (RFC 8259 as restricted by I-JSON, RFC 7493) for JWS headers and payloads.
// JSON.parse keeps the last of duplicate members and accepts lone surrogates, so two readers
// could see different claims in one token; this parser refuses both, and refuses anything but
// an object at the top.

import { JsonInvalidError } from '../errors.js';
import { utf8Decode } from './utf8.js';

const MAX_DEPTH = 16;

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [member: string]: JsonValue;
}

/** Decodes UTF-8 bytes holding one JSON object; `what` names it in errors ("JWS header"). */
export function parseJsonObject(bytes: Uint8Array, what: string): JsonObject {
  const text = utf8Decode(bytes, what);
  const parser = new Parser(text, what);
  parser.skipWhitespace();
  if (text.charCodeAt(parser.at) !== 0x7b) parser.fail('is not a JSON object');
  const value = parser.value(0) as JsonObject;
  parser.skipWhitespace();
  if (parser.at !== text.length) parser.fail('has data after the JSON object');
  return value;
}

class Parser {
  at = 0;
  constructor(
    private readonly text: string,
    private readonly what: string,
  ) {}

  fail(reason: string): never {
    throw new JsonInvalidError(`${this.what} ${reason} (at character ${this.at})`);
  }

  skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.at++;
      else return;
    }
  }

  value(depth: number): JsonValue {
    this.skipWhitespace();
    const c = this.text.charCodeAt(this.at);
    if (c === 0x7b) return this.object(depth + 1);
    if (c === 0x5b) return this.array(depth + 1);
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.text.startsWith('true', this.at)) return this.literal(4, true);
    if (this.text.startsWith('false', this.at)) return this.literal(5, false);
    if (this.text.startsWith('null', this.at)) return this.literal(4, null);
    return this.fail(Number.isNaN(c) ? 'ends too early' : 'is not valid JSON');
  }

  private literal<T>(length: number, value: T): T {
    this.at += length;
    return value;
  }

  private object(depth: number): JsonObject {
    if (depth > MAX_DEPTH) this.fail('nests too deeply');
    this.at++; // {
    const result: JsonObject = {};
    this.skipWhitespace();
    if (this.text.charCodeAt(this.at) === 0x7d) {
      this.at++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.at) !== 0x22)
        this.fail('has a member name that is not a string');
      const name = this.string();
      if (Object.hasOwn(result, name)) this.fail(`has the member "${name}" twice`);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.at) !== 0x3a) this.fail('is missing a ":"');
      this.at++;
      const member = this.value(depth);
      if (name === '__proto__') {
        // Assignment would set the prototype; defineProperty keeps it plain data.
        Object.defineProperty(result, name, {
          value: member,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        result[name] = member;
      }
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.at++);
      if (next === 0x7d) return result;
      if (next !== 0x2c) this.fail('is missing a "," or "}"');
    }
  }

  private array(depth: number): JsonValue[] {
    if (depth > MAX_DEPTH) this.fail('nests too deeply');
    this.at++; // [
    const result: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.at) === 0x5d) {
      this.at++;
      return result;
    }
    for (;;) {
      result.push(this.value(depth));
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.at++);
      if (next === 0x5d) return result;
      if (next !== 0x2c) this.fail('is missing a "," or "]"');
    }
  }

  private string(): string {
    this.at++; // opening quote
    let out = '';
    let start = this.at;
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (Number.isNaN(c)) this.fail('has an unterminated string');
      if (c === 0x22) {
        out += this.text.slice(start, this.at);
        this.at++;
        return out;
      }
      if (c < 0x20) this.fail('has a control character in a string');
      if (c >= 0xd800 && c <= 0xdfff) this.surrogatePair(c, this.text.charCodeAt(this.at + 1));
      if (c === 0x5c) {
        out += this.text.slice(start, this.at);
        out += this.escape();
        start = this.at;
        continue;
      }
      this.at += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    }
  }

  private surrogatePair(high: number, low: number): void {
    if (high > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) this.fail('has a lone surrogate');
  }

  private escape(): string {
    const c = this.text[this.at + 1];
    this.at += 2;
    switch (c) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const unit = this.hex4();
        if (unit >= 0xdc00 && unit <= 0xdfff) this.fail('has a lone surrogate');
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (this.text[this.at] !== '\\' || this.text[this.at + 1] !== 'u') {
            this.fail('has a lone surrogate');
          }
          this.at += 2;
          const low = this.hex4();
          this.surrogatePair(unit, low);
          return String.fromCharCode(unit, low);
        }
        return String.fromCharCode(unit);
      }
      default:
        return this.fail('has an invalid escape in a string');
    }
  }

  private hex4(): number {
    const digits = this.text.slice(this.at, this.at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('has an invalid \\u escape');
    this.at += 4;
    return Number.parseInt(digits, 16);
  }

  private number(): number {
    const match = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    match.lastIndex = this.at;
    const found = match.exec(this.text);
    if (found === null) this.fail('has an invalid number');
    this.at += found[0].length;
    const value = Number(found[0]);
    if (!Number.isFinite(value)) this.fail('has a number out of range');
    return value;
  }
}
