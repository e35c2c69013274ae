// src/errors.ts
var BRAND = Symbol.for("licensor.error");
var LicensorError = class extends Error {
  code;
  constructor(code, message, options) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }
};
function isLicensorError(value, code) {
  if (typeof value !== "object" || value === null) return false;
  const branded = value instanceof LicensorError || value[BRAND] === true;
  if (!branded) return false;
  return code === void 0 || value.code === code;
}
var InputTooLargeError = class _InputTooLargeError extends LicensorError {
  static code = "ERR_INPUT_TOO_LARGE";
  constructor(message) {
    super(_InputTooLargeError.code, message);
  }
};
var JwsMalformedError = class _JwsMalformedError extends LicensorError {
  static code = "ERR_JWS_MALFORMED";
  constructor(message) {
    super(_JwsMalformedError.code, message);
  }
};
var Base64urlInvalidError = class _Base64urlInvalidError extends LicensorError {
  static code = "ERR_BASE64URL_INVALID";
  constructor(message) {
    super(_Base64urlInvalidError.code, message);
  }
};
var JsonInvalidError = class _JsonInvalidError extends LicensorError {
  static code = "ERR_JSON_INVALID";
  constructor(message) {
    super(_JsonInvalidError.code, message);
  }
};
var JwsAlgInvalidError = class _JwsAlgInvalidError extends LicensorError {
  static code = "ERR_JWS_ALG_INVALID";
  constructor(message) {
    super(_JwsAlgInvalidError.code, message);
  }
};
var JwsTypInvalidError = class _JwsTypInvalidError extends LicensorError {
  static code = "ERR_JWS_TYP_INVALID";
  constructor(message) {
    super(_JwsTypInvalidError.code, message);
  }
};
var JwsHeaderForbiddenError = class _JwsHeaderForbiddenError extends LicensorError {
  static code = "ERR_JWS_HEADER_FORBIDDEN";
  /** The header parameter that was refused. */
  parameter;
  constructor(parameter, message) {
    super(_JwsHeaderForbiddenError.code, message);
    this.parameter = parameter;
  }
};
var KidUnknownError = class _KidUnknownError extends LicensorError {
  static code = "ERR_KID_UNKNOWN";
  constructor(message) {
    super(_KidUnknownError.code, message);
  }
};
var KeyWrongPurposeError = class _KeyWrongPurposeError extends LicensorError {
  static code = "ERR_KEY_WRONG_PURPOSE";
  constructor(message) {
    super(_KeyWrongPurposeError.code, message);
  }
};
var KeyInvalidError = class _KeyInvalidError extends LicensorError {
  static code = "ERR_KEY_INVALID";
  constructor(message) {
    super(_KeyInvalidError.code, message);
  }
};
var SignatureInvalidError = class _SignatureInvalidError extends LicensorError {
  static code = "ERR_SIGNATURE_INVALID";
  constructor(message) {
    super(_SignatureInvalidError.code, message);
  }
};
var ClaimsInvalidError = class _ClaimsInvalidError extends LicensorError {
  static code = "ERR_CLAIMS_INVALID";
  /** Path of the offending claim, e.g. `term.end`; `(payload)` for the payload as a whole. */
  claim;
  /** What is wrong with it, e.g. `must be an integer >= 1`. */
  reason;
  constructor(claim, reason) {
    super(_ClaimsInvalidError.code, `claim "${claim}" ${reason}`);
    this.claim = claim;
    this.reason = reason;
  }
};
var VersionUnsupportedError = class _VersionUnsupportedError extends LicensorError {
  static code = "ERR_VERSION_UNSUPPORTED";
  /** The version found in the payload. */
  version;
  constructor(version2, message) {
    super(_VersionUnsupportedError.code, message);
    this.version = version2;
  }
};
var ArmorInvalidError = class _ArmorInvalidError extends LicensorError {
  static code = "ERR_ARMOR_INVALID";
  constructor(message) {
    super(_ArmorInvalidError.code, message);
  }
};
var KeyringInvalidError = class _KeyringInvalidError extends LicensorError {
  static code = "ERR_KEYRING_INVALID";
  constructor(message, options) {
    super(_KeyringInvalidError.code, message, options);
  }
};
var TOKEN_ERROR_CODES = [
  InputTooLargeError.code,
  JwsMalformedError.code,
  Base64urlInvalidError.code,
  JsonInvalidError.code,
  JwsAlgInvalidError.code,
  JwsTypInvalidError.code,
  JwsHeaderForbiddenError.code,
  KidUnknownError.code,
  KeyWrongPurposeError.code,
  KeyInvalidError.code,
  SignatureInvalidError.code,
  ClaimsInvalidError.code,
  VersionUnsupportedError.code,
  ArmorInvalidError.code,
  KeyringInvalidError.code
];

