// The public key checks made by byte comparisons (#15.5) against the checks they replaced: the
// frozen 0.1.0 build (test/releases/token-v1.js), which decoded the point in pure JS for every
// unseen key. Every key and case of the public vectors (test/vectors, copied from
// /work/shared/vectors) and the edges built here go through both: every key refused before is
// still refused, for the same reason and with the same code, and every verification gives the
// same answer on both backends.

import { readFileSync } from 'node:fs';
import { Point } from '@noble/ed25519';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  currentBackend,
  type Ed25519BackendName,
  setEd25519Backend,
  verifyEd25519,
} from '../src/crypto/backend.js';
import {
  isCanonicalSignature,
  isSmallOrderEncoding,
  publicKeyBytesProblem,
} from '../src/crypto/ed25519-policy.js';
import { KeyInvalidError } from '../src/errors.js';
import { generateKeyPair, publicKeyFromJwk } from '../src/keys.js';
import {
  decodeChallengeUnverified,
  signChallenge,
  verifyChallenge,
} from '../src/messages/challenge.js';
import * as releasedBuild from './releases/token-v1.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8'));
const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const utf8 = (text: string) => new TextEncoder().encode(text);

// The frozen build of @licensor/token 0.1.0 (test/releases/README.md): its key check is the one
// every key went through before #15.5 (decode the point, ask noble its order).
const released = releasedBuild as unknown as {
  publicKeyFromJwk(jwk: unknown): Uint8Array;
  verifyChallenge(token: string): unknown;
};

/** Why the released build refuses a key (its ERR_KEY_INVALID message), or null. */
function oldPublicKeyProblem(publicKey: Uint8Array): string | null {
  // A JWK carries 32 bytes or none; the released rule for other lengths, as its source states.
  if (publicKey.length !== 32) return `is ${publicKey.length} bytes, not 32`;
  try {
    released.publicKeyFromJwk({ kty: 'OKP', crv: 'Ed25519', x: b64(publicKey) });
    return null;
  } catch (error) {
    expect((error as { code?: string }).code).toBe('ERR_KEY_INVALID');
    return (error as Error).message.replace('the Ed25519 public key ', '');
  }
}

/** The verification as it was before #15.5: the full key check first, then the signature. */
function oldVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const problem = oldPublicKeyProblem(publicKey);
  if (problem !== null) throw new KeyInvalidError(`the Ed25519 public key ${problem}`);
  if (!isCanonicalSignature(signature)) return false;
  return currentBackend().verify(signature, message, publicKey);
}

