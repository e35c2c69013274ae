// Ed25519 conformance of both backends on public vectors (copied unchanged from
// /work/shared/vectors into test/vectors/; sources in test/vectors/README.md):
// RFC 8032 section 7.1, C2SP Wycheproof ed25519_test.json, novifinancial ed25519-speccheck
// cases.json and C2SP CCTV ed25519vectors.json. Every case must get the same answer from
// node:crypto and @noble/ed25519 under Licensor's rules, and the expected one where the
// source states it.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Ed25519BackendName,
  publicKeyFromSeed,
  setEd25519Backend,
  signEd25519,
  verifyEd25519,
} from '../src/crypto/backend.js';
import { isLicensorError } from '../src/errors.js';
import { ed25519Edges, isRefusedEdge, licensorAnswer } from './ed25519-edges.js';

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8'));
const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const BACKENDS: Ed25519BackendName[] = ['node', 'noble'];

/** The answer of one backend: true, false, or false because the key was refused. */
function verifyWith(
  backend: Ed25519BackendName,
  sig: Uint8Array,
  msg: Uint8Array,
  pub: Uint8Array,
) {
  setEd25519Backend(backend);
  try {
    return verifyEd25519(sig, msg, pub);
  } catch (error) {
    if (isLicensorError(error, 'ERR_KEY_INVALID')) return false;
    throw error;
  }
}

/** Both backends' answer; fails the test when they differ. */
function agreed(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  const [node, noble] = BACKENDS.map((backend) => verifyWith(backend, sig, msg, pub));
  expect(noble, 'noble and node:crypto disagree').toBe(node);
  return node!;
}

afterAll(() => setEd25519Backend('auto'));

describe('RFC 8032 section 7.1', () => {
  const cases: { name: string; priv: string; pub: string; msg: string; sig: string }[] = load(
    'rfc8032_sec7.1_ed25519.json',
  );
  for (const backend of BACKENDS) {
    for (const c of cases) {
      it(`${backend}: ${c.name} derives the public key, signs and verifies`, () => {
        setEd25519Backend(backend);
        expect(Buffer.from(publicKeyFromSeed(hex(c.priv))).toString('hex')).toBe(c.pub);
        expect(Buffer.from(signEd25519(hex(c.msg), hex(c.priv))).toString('hex')).toBe(c.sig);
        expect(verifyWith(backend, hex(c.sig), hex(c.msg), hex(c.pub))).toBe(true);
        const other = Uint8Array.from([...hex(c.msg), 1]);
        expect(verifyWith(backend, hex(c.sig), other, hex(c.pub))).toBe(false);
      });
    }
  }
});

describe('Wycheproof ed25519_test.json (all cases)', () => {
  const file = load('wycheproof_ed25519_test.json');
  const groups: {
    publicKey: { pk: string };
    tests: { tcId: number; comment: string; msg: string; sig: string; result: string }[];
  }[] = file.testGroups;
  const cases = groups.flatMap((group) =>
    group.tests.map((test) => ({ pk: group.publicKey.pk, ...test })),
  );

  it('holds all 151 cases', () => {
    expect(cases.length).toBe(151);
  });
  for (const c of cases) {
    it(`tcId ${c.tcId} (${c.comment || 'no comment'}) is ${c.result} on both backends`, () => {
      expect(agreed(hex(c.sig), hex(c.msg), hex(c.pk))).toBe(c.result === 'valid');
    });
  }
});

describe('ed25519-speccheck cases', () => {
  const cases: { message: string; pub_key: string; signature: string }[] =
    load('speccheck_cases.json');
  // Each case is built around an edge (small-order or mixed-order key or R, non-canonical
  // encodings, S >= L). The answer must be RFC 8032's cofactorless one, with the refused edges
  // refused, on both backends.
  cases.forEach((c, index) => {
    const [pub, sig, msg] = [hex(c.pub_key), hex(c.signature), hex(c.message)];
    const expected = licensorAnswer(pub, sig, msg);
    const edges = ed25519Edges(pub, sig).join(', ') || 'ordinary';
    it(`case ${index} (${edges}) is ${expected ? 'accepted' : 'refused'} by both backends`, () => {
      expect(agreed(sig, msg, pub)).toBe(expected);
    });
  });
  it('refuses every case with a small-order key, a non-canonical encoding or S >= L', () => {
    cases.forEach((c, index) => {
      const [pub, sig, msg] = [hex(c.pub_key), hex(c.signature), hex(c.message)];
      if (ed25519Edges(pub, sig).some(isRefusedEdge))
        expect(agreed(sig, msg, pub), `case ${index}`).toBe(false);
    });
  });
});

describe('CCTV ed25519vectors.json', () => {
  const cases: { number: number; key: string; sig: string; msg: string; flags: string[] | null }[] =
    load('cctv_ed25519vectors.json');
  it('holds 914 cases', () => {
    expect(cases.length).toBe(914);
  });
  // One test per edge class keeps the report readable; each case is named on failure.
  const classes = new Map<string, typeof cases>();
  for (const c of cases) {
    const label = ed25519Edges(hex(c.key), hex(c.sig)).join(', ') || 'no edge';
    classes.set(label, [...(classes.get(label) ?? []), c]);
  }
  for (const [label, members] of classes) {
    const refused = label.split(', ').some(isRefusedEdge);
    it(`${members.length} cases with ${label}: both backends give the ${refused ? 'refusal' : 'cofactorless answer'}`, () => {
      for (const c of members) {
        const [pub, sig, msg] = [hex(c.key), hex(c.sig), new TextEncoder().encode(c.msg)];
        expect(agreed(sig, msg, pub), `case ${c.number}`).toBe(licensorAnswer(pub, sig, msg));
      }
    });
  }
  it('accepts the ordinary valid signature (305) and refuses every small-order key', () => {
    const answer = (c: (typeof cases)[number]) =>
      agreed(hex(c.sig), new TextEncoder().encode(c.msg), hex(c.key));
    expect(answer(cases.find((c) => c.number === 305)!)).toBe(true);
    for (const c of cases.filter((c) => c.flags?.includes('low_order_A'))) {
      expect(answer(c), `case ${c.number}`).toBe(false);
    }
  });
});

// The copies here are the shared vectors, unchanged: byte for byte, no file missing or added.
// The shared folder is on the team's machines, not in the repository: a clean clone (CI) has no
// /work/shared and skips this with a message.
const SHARED_VECTORS = '/work/shared/vectors';
const sharedMissing = !existsSync(SHARED_VECTORS);
if (sharedMissing) {
  console.warn(`test/vectors equals ${SHARED_VECTORS}: skipped, ${SHARED_VECTORS} is absent here`);
}

describe.skipIf(sharedMissing)(`test/vectors equals ${SHARED_VECTORS}`, () => {
  const local = new URL('./vectors/', import.meta.url);
  const names = (dir: string | URL) => readdirSync(dir).sort();

  it('holds the same files', () => {
    expect(names(local)).toEqual(names(SHARED_VECTORS));
  });

  it.each(names(sharedMissing ? local : SHARED_VECTORS))(
    '%s is byte for byte the shared file',
    (name) => {
      const copy = readFileSync(new URL(name, local));
      const shared = readFileSync(`${SHARED_VECTORS}/${name}`);
      expect(copy.length).toBe(shared.length);
      expect(copy.equals(shared), `${name} differs from ${SHARED_VECTORS}/${name}`).toBe(true);
    },
  );
});