// src/lib/base64url.ts
var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
var VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;
var nodeBuffer = globalThis.Buffer;
function base64urlEncode(bytes) {
  if (nodeBuffer !== void 0) {
    return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url");
  }
  return base64urlEncodePortable(bytes);
}
function base64urlEncodePortable(bytes) {
  let out = "";
  const full = bytes.length - bytes.length % 3;
  for (let i = 0; i < full; i += 3) {
    const n = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
    out += ALPHABET[n >>> 18] + ALPHABET[n >>> 12 & 63] + ALPHABET[n >>> 6 & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - full;
  if (rest === 1) {
    const n = bytes[full] << 16;
    out += ALPHABET[n >>> 18] + ALPHABET[n >>> 12 & 63];
  } else if (rest === 2) {
    const n = bytes[full] << 16 | bytes[full + 1] << 8;
    out += ALPHABET[n >>> 18] + ALPHABET[n >>> 12 & 63] + ALPHABET[n >>> 6 & 63];
  }
  return out;
}
function valueAt(text2, index, what) {
  const code = text2.charCodeAt(index);
  const value = code < 128 ? VALUES[code] : -1;
  if (value < 0) {
    const shown = code === 61 ? '"=" (padding)' : JSON.stringify(text2[index]);
    throw new Base64urlInvalidError(
      `${what} is not base64url: character ${shown} at position ${index}; use the token exactly as issued`
    );
  }
  return value;
}
var ALPHABET_ONLY = /^[A-Za-z0-9_-]*$/;
function base64urlDecode(text2, what = "input") {
  const tail = text2.length % 4;
  if (tail === 1) {
    throw new Base64urlInvalidError(`${what} is not base64url: impossible length ${text2.length}`);
  }
  if (nodeBuffer !== void 0 && ALPHABET_ONLY.test(text2)) {
    const last = tail === 0 ? 0 : VALUES[text2.charCodeAt(text2.length - 1)];
    if (tail === 2 && (last & 15) !== 0 || tail === 3 && (last & 3) !== 0)
      throw unusedBits(what);
    const decoded = nodeBuffer.from(text2, "base64url");
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
  }
  return base64urlDecodePortable(text2, what);
}
function base64urlDecodePortable(text2, what = "input") {
  const tail = text2.length % 4;
  if (tail === 1) {
    throw new Base64urlInvalidError(`${what} is not base64url: impossible length ${text2.length}`);
  }
  const out = new Uint8Array((text2.length - tail) / 4 * 3 + (tail === 0 ? 0 : tail - 1));
  const full = text2.length - tail;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const n = valueAt(text2, i, what) << 18 | valueAt(text2, i + 1, what) << 12 | valueAt(text2, i + 2, what) << 6 | valueAt(text2, i + 3, what);
    out[o++] = n >>> 16;
    out[o++] = n >>> 8 & 255;
    out[o++] = n & 255;
  }
  if (tail === 2) {
    const a = valueAt(text2, full, what);
    const b = valueAt(text2, full + 1, what);
    if ((b & 15) !== 0) throw unusedBits(what);
    out[o] = a << 2 | b >>> 4;
  } else if (tail === 3) {
    const a = valueAt(text2, full, what);
    const b = valueAt(text2, full + 1, what);
    const c = valueAt(text2, full + 2, what);
    if ((c & 3) !== 0) throw unusedBits(what);
    out[o++] = a << 2 | b >>> 4;
    out[o] = (b & 15) << 4 | c >>> 2;
  }
  return out;
}
function unusedBits(what) {
  return new Base64urlInvalidError(
    `${what} is not canonical base64url: the last character carries non-zero unused bits`
  );
}
function isBase64urlOfLength(text2, byteLength) {
  if (typeof text2 !== "string" || text2.length !== Math.ceil(byteLength * 4 / 3)) return false;
  try {
    base64urlDecode(text2);
    return true;
  } catch {
    return false;
  }
}

// src/lib/utf8.ts
var encoder = new TextEncoder();
var decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function utf8Encode(text2) {
  return encoder.encode(text2);
}
function utf8Decode(bytes, what) {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new JsonInvalidError(`${what} is not valid UTF-8`);
  }
}
function asciiBytes(text2) {
  if (nodeBuffer !== void 0) return nodeBuffer.from(text2, "latin1");
  const out = new Uint8Array(text2.length);
  for (let i = 0; i < text2.length; i++) out[i] = text2.charCodeAt(i);
  return out;
}

// src/lib/json.ts
var MAX_DEPTH = 16;
function parseJsonObject(bytes, what) {
  const text2 = utf8Decode(bytes, what);
  const parser = new Parser(text2, what);
  parser.skipWhitespace();
  if (text2.charCodeAt(parser.at) !== 123) parser.fail("is not a JSON object");
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.at !== text2.length) parser.fail("has data after the JSON object");
  return value;
}
var Parser = class {
  constructor(text2, what) {
    this.text = text2;
    this.what = what;
  }
  at = 0;
  fail(reason) {
    throw new JsonInvalidError(`${this.what} ${reason} (at character ${this.at})`);
  }
  skipWhitespace() {
    for (; ; ) {
      const c = this.text.charCodeAt(this.at);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.at++;
      else return;
    }
  }
  value(depth) {
    this.skipWhitespace();
    const c = this.text.charCodeAt(this.at);
    if (c === 123) return this.object(depth + 1);
    if (c === 91) return this.array(depth + 1);
    if (c === 34) return this.string();
    if (c === 45 || c >= 48 && c <= 57) return this.number();
    if (this.text.startsWith("true", this.at)) return this.literal(4, true);
    if (this.text.startsWith("false", this.at)) return this.literal(5, false);
    if (this.text.startsWith("null", this.at)) return this.literal(4, null);
    return this.fail(Number.isNaN(c) ? "ends too early" : "is not valid JSON");
  }
  literal(length, value) {
    this.at += length;
    return value;
  }
  object(depth) {
    if (depth > MAX_DEPTH) this.fail("nests too deeply");
    this.at++;
    const result = {};
    this.skipWhitespace();
    if (this.text.charCodeAt(this.at) === 125) {
      this.at++;
      return result;
    }
    for (; ; ) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.at) !== 34)
        this.fail("has a member name that is not a string");
      const name = this.string();
      if (Object.hasOwn(result, name)) this.fail(`has the member "${name}" twice`);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.at) !== 58) this.fail('is missing a ":"');
      this.at++;
      const member = this.value(depth);
      if (name === "__proto__") {
        Object.defineProperty(result, name, {
          value: member,
          enumerable: true,
          writable: true,
          configurable: true
        });
      } else {
        result[name] = member;
      }
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.at++);
      if (next === 125) return result;
      if (next !== 44) this.fail('is missing a "," or "}"');
    }
  }
  array(depth) {
    if (depth > MAX_DEPTH) this.fail("nests too deeply");
    this.at++;
    const result = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.at) === 93) {
      this.at++;
      return result;
    }
    for (; ; ) {
      result.push(this.value(depth));
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.at++);
      if (next === 93) return result;
      if (next !== 44) this.fail('is missing a "," or "]"');
    }
  }
  string() {
    this.at++;
    let out = "";
    let start = this.at;
    for (; ; ) {
      const c = this.text.charCodeAt(this.at);
      if (Number.isNaN(c)) this.fail("has an unterminated string");
      if (c === 34) {
        out += this.text.slice(start, this.at);
        this.at++;
        return out;
      }
      if (c < 32) this.fail("has a control character in a string");
      if (c >= 55296 && c <= 57343) this.surrogatePair(c, this.text.charCodeAt(this.at + 1));
      if (c === 92) {
        out += this.text.slice(start, this.at);
        out += this.escape();
        start = this.at;
        continue;
      }
      this.at += c >= 55296 && c <= 56319 ? 2 : 1;
    }
  }
  surrogatePair(high, low) {
    if (high > 56319 || !(low >= 56320 && low <= 57343)) this.fail("has a lone surrogate");
  }
  escape() {
    const c = this.text[this.at + 1];
    this.at += 2;
    switch (c) {
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "/":
        return "/";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "	";
      case "u": {
        const unit = this.hex4();
        if (unit >= 56320 && unit <= 57343) this.fail("has a lone surrogate");
        if (unit >= 55296 && unit <= 56319) {
          if (this.text[this.at] !== "\\" || this.text[this.at + 1] !== "u") {
            this.fail("has a lone surrogate");
          }
          this.at += 2;
          const low = this.hex4();
          this.surrogatePair(unit, low);
          return String.fromCharCode(unit, low);
        }
        return String.fromCharCode(unit);
      }
      default:
        return this.fail("has an invalid escape in a string");
    }
  }
  hex4() {
    const digits = this.text.slice(this.at, this.at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail("has an invalid \\u escape");
    this.at += 4;
    return Number.parseInt(digits, 16);
  }
  number() {
    const match = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    match.lastIndex = this.at;
    const found = match.exec(this.text);
    if (found === null) this.fail("has an invalid number");
    this.at += found[0].length;
    const value = Number(found[0]);
    if (!Number.isFinite(value)) this.fail("has a number out of range");
    return value;
  }
};

