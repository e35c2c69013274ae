// Rejections of the JWS layer (size, shape, encoding, header, keys, signature), with the
// error code asserted. Tokens that must get past the signature are forged with the right key
// (test/forge.ts), so each test reaches the check it is about.

import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  MAX_STATUS_TOKEN_LENGTH,
  MAX_TOKEN_LENGTH,
  readCheckKid,
  verifyChallenge,
  verifyCheck,
  verifyLicense,
  verifyStatus,
} from '../src/index.js';
import {
  codeOf,
  forge,
  golden,
  installationKey,
  keyring,
  licenseClaims,
  licenseHeader,
  licenseKey,
  parts,
  resolveInstallation,
  statusKey,
  verifyL,
} from './forge.js';

describe('size cap, checked before any decoding', () => {
  it('refuses a license input over MAX_TOKEN_LENGTH even when it is not base64url', () => {
    expect(codeOf(verifyL('!'.repeat(MAX_TOKEN_LENGTH + 1)))).toBe('ERR_INPUT_TOO_LARGE');
  });
  it('refuses challenge and check inputs over MAX_TOKEN_LENGTH', () => {
    // The text as given is bounded before it is read (a quarter more, and 1 KiB, for armour
    // and line breaks); the compact token it holds, by MAX_TOKEN_LENGTH itself (robustness.test.ts).
    const big = `${golden.challenge.token}${' '.repeat(2 * MAX_TOKEN_LENGTH)}`;
    expect(codeOf(() => verifyChallenge(big))).toBe('ERR_INPUT_TOO_LARGE');
    expect(codeOf(() => readCheckKid(big))).toBe('ERR_INPUT_TOO_LARGE');
    expect(codeOf(() => verifyCheck(big, resolveInstallation))).toBe('ERR_INPUT_TOO_LARGE');
  });
  it('gives a status a larger cap, since it can embed a license token', () => {
    const padded = `${golden.status.token}${'\n'.repeat(MAX_TOKEN_LENGTH)}`;
    expect(verifyStatus(padded, keyring).claims).toEqual(golden.status.claims);
    const over = `${golden.status.token}${'\n'.repeat(MAX_STATUS_TOKEN_LENGTH)}`;
    expect(codeOf(() => verifyStatus(over, keyring))).toBe('ERR_INPUT_TOO_LARGE');
  });
});

describe('shape: three non-empty segments', () => {
  for (const input of ['', '   \n', 'abc', 'a.b', 'a.b.c.d', 'a..c', '.b.c', 'a.b.', 'a.b.c.']) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      expect(codeOf(verifyL(input))).toBe('ERR_JWS_MALFORMED');
    });
  }
});

describe('non-canonical base64url', () => {
  const [h, p, s] = golden.license.token.split('.') as [string, string, string];
  it('refuses padding', () => {
    expect(codeOf(verifyL(`${h}.${p}.${s}==`))).toBe('ERR_BASE64URL_INVALID');
  });
  it('refuses + and / (base64, not base64url)', () => {
    expect(codeOf(verifyL(`${h}.${p}.${s.replace(/[-_]/, '+')}`))).toBe('ERR_BASE64URL_INVALID');
    expect(codeOf(verifyL(`${h.slice(0, -1)}/.${p}.${s}`))).toBe('ERR_BASE64URL_INVALID');
  });
  it('refuses non-zero unused bits in the last character of the signature', () => {
    // 86 characters carry 516 bits for 512: the low 4 bits of the last one are unused.
    const last = s.charCodeAt(s.length - 1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const value = alphabet.indexOf(String.fromCharCode(last));
    const tampered = `${s.slice(0, -1)}${alphabet[value | 1]}`;
    expect(tampered).not.toBe(s);
    expect(codeOf(verifyL(`${h}.${p}.${tampered}`))).toBe('ERR_BASE64URL_INVALID');
  });
  it('refuses a header of impossible length (1 mod 4)', () => {
    expect(codeOf(verifyL(`${h}AAAAA.${p}.${s}`))).toBe('ERR_BASE64URL_INVALID');
  });
  it('refuses other characters', () => {
    expect(codeOf(verifyL(`${h}.${p}.${s.slice(0, -2)}é`))).toBe('ERR_BASE64URL_INVALID');
  });
});

describe('header and payload JSON', () => {
  it('refuses a header that is not an object', () => {
    expect(codeOf(verifyL(forge('["EdDSA"]', licenseClaims, licenseKey)))).toBe('ERR_JSON_INVALID');
    expect(codeOf(verifyL(forge('"EdDSA"', licenseClaims, licenseKey)))).toBe('ERR_JSON_INVALID');
  });
  it('refuses a header with a duplicate member', () => {
    const header = `{"alg":"EdDSA","typ":"licensor-license+jwt","kid":"${licenseKey.kid}","kid":"${licenseKey.kid}"}`;
    expect(codeOf(verifyL(forge(header, licenseClaims, licenseKey)))).toBe('ERR_JSON_INVALID');
  });
  it('refuses a header that is not UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"alg":"EdDSA","x":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    expect(codeOf(verifyL(forge(new Uint8Array(bytes), licenseClaims, licenseKey)))).toBe(
      'ERR_JSON_INVALID',
    );
  });
  it('refuses a signed payload that is not an object, has a duplicate member or is not UTF-8', () => {
    expect(codeOf(verifyL(forge(licenseHeader, '[1]', licenseKey)))).toBe('ERR_JSON_INVALID');
    const duplicate = JSON.stringify(licenseClaims).replace('"rev":1', '"rev":1,"rev":2');
    expect(codeOf(verifyL(forge(licenseHeader, duplicate, licenseKey)))).toBe('ERR_JSON_INVALID');
    const name = JSON.stringify(licenseClaims).replace('Acme', '\u0000cme');
    const bytes = Buffer.from(name);
    bytes[bytes.indexOf(0)] = 0xff;
    expect(codeOf(verifyL(forge(licenseHeader, new Uint8Array(bytes), licenseKey)))).toBe(
      'ERR_JSON_INVALID',
    );
  });
  it('does not read the payload before the signature holds', () => {
    const broken = forge(licenseHeader, '{"v":1,"v":1}', licenseKey);
    const [h, p, s] = broken.split('.') as [string, string, string];
    const otherSignature = s.startsWith('A') ? `B${s.slice(1)}` : `A${s.slice(1)}`;
    expect(codeOf(verifyL(`${h}.${p}.${otherSignature}`))).toBe('ERR_SIGNATURE_INVALID');
    expect(codeOf(verifyL(`${h}.${p}AAAAA.${s}`))).toBe('ERR_SIGNATURE_INVALID');
  });
});