/** What a verification gives: true, false, or the code it threw. */
function outcome(verify: () => boolean): boolean | string {
  try {
    return verify();
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

interface Case {
  name: string;
  publicKey: Uint8Array;
  signature: Uint8Array;
  message: Uint8Array;
}

function vectorCases(): Case[] {
  const cases: Case[] = [];
  for (const c of load('rfc8032_sec7.1_ed25519.json') as {
    name: string;
    pub: string;
    msg: string;
    sig: string;
  }[]) {
    cases.push({
      name: `rfc8032 ${c.name}`,
      publicKey: hex(c.pub),
      signature: hex(c.sig),
      message: hex(c.msg),
    });
  }
  for (const group of load('wycheproof_ed25519_test.json').testGroups as {
    publicKey: { pk: string };
    tests: { tcId: number; msg: string; sig: string }[];
  }[]) {
    for (const t of group.tests) {
      cases.push({
        name: `wycheproof ${t.tcId}`,
        publicKey: hex(group.publicKey.pk),
        signature: hex(t.sig),
        message: hex(t.msg),
      });
    }
  }
  (
    load('speccheck_cases.json') as { message: string; pub_key: string; signature: string }[]
  ).forEach((c, index) => {
    cases.push({
      name: `speccheck ${index}`,
      publicKey: hex(c.pub_key),
      signature: hex(c.signature),
      message: hex(c.message),
    });
  });
  for (const c of load('cctv_ed25519vectors.json') as {
    number: number;
    key: string;
    sig: string;
    msg: string;
  }[]) {
    cases.push({
      name: `cctv ${c.number}`,
      publicKey: hex(c.key),
      signature: hex(c.sig),
      message: utf8(c.msg),
    });
  }
  return cases;
}

/** A deterministic byte stream (xorshift), so a failure names a key that can be made again. */
function pseudoRandomKeys(count: number, seed: number): Uint8Array[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state & 0xff;
  };
  return Array.from({ length: count }, () => Uint8Array.from({ length: 32 }, next));
}

const withSign = (bytes: Uint8Array, sign: number) =>
  Uint8Array.from(bytes, (b, i) => (i === 31 ? (b & 0x7f) | sign : b));

/** Keys at the edges the byte rules decide: every small-order point, non-canonical y, mixes. */
function edgeKeys(): Uint8Array[] {
  const keys: Uint8Array[] = [];
  // The eight small-order points, from one of order 8, and each with the sign bit flipped.
  const order8 = Point.fromBytes(
    hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  );
  const base = Point.BASE.multiply(123456789n);
  for (let k = 0n; k < 8n; k++) {
    const torsion = k === 0n ? Point.ZERO : order8.multiply(k);
    for (const sign of [0, 0x80]) {
      keys.push(withSign(torsion.toBytes(), sign));
      // Mixed order: a point of large order plus the torsion point, which is not small order.
      keys.push(withSign(base.add(torsion).toBytes(), sign));
    }
  }
  // y >= p: p + 0 .. p + 18 (the last bytes all 0xff), both signs.
  for (let low = 0xed; low <= 0xff; low++) {
    for (const sign of [0, 0x80]) {
      const bytes = new Uint8Array(32).fill(0xff);
      bytes[0] = low;
      keys.push(withSign(bytes, sign));
    }
  }
  // Wrong lengths.
  keys.push(new Uint8Array(31), new Uint8Array(33), new Uint8Array(0));
  return keys;
}

const BACKENDS: Ed25519BackendName[] = ['node', 'noble'];
afterAll(() => setEd25519Backend('auto'));

describe('public key checks by byte comparison, against the point decoding they replaced', () => {
  const cases = vectorCases();
  const keys = [
    ...cases.map((c) => c.publicKey),
    ...edgeKeys(),
    ...pseudoRandomKeys(3_000, 0x15_05),
  ];

  it('reads every vector file whole', () => {
    expect(cases.length).toBe(5 + 151 + 12 + 914);
  });

  it('refuses by bytes only keys the old check refused, for the same reason', () => {
    let refusedByBytes = 0;
    for (const key of keys) {
      const now = publicKeyBytesProblem(key);
      if (now === null) continue;
      refusedByBytes++;
      expect(oldPublicKeyProblem(key), Buffer.from(key).toString('hex')).toBe(now);
    }
    expect(refusedByBytes).toBeGreaterThan(100);
  });

  it('leaves to the point decoding exactly the keys the old check found were no point', () => {
    let noPoint = 0;
    for (const key of keys) {
      const before = oldPublicKeyProblem(key);
      if (before === null || publicKeyBytesProblem(key) !== null) continue;
      expect(before, Buffer.from(key).toString('hex')).toBe('is not a point on Ed25519');
      noPoint++;
    }
    // About half of all 32-byte strings are no point: the random keys hold many.
    expect(noPoint).toBeGreaterThan(1_000);
  });

  it('says small order by bytes exactly where the released build did, for every point', () => {
    let small = 0;
    for (const key of keys) {
      const before = oldPublicKeyProblem(key);
      // Canonical points only: the ones the release accepted or refused for their order.
      if (before !== null && before !== 'is a small-order point') continue;
      const hexKey = Buffer.from(key).toString('hex');
      expect(isSmallOrderEncoding(key), hexKey).toBe(before === 'is a small-order point');
      if (before !== null) small++;
    }
    // The eight small-order points (the six canonical sign variants among them) and the vectors'.
    expect(small).toBeGreaterThanOrEqual(8);
  });

  for (const backend of BACKENDS) {
    it(`${backend}: every vector case verifies as it did, true, false or ERR_KEY_INVALID`, () => {
      setEd25519Backend(backend);
      const answers = { true: 0, false: 0, ERR_KEY_INVALID: 0 } as Record<string, number>;
      for (const c of cases) {
        const before = outcome(() => oldVerify(c.signature, c.message, c.publicKey));
        const now = outcome(() => verifyEd25519(c.signature, c.message, c.publicKey));
        expect(now, c.name).toBe(before);
        answers[String(now)] = (answers[String(now)] ?? 0) + 1;
      }
      // Each kind of answer occurs, so the comparison covers all three.
      expect(answers.true).toBeGreaterThan(0);
      expect(answers.false).toBeGreaterThan(0);
      expect(answers.ERR_KEY_INVALID).toBeGreaterThan(0);
    });

    it(`${backend}: a key that is no point is ERR_KEY_INVALID as before, whatever the signature`, () => {
      setEd25519Backend(backend);
      const signature = cases.find((c) => c.name === 'rfc8032 TEST 1')!.signature;
      let checked = 0;
      for (const key of pseudoRandomKeys(200, 0x2a)) {
        if (publicKeyBytesProblem(key) !== null) continue;
        const before = outcome(() => oldVerify(signature, utf8('m'), key));
        expect(outcome(() => verifyEd25519(signature, utf8('m'), key))).toBe(before);
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
    });
  }
});

describe('keys that arrive in a challenge, and keys kept to verify later', () => {
  const noPoint = pseudoRandomKeys(50, 7).find(
    (key) => oldPublicKeyProblem(key) === 'is not a point on Ed25519',
  )!;
  const smallOrder = hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

  /** A challenge signed by a new installation key. */
  function challengeOf(jti: string): string {
    const installation = generateKeyPair();
    const now = Math.floor(Date.now() / 1000);
    return signChallenge(
      {
        v: 1,
        jti,
        iat: now,
        exp: now + 3_600,
        sub: installation.kid,
        product: { name: 'CMS', version: '5.2.0' },
        license: null,
        usage: { credentialsInUse: 0 },
        request: { kind: 'license', credentials: 10 },
      },
      installation,
    );
  }

  /** A real challenge whose header key is replaced by `x` (its signature no longer holds). */
  function challengeWithKey(x: Uint8Array): string {
    const [header, payload, signature] = challengeOf('chl_keychecks0000000000').split('.');
    const decoded = JSON.parse(Buffer.from(header!, 'base64url').toString());
    decoded.jwk.x = b64(x);
    return [Buffer.from(JSON.stringify(decoded)).toString('base64url'), payload, signature].join(
      '.',
    );
  }

  for (const backend of BACKENDS) {
    it(`${backend}: a challenge whose key is no point, or of small order, is ERR_KEY_INVALID`, () => {
      setEd25519Backend(backend);
      for (const key of [noPoint, smallOrder]) {
        const token = challengeWithKey(key);
        expect(outcome(() => Boolean(verifyChallenge(token)))).toBe('ERR_KEY_INVALID');
        expect(outcome(() => Boolean(released.verifyChallenge(token)))).toBe('ERR_KEY_INVALID');
        expect(outcome(() => Boolean(decodeChallengeUnverified(token)))).toBe('ERR_KEY_INVALID');
      }
    });
  }

  it('node: decodes a verified challenge again without decoding its point in JS; an unverified one with', () => {
    setEd25519Backend('node');
    const decodes = vi.spyOn(Point, 'fromBytes');
    try {
      const token = challengeOf('chl_keychecks0000000001');
      decodes.mockClear();
      verifyChallenge(token);
      decodeChallengeUnverified(token);
      expect(decodes).not.toHaveBeenCalled();
      // A challenge never verified here: its key is decoded for the full check.
      decodeChallengeUnverified(challengeWithKey(generateKeyPair().publicKey));
      expect(decodes).toHaveBeenCalledTimes(1);
    } finally {
      decodes.mockRestore();
    }
  });

  it('refuses a kept key (a JWKS, a stored key) that is no point when it is read, as before', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: b64(noPoint) };
    expect(outcome(() => Boolean(publicKeyFromJwk(jwk)))).toBe('ERR_KEY_INVALID');
  });
});