// src/jws/limits.ts
var MAX_TOKEN_LENGTH = 8192;
var MAX_STATUS_TOKEN_LENGTH = 16384;
var TYP = {
  challenge: "licensor-challenge+jwt",
  license: "licensor-license+jwt",
  check: "licensor-check+jwt",
  status: "licensor-status+jwt"
};

// src/normalise.ts
var ARMOUR_WIDTH = 64;
var LABELS = { challenge: "CHALLENGE", license: "LICENSE" };
var BEGIN = /-----BEGIN ([A-Z ]*)-----/g;
var END = /-----END ([A-Z ]*)-----/g;
var WHITESPACE = /\s+/g;
var TOKEN_TEXT = /^[A-Za-z0-9_.=+/-]*$/;
function kindOfLabel(label) {
  if (label === "LICENSOR CHALLENGE") return "challenge";
  if (label === "LICENSOR LICENSE") return "license";
  return void 0;
}
function normaliseToken(pasted, expectedKind) {
  if (typeof pasted !== "string") {
    throw new JwsMalformedError(
      "a token must be text: paste the compact token or its armour block"
    );
  }
  if (pasted.length > MAX_STATUS_TOKEN_LENGTH) {
    throw new InputTooLargeError(
      `the token is ${pasted.length} characters, over the cap of ${MAX_STATUS_TOKEN_LENGTH}`
    );
  }
  if (!pasted.includes("-----")) return pasted.replace(WHITESPACE, "");
  return unarmour(pasted, expectedKind);
}
function unarmour(text2, expectedKind) {
  const begins = [...text2.matchAll(BEGIN)];
  const ends = [...text2.matchAll(END)];
  if (begins.length !== 1 || ends.length !== 1) {
    throw new ArmorInvalidError(
      "the text must hold exactly one -----BEGIN LICENSOR \u2026----- line and one -----END LICENSOR \u2026----- line; paste the whole block"
    );
  }
  const begin = begins[0];
  const end = ends[0];
  const kind = kindOfLabel(begin[1]);
  if (kind === void 0)
    throw new ArmorInvalidError(`"${begin[0]}" is not a Licensor armour line`);
  if (end[1] !== begin[1]) {
    throw new ArmorInvalidError(`the block begins as ${begin[1]} but ends as ${end[1]}`);
  }
  if (end.index < begin.index)
    throw new ArmorInvalidError("the END line comes before the BEGIN line");
  if (expectedKind === null) {
    throw new ArmorInvalidError(
      `this is a Licensor ${kind} block; this message is never armoured, give the compact token`
    );
  }
  if (expectedKind !== void 0 && kind !== expectedKind) {
    throw new ArmorInvalidError(
      `this is a Licensor ${kind} block, but a ${expectedKind} was expected`
    );
  }
  const body = text2.slice(begin.index + begin[0].length, end.index).replace(WHITESPACE, "");
  if (body === "" || !TOKEN_TEXT.test(body)) {
    throw new ArmorInvalidError(
      "the armour block does not hold a token; paste the whole block unchanged"
    );
  }
  return body;
}
function armour(token, kind) {
  if (kind !== "challenge" && kind !== "license") {
    throw new TypeError('armour kind must be "challenge" or "license"');
  }
  const compact = normaliseToken(token, kind);
  const lines = [];
  for (let i = 0; i < compact.length; i += ARMOUR_WIDTH)
    lines.push(compact.slice(i, i + ARMOUR_WIDTH));
  const label = `LICENSOR ${LABELS[kind]}`;
  return `-----BEGIN ${label}-----
${lines.join("\n")}
-----END ${label}-----
`;
}

// src/jws/header.ts
var FORBIDDEN = ["crit", "b64", "jku", "x5u", "x5c", "x5t", "x5t#S256", "jwk", "zip", "enc"];
function readCompactJws(input, rules) {
  if (typeof input !== "string") throw new JwsMalformedError("a token must be a string");
  if (input.length > rules.maxLength) {
    throw new InputTooLargeError(
      `the token is ${input.length} characters, over the cap of ${rules.maxLength} for this message`
    );
  }
  const token = normaliseToken(input, rules.armour);
  const [first, second] = splitCompact(token);
  const headerSegment = token.slice(0, first);
  const header = parseJsonObject(base64urlDecode(headerSegment, "JWS header"), "JWS header");
  checkHeader(header, rules);
  return {
    token,
    header,
    signingInput: token.slice(0, second),
    payloadSegment: token.slice(first + 1, second),
    signatureSegment: token.slice(second + 1)
  };
}
var SEGMENT = /^[A-Za-z0-9_-]+$/;
var SEGMENT_NAMES = ["header", "payload", "signature"];
function splitCompact(token) {
  if (token === "") throw new JwsMalformedError("the token is empty; paste the whole token");
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.includes(".", second + 1)) {
    throw new JwsMalformedError(
      "the token is not three non-empty parts separated by dots; paste the whole token"
    );
  }
  const segments = [token.slice(0, first), token.slice(first + 1, second), token.slice(second + 1)];
  segments.forEach((segment, index) => {
    if (!SEGMENT.test(segment)) {
      throw new Base64urlInvalidError(
        `the JWS ${SEGMENT_NAMES[index]} is not base64url (only A-Z a-z 0-9 - _ without padding); use the token exactly as issued`
      );
    }
  });
  return [first, second];
}
function checkHeader(header, rules) {
  if (header.alg !== "EdDSA") {
    throw new JwsAlgInvalidError(
      header.alg === void 0 ? 'the JWS header has no "alg"; Licensor tokens use "EdDSA"' : `the JWS header "alg" is ${JSON.stringify(header.alg)}; only "EdDSA" is accepted`
    );
  }
  const typ = header.typ;
  const typAccepted = rules.typ === void 0 ? typ === void 0 || typeof typ === "string" : typ === rules.typ;
  if (!typAccepted) {
    throw new JwsTypInvalidError(
      typ === void 0 ? `the JWS header has no "typ"; expected "${rules.typ}"` : rules.typ === void 0 ? `the JWS header "typ" is ${JSON.stringify(typ)}, not a string` : `the JWS header "typ" is ${JSON.stringify(typ)}, expected "${rules.typ}": this is another kind of message`
    );
  }
  for (const name of Object.keys(header)) {
    if (name === "alg" || name === "typ" || name === rules.keyHeader) continue;
    const forbidden = FORBIDDEN.includes(name);
    throw new JwsHeaderForbiddenError(
      name,
      forbidden ? `the JWS header parameter "${name}" is not allowed in Licensor tokens` : `the JWS header parameter "${name}" is not known to Licensor tokens`
    );
  }
}
var KID = /^[A-Za-z0-9_-]{1,128}$/;
function headerKid(kid, thumbprint = false) {
  if (typeof kid !== "string" || kid === "") {
    throw new KidUnknownError(
      'the JWS header has no "kid"; the token does not name its signing key'
    );
  }
  if (thumbprint ? !isBase64urlOfLength(kid, 32) : !KID.test(kid)) {
    throw new KidUnknownError(
      `the JWS header "kid" is not a ${thumbprint ? "installation id (a key thumbprint)" : "key id"}`
    );
  }
  return kid;
}