describe('alg and typ', () => {
  for (const alg of [undefined, 'none', 'ES256', 'eddsa', 'Ed25519']) {
    it(`refuses alg ${JSON.stringify(alg)}`, () => {
      const token = forge({ ...licenseHeader, alg }, licenseClaims, licenseKey);
      expect(codeOf(verifyL(token))).toBe('ERR_JWS_ALG_INVALID');
    });
  }
  it('refuses a missing typ', () => {
    const token = forge({ alg: 'EdDSA', kid: licenseKey.kid }, licenseClaims, licenseKey);
    expect(codeOf(verifyL(token))).toBe('ERR_JWS_TYP_INVALID');
  });
  it('refuses each message where another kind is expected (no cross-kind replay)', () => {
    expect(codeOf(() => verifyStatus(golden.license.token, keyring))).toBe('ERR_JWS_TYP_INVALID');
    expect(codeOf(() => verifyLicense(golden.status.token, keyring))).toBe('ERR_JWS_TYP_INVALID');
    expect(codeOf(() => verifyLicense(golden.check.token, keyring))).toBe('ERR_JWS_TYP_INVALID');
    expect(codeOf(() => verifyCheck(golden.license.token, resolveInstallation))).toBe(
      'ERR_JWS_TYP_INVALID',
    );
    expect(codeOf(() => verifyChallenge(golden.check.token))).toBe('ERR_JWS_TYP_INVALID');
    expect(codeOf(() => readCheckKid(golden.status.token))).toBe('ERR_JWS_TYP_INVALID');
  });
  it('refuses a typ that differs in case or adds the application/ prefix', () => {
    for (const typ of ['LICENSOR-LICENSE+JWT', 'application/licensor-license+jwt', 'JWT']) {
      const token = forge({ ...licenseHeader, typ }, licenseClaims, licenseKey);
      expect(codeOf(verifyL(token))).toBe('ERR_JWS_TYP_INVALID');
    }
  });
});

describe('forbidden header parameters', () => {
  const jwk = golden.keys.license.publicJwk;
  const cases: [string, unknown][] = [
    ['crit', ['exp']],
    ['b64', false],
    ['jku', 'https://attacker.example/jwks.json'],
    ['x5u', 'https://attacker.example/cert.pem'],
    ['x5c', ['MIIB']],
    ['jwk', jwk],
    ['cty', 'JWT'],
  ];
  for (const [name, value] of cases) {
    it(`refuses "${name}" in a license header`, () => {
      const token = forge({ ...licenseHeader, [name]: value }, licenseClaims, licenseKey);
      expect(codeOf(verifyL(token))).toBe('ERR_JWS_HEADER_FORBIDDEN');
    });
  }
  it('refuses jwk in check and status headers too', () => {
    const check = parts(golden.check.token);
    const token = forge(
      { ...check.header, jwk: golden.keys.installation.publicJwk },
      check.payload,
      installationKey,
    );
    expect(codeOf(() => verifyCheck(token, resolveInstallation))).toBe('ERR_JWS_HEADER_FORBIDDEN');
    const status = parts(golden.status.token);
    const statusToken = forge(
      { ...status.header, jwk: golden.keys.status.publicJwk },
      status.payload,
      statusKey,
    );
    expect(codeOf(() => verifyStatus(statusToken, keyring))).toBe('ERR_JWS_HEADER_FORBIDDEN');
  });
  it('accepts jwk in a challenge but refuses crit and kid there', () => {
    const challenge = parts(golden.challenge.token);
    expect(verifyChallenge(golden.challenge.token).claims).toEqual(golden.challenge.claims);
    for (const extra of [{ crit: ['b64'] }, { kid: installationKey.kid }, { x5c: ['MIIB'] }]) {
      const token = forge({ ...challenge.header, ...extra }, challenge.payload, installationKey);
      expect(codeOf(() => verifyChallenge(token))).toBe('ERR_JWS_HEADER_FORBIDDEN');
    }
  });
});