// src/lib/sha256.ts
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
function sha256(bytes) {
  return nobleSha256(bytes);
}

// src/challenge-hash.ts
function challengeHash(token) {
  const compact = normaliseToken(token, "challenge");
  splitCompact(compact);
  return base64urlEncode(sha256(asciiBytes(compact)));
}

// src/claims/schema.ts
var FORMAT_VERSION = 1;
var MAX_NUMERIC_DATE = 253402300799;
var MAX_COUNT = 1e9;
var ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
function hasControlCharacter(value) {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 32 || c >= 127 && c <= 159 || c === 8232 || c === 8233) return true;
  }
  return false;
}
function hasLoneSurrogate(value) {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 55296 && c <= 56319) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 56320 && next <= 57343)) return true;
      i++;
    } else if (c >= 56320 && c <= 57343) {
      return true;
    }
  }
  return false;
}
function fail(path, reason) {
  throw new ClaimsInvalidError(path, reason);
}
function object(value, path, required, optional = []) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(path, "must be an object");
  }
  const record = value;
  for (const name of Object.keys(record)) {
    if (!required.includes(name) && !optional.includes(name)) {
      fail(join(path, name), "is not a known claim");
    }
  }
  for (const name of required) {
    if (!Object.hasOwn(record, name)) fail(join(path, name), "is missing");
  }
  return record;
}
function join(path, name) {
  return path === "" ? name : `${path}.${name}`;
}
function version(payload, kind) {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    fail("(payload)", "must be an object");
  }
  const v = payload.v;
  if (v === void 0) fail("v", "is missing (the format version)");
  if (v !== FORMAT_VERSION) {
    throw new VersionUnsupportedError(
      v,
      `${kind} format version ${JSON.stringify(v)} is not supported (this build reads version ${FORMAT_VERSION}); update Licensor`
    );
  }
}
var id = (value, path) => {
  if (typeof value !== "string" || !ID_PATTERN.test(value)) {
    fail(path, "must be an id of 1 to 64 characters [A-Za-z0-9_-]");
  }
  return value;
};
var digest = (value, path) => {
  if (!isBase64urlOfLength(value, 32)) fail(path, "must be a SHA-256 in base64url (43 characters)");
  return value;
};
var nonce = (value, path) => {
  if (!isBase64urlOfLength(value, 16)) fail(path, "must be 16 bytes in base64url (22 characters)");
  return value;
};
function integer(min, max) {
  return (value, path) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      fail(path, `must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}
var numericDate = (value, path) => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_NUMERIC_DATE) {
    fail(path, "must be a time in whole seconds since the epoch (an integer NumericDate)");
  }
  return value;
};
var count = integer(0, MAX_COUNT);
var positiveCount = integer(1, MAX_COUNT);
function text(max) {
  return (value, path) => {
    if (typeof value !== "string" || value.length === 0 || value.length > max) {
      fail(path, `must be a string of 1 to ${max} characters`);
    }
    if (hasControlCharacter(value))
      fail(path, "must not contain control characters or line breaks");
    if (hasLoneSurrogate(value)) fail(path, "must be valid Unicode (it has a lone surrogate)");
    if (value.trim() !== value) fail(path, "must not start or end with spaces");
    return value;
  };
}
function oneOf(values) {
  return (value, path) => {
    if (!values.includes(value)) {
      fail(path, `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);
    }
    return value;
  };
}
function nullable(read) {
  return (value, path) => value === null ? null : read(value, path);
}
var LICENSE_MODELS = ["perpetual", "subscription"];
var licenseModel = oneOf(LICENSE_MODELS);
var customerName = text(200);
var product = (value, path) => {
  const o = object(value, path, ["name", "version"]);
  return {
    name: text(100)(o.name, join(path, "name")),
    version: text(64)(o.version, join(path, "version"))
  };
};
var usage = (value, path) => {
  const o = object(value, path, ["credentialsInUse"]);
  return { credentialsInUse: count(o.credentialsInUse, join(path, "credentialsInUse")) };
};

// src/claims/challenge.ts
var CLAIMS = ["v", "jti", "iat", "exp", "sub", "product", "license", "usage", "request"];
function challengeLicense(value, path) {
  if (value === null) return null;
  const o = object(value, path, ["id", "revision", "customerName", "model"]);
  return {
    id: id(o.id, join(path, "id")),
    revision: positiveCount(o.revision, join(path, "revision")),
    customerName: customerName(o.customerName, join(path, "customerName")),
    model: licenseModel(o.model, join(path, "model"))
  };
}
function challengeRequest(value, path) {
  const o = object(value, path, ["kind"], ["credentials", "model", "customerName"]);
  const request = {
    kind: oneOf(["license", "model-switch"])(o.kind, join(path, "kind"))
  };
  if (Object.hasOwn(o, "credentials")) {
    request.credentials = positiveCount(o.credentials, join(path, "credentials"));
  }
  if (Object.hasOwn(o, "model")) request.model = licenseModel(o.model, join(path, "model"));
  else if (request.kind === "model-switch")
    fail(join(path, "model"), "is required for a model-switch request");
  if (Object.hasOwn(o, "customerName")) {
    request.customerName = customerName(o.customerName, join(path, "customerName"));
  }
  return request;
}
function validateChallengeClaims(payload) {
  version(payload, "challenge");
  const o = object(payload, "", CLAIMS);
  const iat = numericDate(o.iat, "iat");
  const exp = numericDate(o.exp, "exp");
  if (exp <= iat) fail("exp", "must be after iat");
  return {
    v: 1,
    jti: id(o.jti, "jti"),
    iat,
    exp,
    sub: digest(o.sub, "sub"),
    product: product(o.product, "product"),
    license: challengeLicense(o.license, "license"),
    usage: usage(o.usage, "usage"),
    request: challengeRequest(o.request, "request")
  };
}

// src/claims/check.ts
var CLAIMS2 = ["v", "iat", "nonce", "lid", "rev", "sdk", "product", "usage"];
function validateCheckClaims(payload) {
  version(payload, "check request");
  const o = object(payload, "", CLAIMS2);
  return {
    v: 1,
    iat: numericDate(o.iat, "iat"),
    nonce: nonce(o.nonce, "nonce"),
    lid: id(o.lid, "lid"),
    rev: positiveCount(o.rev, "rev"),
    sdk: text(64)(o.sdk, "sdk"),
    product: product(o.product, "product"),
    usage: usage(o.usage, "usage")
  };
}

// src/claims/license.ts
var MAX_GRACE_SECONDS = 10 * 366 * 86400;
var CLAIMS3 = [
  "v",
  "jti",
  "lid",
  "rev",
  "iat",
  "sub",
  "chal",
  "customer",
  "model",
  "credentials",
  "term"
];
function term(value, path) {
  const o = object(value, path, ["start", "end", "grace"]);
  const start = numericDate(o.start, join(path, "start"));
  const end = numericDate(o.end, join(path, "end"));
  if (end <= start) fail(join(path, "end"), "must be after term.start");
  return { start, end, grace: integer(0, MAX_GRACE_SECONDS)(o.grace, join(path, "grace")) };
}
function validateLicenseClaims(payload) {
  version(payload, "license");
  const o = object(payload, "", CLAIMS3);
  const customer = object(o.customer, "customer", ["id", "name"]);
  const model = licenseModel(o.model, "model");
  if (model === "subscription" && o.term === null) fail("term", "is required for a subscription");
  if (model === "perpetual" && o.term !== null)
    fail("term", "must be null for a perpetual license");
  return {
    v: 1,
    jti: id(o.jti, "jti"),
    lid: id(o.lid, "lid"),
    rev: integer(1, MAX_COUNT)(o.rev, "rev"),
    iat: numericDate(o.iat, "iat"),
    sub: digest(o.sub, "sub"),
    chal: o.chal === null ? null : digest(o.chal, "chal"),
    customer: {
      id: id(customer.id, "customer.id"),
      name: customerName(customer.name, "customer.name")
    },
    model,
    credentials: positiveCount(o.credentials, "credentials"),
    term: o.term === null ? null : term(o.term, "term")
  };
}

// src/claims/status.ts
var CHECK_OUTCOMES = [
  "VALID",
  "EXPIRED",
  "SUSPENDED",
  "REVOKED",
  "UNKNOWN"
];
var CLAIMS4 = [
  "v",
  "iat",
  "nonce",
  "lid",
  "sub",
  "outcome",
  "rev",
  "termEnd",
  "checkBy",
  "license"
];
var COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
function embeddedLicense(value, path) {
  if (value === null) return null;
  if (typeof value !== "string" || value.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(value)) {
    fail(path, `must be null or a compact license token of at most ${MAX_TOKEN_LENGTH} characters`);
  }
  return value;
}
function validateStatusClaims(payload) {
  version(payload, "status");
  const o = object(payload, "", CLAIMS4);
  const iat = numericDate(o.iat, "iat");
  const outcome = oneOf(CHECK_OUTCOMES)(o.outcome, "outcome");
  const rev = nullable(positiveCount)(o.rev, "rev");
  if (outcome === "UNKNOWN" && rev !== null)
    fail("rev", "must be null when the outcome is UNKNOWN");
  if (outcome !== "UNKNOWN" && rev === null)
    fail("rev", `is required when the outcome is ${outcome}`);
  const checkBy = numericDate(o.checkBy, "checkBy");
  if (checkBy < iat) fail("checkBy", "must not be before iat");
  return {
    v: 1,
    iat,
    nonce: nonce(o.nonce, "nonce"),
    lid: id(o.lid, "lid"),
    sub: digest(o.sub, "sub"),
    outcome,
    rev,
    termEnd: nullable(numericDate)(o.termEnd, "termEnd"),
    checkBy,
    license: embeddedLicense(o.license, "license")
  };
}

// src/crypto/ed25519-policy.ts
import { Point } from "@noble/ed25519";

// src/lib/recent-cache.ts
var RecentCache = class {
  constructor(capacity) {
    this.capacity = capacity;
  }
  #entries = /* @__PURE__ */ new Map();
  get(key) {
    const value = this.#entries.get(key);
    if (value !== void 0) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }
  set(key, value) {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value);
    }
  }
  get size() {
    return this.#entries.size;
  }
};

// src/crypto/ed25519-policy.ts
var L_LE = Uint8Array.from([
  237,
  211,
  245,
  92,
  26,
  99,
  18,
  88,
  214,
  156,
  247,
  162,
  222,
  249,
  222,
  20,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  16
]);
function isBelowL(bytes, offset) {
  for (let i = 31; i >= 0; i--) {
    const b = bytes[offset + i];
    const l = L_LE[i];
    if (b < l) return true;
    if (b > l) return false;
  }
  return false;
}
function isCanonicalEncoding(bytes, offset) {
  const top = bytes[offset + 31] & 127;
  const signBit = bytes[offset + 31] & 128;
  let middleAllFf = top === 127;
  let middleAllZero = top === 0;
  for (let i = 1; i < 31; i++) {
    const b = bytes[offset + i];
    if (b !== 255) middleAllFf = false;
    if (b !== 0) middleAllZero = false;
  }
  const low = bytes[offset];
  if (middleAllFf && low >= 237) return false;
  if (signBit !== 0 && middleAllFf && low === 236) return false;
  if (signBit !== 0 && middleAllZero && low === 1) return false;
  return true;
}
function isCanonicalSignature(signature) {
  return signature.length === 64 && isBelowL(signature, 32) && isCanonicalEncoding(signature, 0);
}
var acceptedKeys = /* @__PURE__ */ new WeakSet();
var acceptedByValue = new RecentCache(65536);
function publicKeyProblem(publicKey) {
  if (publicKey.length !== 32) return `is ${publicKey.length} bytes, not 32`;
  if (!isCanonicalEncoding(publicKey, 0)) return "is not a canonical point encoding";
  let point;
  try {
    point = Point.fromBytes(publicKey, false);
  } catch {
    return "is not a point on Ed25519";
  }
  if (point.isSmallOrder()) return "is a small-order point";
  return null;
}
function assertUsablePublicKey(publicKey) {
  if (acceptedKeys.has(publicKey)) return;
  const value = publicKey.length === 32 ? base64urlEncode(publicKey) : "";
  if (value !== "" && acceptedByValue.get(value) === true) {
    acceptedKeys.add(publicKey);
    return;
  }
  const problem = publicKeyProblem(publicKey);
  if (problem !== null) throw new KeyInvalidError(`the Ed25519 public key ${problem}`);
  acceptedKeys.add(publicKey);
  acceptedByValue.set(value, true);
}

// src/crypto/noble-backend.ts
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";