describe('keys: kid, purpose and validity', () => {
  it('refuses a missing or unknown kid', () => {
    expect(
      codeOf(
        verifyL(forge({ alg: 'EdDSA', typ: 'licensor-license+jwt' }, licenseClaims, licenseKey)),
      ),
    ).toBe('ERR_KID_UNKNOWN');
    const stranger = generateKeyPair();
    expect(
      codeOf(verifyL(forge({ ...licenseHeader, kid: stranger.kid }, licenseClaims, stranger))),
    ).toBe('ERR_KID_UNKNOWN');
    expect(codeOf(() => verifyCheck(golden.check.token, () => undefined))).toBe('ERR_KID_UNKNOWN');
  });
  it('refuses a kid that cannot be a key id, and a check kid that is not a thumbprint', () => {
    for (const kid of [42, 'x'.repeat(129), 'kid with spaces', 'ключ']) {
      const token = forge({ ...licenseHeader, kid }, licenseClaims, licenseKey);
      expect(codeOf(verifyL(token))).toBe('ERR_KID_UNKNOWN');
    }
    const check = parts(golden.check.token);
    const token = forge({ ...check.header, kid: 'inst_1' }, check.payload, installationKey);
    expect(codeOf(() => readCheckKid(token))).toBe('ERR_KID_UNKNOWN');
    expect(codeOf(() => verifyCheck(token, () => installationKey.publicKey))).toBe(
      'ERR_KID_UNKNOWN',
    );
  });
  it('refuses a license signed by a status key (the online service cannot mint licenses)', () => {
    const token = forge({ ...licenseHeader, kid: statusKey.kid }, licenseClaims, statusKey);
    expect(codeOf(verifyL(token))).toBe('ERR_KEY_WRONG_PURPOSE');
  });
  it('refuses a status signed by a license key', () => {
    const status = parts(golden.status.token);
    const token = forge({ ...status.header, kid: licenseKey.kid }, status.payload, licenseKey);
    expect(codeOf(() => verifyStatus(token, keyring))).toBe('ERR_KEY_WRONG_PURPOSE');
  });
  it('refuses a challenge whose header key is small-order, non-canonical or private', () => {
    const challenge = parts(golden.challenge.token);
    const smallOrder = { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url') };
    const nonCanonical = {
      kty: 'OKP',
      crv: 'Ed25519',
      x: Buffer.from(`${'ff'.repeat(31)}7f`, 'hex').toString('base64url'),
    };
    const withPrivate = {
      ...golden.keys.installation.publicJwk,
      d: golden.keys.installation.seedBase64url,
    };
    for (const jwk of [
      smallOrder,
      nonCanonical,
      withPrivate,
      { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' },
    ]) {
      const token = forge({ ...challenge.header, jwk }, challenge.payload, installationKey);
      expect(codeOf(() => verifyChallenge(token))).toBe('ERR_KEY_INVALID');
    }
  });
  it('refuses a check whose resolved key is not the one its kid names', () => {
    expect(codeOf(() => verifyCheck(golden.check.token, () => licenseKey.publicKey))).toBe(
      'ERR_KEY_INVALID',
    );
  });
});

describe('signature', () => {
  it('refuses a changed payload', () => {
    const [h, , s] = golden.license.token.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ ...licenseClaims, credentials: 100000 })).toString(
      'base64url',
    );
    expect(codeOf(verifyL(`${h}.${other}.${s}`))).toBe('ERR_SIGNATURE_INVALID');
  });
  it('refuses a signature by another key under a trusted kid', () => {
    const token = forge(licenseHeader, licenseClaims, generateKeyPair());
    expect(codeOf(verifyL(token))).toBe('ERR_SIGNATURE_INVALID');
  });
  it('refuses a signature of the wrong length', () => {
    const [h, p, s] = golden.license.token.split('.') as [string, string, string];
    expect(codeOf(verifyL(`${h}.${p}.${s.slice(0, 84)}`))).toBe('ERR_SIGNATURE_INVALID');
  });
  it('refuses a challenge signed by another key than its header jwk', () => {
    const challenge = parts(golden.challenge.token);
    const token = forge(challenge.header, challenge.payload, generateKeyPair());
    expect(codeOf(() => verifyChallenge(token))).toBe('ERR_SIGNATURE_INVALID');
  });
});