// src/lib/bytes.ts
function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// src/crypto/noble-backend.ts
ed.hashes.sha512 = sha512;
var L = 2n ** 252n + 27742317777372353535851937790883648493n;
function littleEndian(bytes) {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = value << 8n | BigInt(bytes[i]);
  return value;
}
function cofactorlessHolds(signature, message, publicKey) {
  const r = signature.subarray(0, 32);
  const hashed = new Uint8Array(64 + message.length);
  hashed.set(r);
  hashed.set(publicKey, 32);
  hashed.set(message, 64);
  const k = littleEndian(sha512(hashed)) % L;
  const s = littleEndian(signature.subarray(32, 64));
  const a = ed.Point.fromBytes(publicKey, false);
  const expected = ed.Point.BASE.multiply(s, false).subtract(a.multiply(k, false));
  return bytesEqual(expected.toBytes(), r);
}
var nobleBackend = {
  name: "noble",
  publicKey: (seed) => ed.getPublicKey(seed),
  sign: (message, seed) => ed.sign(message, seed),
  verify(signature, message, publicKey) {
    return ed.verify(signature, message, publicKey, { zip215: false }) && cofactorlessHolds(signature, message, publicKey);
  }
};

// src/crypto/node-backend.ts
function loadNodeCrypto() {
  const processObject = globalThis.process;
  const load = processObject?.getBuiltinModule;
  if (typeof load !== "function") return void 0;
  try {
    const crypto = load("node:crypto");
    return typeof crypto?.verify === "function" ? crypto : void 0;
  } catch {
    return void 0;
  }
}
var PKCS8_PREFIX = Uint8Array.from([
  48,
  46,
  2,
  1,
  0,
  48,
  5,
  6,
  3,
  43,
  101,
  112,
  4,
  34,
  4,
  32
]);
var SPKI_PREFIX = Uint8Array.from([
  48,
  42,
  48,
  5,
  6,
  3,
  43,
  101,
  112,
  3,
  33,
  0
]);
function withPrefix(prefix, key) {
  const der = new Uint8Array(prefix.length + key.length);
  der.set(prefix);
  der.set(key, prefix.length);
  return der;
}
function makeNodeBackend(crypto) {
  const privateKeys = /* @__PURE__ */ new WeakMap();
  const publicKeys = /* @__PURE__ */ new WeakMap();
  const publicKeysByValue = new RecentCache(16384);
  function privateKeyObject(seed) {
    let key = privateKeys.get(seed);
    if (key === void 0) {
      if (seed.length !== 32) throw new TypeError("an Ed25519 seed is 32 bytes");
      const der = withPrefix(PKCS8_PREFIX, seed);
      key = crypto.createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
      privateKeys.set(seed, key);
    }
    return key;
  }
  function publicKeyObject(publicKey) {
    let key = publicKeys.get(publicKey);
    if (key !== void 0) return key;
    const value = base64urlEncode(publicKey);
    key = publicKeysByValue.get(value);
    if (key === void 0) {
      const der = withPrefix(SPKI_PREFIX, publicKey);
      key = crypto.createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
      publicKeysByValue.set(value, key);
    }
    publicKeys.set(publicKey, key);
    return key;
  }
  return {
    name: "node",
    publicKey(seed) {
      const jwk = crypto.createPublicKey(privateKeyObject(seed)).export({ format: "jwk" });
      return new Uint8Array(Buffer.from(jwk.x, "base64url"));
    },
    sign(message, seed) {
      return new Uint8Array(crypto.sign(null, message, privateKeyObject(seed)));
    },
    verify(signature, message, publicKey) {
      return crypto.verify(null, message, publicKeyObject(publicKey), signature);
    }
  };
}
var nodeCrypto = loadNodeCrypto();
var nodeBackend = nodeCrypto === void 0 ? void 0 : makeNodeBackend(nodeCrypto);

// src/crypto/backend.ts
var active = nodeBackend ?? nobleBackend;
function getEd25519Backend() {
  return active.name;
}
function setEd25519Backend(name) {
  if (name === "noble") active = nobleBackend;
  else if (name === "auto") active = nodeBackend ?? nobleBackend;
  else if (nodeBackend === void 0) throw new TypeError("node:crypto is not available here");
  else active = nodeBackend;
}
function verifyEd25519(signature, message, publicKey) {
  assertUsablePublicKey(publicKey);
  if (!isCanonicalSignature(signature)) return false;
  return active.verify(signature, message, publicKey);
}
function signEd25519(message, seed) {
  return active.sign(message, seed);
}
function publicKeyFromSeed(seed) {
  return active.publicKey(seed);
}

// src/jws/verify.ts
function verifyCompactJws(input, options) {
  const jws = readCompactJws(input, options);
  return verifyReadJws(jws, options.key(jws.header));
}
function verifyReadJws(jws, publicKey) {
  const signature = base64urlDecode(jws.signatureSegment, "JWS signature");
  if (signature.length !== 64) {
    throw new SignatureInvalidError(
      `the signature is ${signature.length} bytes, not 64; the token is damaged or not from Licensor`
    );
  }
  if (!verifyEd25519(signature, asciiBytes(jws.signingInput), publicKey)) {
    throw new SignatureInvalidError(
      "the signature does not hold: the token was changed or not signed by this key"
    );
  }
  const payload = base64urlDecode(jws.payloadSegment, "JWS payload");
  return { token: jws.token, header: jws.header, payload, publicKey };
}
function verifyJws(token, options) {
  const {
    header,
    payload,
    token: compact
  } = verifyCompactJws(token, {
    typ: options.typ,
    maxLength: options.maxLength ?? MAX_TOKEN_LENGTH,
    key: () => options.publicKey
  });
  return { header, payload, token: compact };
}

// src/keys.ts
function generateKeyPair() {
  const seed = new Uint8Array(32);
  globalThis.crypto.getRandomValues(seed);
  return keyPairFromSeed(seed);
}
function keyPairFromSeed(seed) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new KeyInvalidError("an Ed25519 seed (private key) must be 32 bytes");
  }
  const privateKey = Uint8Array.from(seed);
  const publicKey = publicKeyFromSeed(privateKey);
  return { kid: jwkThumbprint(toPublicJwk(publicKey)), publicKey, privateKey };
}
function toPublicJwk(publicKey) {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new KeyInvalidError("an Ed25519 public key must be 32 bytes");
  }
  return { kty: "OKP", crv: "Ed25519", x: base64urlEncode(publicKey) };
}
function publicKeyFromJwk(jwk) {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
    throw new KeyInvalidError("a JWK must be a JSON object");
  }
  const { kty, crv, x, d } = jwk;
  if (kty !== "OKP" || crv !== "Ed25519") {
    throw new KeyInvalidError('the JWK is not an Ed25519 key (expected kty "OKP", crv "Ed25519")');
  }
  if (d !== void 0) {
    throw new KeyInvalidError('the JWK holds a private key ("d"); give the public JWK only');
  }
  if (typeof x !== "string" || x.length !== 43) {
    throw new KeyInvalidError('the JWK member "x" must be 43 base64url characters');
  }
  let publicKey;
  try {
    publicKey = base64urlDecode(x, 'JWK member "x"');
  } catch (error) {
    throw new KeyInvalidError(
      `the JWK member "x" is not canonical base64url: ${error.message}`
    );
  }
  assertUsablePublicKey(publicKey);
  return publicKey;
}
function jwkThumbprint(jwk) {
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":${JSON.stringify(jwk.x)}}`;
  return base64urlEncode(sha256(utf8Encode(canonical)));
}
var checkedPairs = /* @__PURE__ */ new WeakSet();
function assertKeyPair(keyPair) {
  if (checkedPairs.has(keyPair)) return;
  const { kid, publicKey, privateKey } = keyPair ?? {};
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
    throw new KeyInvalidError("the key pair has no 32-byte private key (seed)");
  }
  if (!(publicKey instanceof Uint8Array) || !bytesEqual(publicKeyFromSeed(privateKey), publicKey)) {
    throw new KeyInvalidError("the key pair's public key does not belong to its private key");
  }
  if (kid !== jwkThumbprint(toPublicJwk(publicKey))) {
    throw new KeyInvalidError("the key pair's kid is not the thumbprint of its public key");
  }
  checkedPairs.add(keyPair);
}

// src/keyring.ts
var PURPOSES = ["license", "status"];
var Keyring = class _Keyring {
  #entries;
  constructor(entries) {
    this.#entries = entries;
  }
  /** Reads a JWKS; throws ERR_KEYRING_INVALID (or ERR_KEY_INVALID for a bad key). */
  static fromJwks(jwks) {
    if (typeof jwks !== "object" || jwks === null || !Array.isArray(jwks.keys)) {
      throw new KeyringInvalidError('a keyring must be a JWKS: an object with a "keys" array');
    }
    const keys = jwks.keys;
    const entries = /* @__PURE__ */ new Map();
    keys.forEach((jwk, index) => {
      if (typeof jwk !== "object" || jwk === null) {
        throw new KeyringInvalidError(`keys[${index}] is not a JWK object`);
      }
      const { kid, alg, use, purpose } = jwk;
      if (!PURPOSES.includes(purpose)) {
        throw new KeyringInvalidError(`keys[${index}] needs "purpose": "license" or "status"`);
      }
      if (alg !== void 0 && alg !== "EdDSA") {
        throw new KeyringInvalidError(
          `keys[${index}] has "alg" ${JSON.stringify(alg)}, not "EdDSA"`
        );
      }
      if (use !== void 0 && use !== "sig") {
        throw new KeyringInvalidError(`keys[${index}] has "use" ${JSON.stringify(use)}, not "sig"`);
      }
      let publicKey;
      try {
        publicKey = publicKeyFromJwk(jwk);
      } catch (error) {
        if (error instanceof KeyInvalidError) {
          throw new KeyInvalidError(`keys[${index}]: ${error.message}`);
        }
        throw error;
      }
      const thumbprint = jwkThumbprint(toPublicJwk(publicKey));
      if (kid !== thumbprint) {
        throw new KeyringInvalidError(
          `keys[${index}] has "kid" ${JSON.stringify(kid)}, but its RFC 7638 thumbprint is ${thumbprint}`
        );
      }
      add(entries, thumbprint, { publicKey, purpose });
    });
    return _Keyring.#checked(entries);
  }
  /** Builds a keyring from public keys; each kid is the key's thumbprint. */
  static of(entries) {
    if (!Array.isArray(entries)) throw new KeyringInvalidError("Keyring.of needs an array");
    const map = /* @__PURE__ */ new Map();
    for (const { publicKey, purpose } of entries) {
      if (!PURPOSES.includes(purpose)) {
        throw new KeyringInvalidError(`a key purpose must be "license" or "status"`);
      }
      const jwk = toPublicJwk(publicKey);
      const checked = publicKeyFromJwk(jwk);
      add(map, jwkThumbprint(jwk), { publicKey: checked, purpose });
    }
    return _Keyring.#checked(map);
  }
  static #checked(entries) {
    if (entries.size === 0) throw new KeyringInvalidError("a keyring needs at least one key");
    return new _Keyring(entries);
  }
  /**
   * The public key with this kid for this purpose. Throws ERR_KID_UNKNOWN, or
   * ERR_KEY_WRONG_PURPOSE when the kid is known for the other purpose. Do not modify the result.
   */
  get(kid, purpose) {
    const entry = this.#entries.get(kid);
    if (entry === void 0) {
      throw new KidUnknownError(
        `no key with kid ${JSON.stringify(kid)} in the keyring; update the vendor keyring`
      );
    }
    if (entry.purpose !== purpose) {
      throw new KeyWrongPurposeError(
        `the key ${kid} is a ${entry.purpose} key and cannot verify a ${purpose} message`
      );
    }
    return entry.publicKey;
  }
  has(kid, purpose) {
    const entry = this.#entries.get(kid);
    return entry !== void 0 && (purpose === void 0 || entry.purpose === purpose);
  }
  /** The kids in the keyring, optionally only those of one purpose. */
  kids(purpose) {
    return [...this.#entries].filter(([, entry]) => purpose === void 0 || entry.purpose === purpose).map(([kid]) => kid);
  }
  toJwks() {
    return {
      keys: [...this.#entries].map(([kid, { publicKey, purpose }]) => ({
        ...toPublicJwk(publicKey),
        kid,
        alg: "EdDSA",
        use: "sig",
        purpose
      }))
    };
  }
};
function add(entries, kid, entry) {
  if (entries.has(kid)) {
    throw new KeyringInvalidError(`the key ${kid} appears twice in the keyring`);
  }
  entries.set(kid, entry);
}

// src/jws/sign.ts
function signCompactJws(header, claims, keyPair, maxLength) {
  assertKeyPair(keyPair);
  const signingInput = `${base64urlEncode(utf8Encode(JSON.stringify(header)))}.${base64urlEncode(
    utf8Encode(JSON.stringify(claims))
  )}`;
  const signature = signEd25519(asciiBytes(signingInput), keyPair.privateKey);
  const token = `${signingInput}.${base64urlEncode(signature)}`;
  if (token.length > maxLength) {
    throw new InputTooLargeError(
      `the signed token would be ${token.length} characters, over the cap of ${maxLength}; shorten the names in the claims`
    );
  }
  return token;
}

// src/messages/challenge.ts
var RULES = {
  typ: TYP.challenge,
  maxLength: MAX_TOKEN_LENGTH,
  keyHeader: "jwk",
  armour: "challenge"
};
function signChallenge(claims, installationKey) {
  const validated = validateChallengeClaims(claims);
  if (validated.sub !== installationKey.kid) {
    throw new ClaimsInvalidError(
      "sub",
      "must be the installation id (the thumbprint of the signing key)"
    );
  }
  const header = { alg: "EdDSA", typ: TYP.challenge, jwk: toPublicJwk(installationKey.publicKey) };
  return signCompactJws(header, validated, installationKey, MAX_TOKEN_LENGTH);
}
function headerKey(jwk) {
  if (jwk === void 0)
    throw new KeyInvalidError('the challenge header has no "jwk" (the installation key)');
  const publicKey = publicKeyFromJwk(jwk);
  const publicJwk = toPublicJwk(publicKey);
  return { publicKey, publicJwk, installationId: jwkThumbprint(publicJwk) };
}
function verifyChallenge(token) {
  const jws = readCompactJws(token, RULES);
  const { publicKey, publicJwk, installationId } = headerKey(jws.header.jwk);
  const verified = verifyReadJws(jws, publicKey);
  const claims = validateChallengeClaims(parseJsonObject(verified.payload, "challenge payload"));
  if (claims.sub !== installationId) {
    throw new ClaimsInvalidError(
      "sub",
      "is not the thumbprint of the key that signed the challenge"
    );
  }
  return { claims, installationId, publicJwk, token: verified.token };
}
function decodeChallengeUnverified(token) {
  const jws = readCompactJws(token, RULES);
  const { publicJwk, installationId } = headerKey(jws.header.jwk);
  const payload = base64urlDecode(jws.payloadSegment, "JWS payload");
  const claims = validateChallengeClaims(parseJsonObject(payload, "challenge payload"));
  return { claims, installationId, publicJwk, token: jws.token };
}

// src/messages/check.ts
var RULES2 = {
  typ: TYP.check,
  maxLength: MAX_TOKEN_LENGTH,
  keyHeader: "kid",
  armour: null
};
function signCheck(claims, installationKey) {
  const validated = validateCheckClaims(claims);
  const header = { alg: "EdDSA", typ: TYP.check, kid: installationKey.kid };
  return signCompactJws(header, validated, installationKey, MAX_TOKEN_LENGTH);
}
function readCheckKid(token) {
  return headerKid(readCompactJws(token, RULES2).header.kid, true);
}
function decodeCheckUnverified(token) {
  const jws = readCompactJws(token, RULES2);
  const installationId = headerKid(jws.header.kid, true);
  const payload = base64urlDecode(jws.payloadSegment, "JWS payload");
  const claims = validateCheckClaims(parseJsonObject(payload, "check payload"));
  return { claims, installationId, token: jws.token };
}
var thumbprints = /* @__PURE__ */ new WeakMap();
function thumbprintOf(publicKey) {
  let thumbprint = thumbprints.get(publicKey);
  if (thumbprint === void 0) {
    thumbprint = jwkThumbprint(toPublicJwk(publicKey));
    thumbprints.set(publicKey, thumbprint);
  }
  return thumbprint;
}
function verifyCheck(token, resolveInstallationKey) {
  const jws = readCompactJws(token, RULES2);
  const kid = headerKid(jws.header.kid, true);
  const publicKey = resolveInstallationKey(kid);
  if (publicKey === void 0) {
    throw new KidUnknownError(`no installation key is known for ${kid}`);
  }
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new KeyInvalidError(`the key resolved for ${kid} is not a 32-byte Ed25519 public key`);
  }
  if (thumbprintOf(publicKey) !== kid) {
    throw new KeyInvalidError(`the key resolved for ${kid} has another thumbprint`);
  }
  const verified = verifyReadJws(jws, publicKey);
  const claims = validateCheckClaims(parseJsonObject(verified.payload, "check payload"));
  return { claims, installationId: kid, token: verified.token };
}

// src/messages/license.ts
var RULES3 = {
  typ: TYP.license,
  maxLength: MAX_TOKEN_LENGTH,
  keyHeader: "kid",
  armour: "license"
};
function signLicense(claims, issuingKey) {
  const validated = validateLicenseClaims(claims);
  const header = { alg: "EdDSA", typ: TYP.license, kid: issuingKey.kid };
  return signCompactJws(header, validated, issuingKey, MAX_TOKEN_LENGTH);
}
function verifyLicense(token, keyring) {
  const jws = readCompactJws(token, RULES3);
  const kid = headerKid(jws.header.kid);
  const verified = verifyReadJws(jws, keyring.get(kid, "license"));
  const claims = validateLicenseClaims(parseJsonObject(verified.payload, "license payload"));
  return { claims, kid, token: verified.token };
}

// src/messages/status.ts
var RULES4 = {
  typ: TYP.status,
  maxLength: MAX_STATUS_TOKEN_LENGTH,
  keyHeader: "kid",
  armour: null
};
function signStatus(claims, statusKey) {
  const validated = validateStatusClaims(claims);
  const header = { alg: "EdDSA", typ: TYP.status, kid: statusKey.kid };
  return signCompactJws(header, validated, statusKey, MAX_STATUS_TOKEN_LENGTH);
}
function verifyStatus(token, keyring) {
  const jws = readCompactJws(token, RULES4);
  const kid = headerKid(jws.header.kid);
  const verified = verifyReadJws(jws, keyring.get(kid, "status"));
  const claims = validateStatusClaims(parseJsonObject(verified.payload, "status payload"));
  return { claims, kid, token: verified.token };
}
export {
  ArmorInvalidError,
  Base64urlInvalidError,
  CHECK_OUTCOMES,
  ClaimsInvalidError,
  FORMAT_VERSION,
  InputTooLargeError,
  JsonInvalidError,
  JwsAlgInvalidError,
  JwsHeaderForbiddenError,
  JwsMalformedError,
  JwsTypInvalidError,
  KeyInvalidError,
  KeyWrongPurposeError,
  Keyring,
  KeyringInvalidError,
  KidUnknownError,
  LICENSE_MODELS,
  LicensorError,
  MAX_STATUS_TOKEN_LENGTH,
  MAX_TOKEN_LENGTH,
  SignatureInvalidError,
  TOKEN_ERROR_CODES,
  TYP,
  VersionUnsupportedError,
  armour,
  base64urlDecode,
  base64urlEncode,
  challengeHash,
  decodeChallengeUnverified,
  decodeCheckUnverified,
  generateKeyPair,
  getEd25519Backend,
  isLicensorError,
  jwkThumbprint,
  keyPairFromSeed,
  normaliseToken,
  publicKeyFromJwk,
  readCheckKid,
  setEd25519Backend,
  signChallenge,
  signCheck,
  signLicense,
  signStatus,
  toPublicJwk,
  validateChallengeClaims,
  validateCheckClaims,
  validateLicenseClaims,
  validateStatusClaims,
  verifyChallenge,
  verifyCheck,
  verifyJws,
  verifyLicense,
  verifyStatus
};
