// Makes golden/golden.json: fixed keys and one signed message of each kind, which every
// package's tests load (`@licensor/token/golden`) to prove that what the issuer signs is what
// the SDK reads. Run once after `pnpm build`; the output is committed and tests never
// regenerate it. Ed25519 is deterministic, so re-running gives the same file unless the
// format changed, and a changed file in a diff is a format change to review.
//
//   node scripts/make-golden.mjs

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import {
  armour,
  base64urlEncode,
  challengeHash,
  Keyring,
  keyPairFromSeed,
  signChallenge,
  signCheck,
  signerFromKeyPair,
  signKeyset,
  signLicense,
  signStatus,
  toPublicJwk,
} from '../dist/index.js';

const seedOf = (label) => createHash('sha256').update(`licensor golden ${label}`).digest();
const idOf = (prefix, label) =>
  `${prefix}_${base64urlEncode(createHash('sha256').update(label).digest().subarray(0, 16))}`;

function keyEntry(label) {
  const pair = keyPairFromSeed(new Uint8Array(seedOf(label)));
  return {
    pair,
    json: {
      kid: pair.kid,
      seed: Buffer.from(pair.privateKey).toString('hex'),
      seedBase64url: base64urlEncode(pair.privateKey),
      publicKey: base64urlEncode(pair.publicKey),
      publicJwk: toPublicJwk(pair.publicKey),
    },
  };
}

const license = keyEntry('license key');
const status = keyEntry('status key');
const installation = keyEntry('installation key');
const jwks = Keyring.of([
  { publicKey: license.pair.publicKey, purpose: 'license' },
  { publicKey: status.pair.publicKey, purpose: 'status' },
]).toJwks();

const now = 1_767_225_600; // 2026-01-01T00:00:00Z
const day = 86_400;
const product = { name: 'CMS', version: '5.2.0' };
const licenseId = idOf('lic', 'golden license');
const customer = { id: idOf('cus', 'golden customer'), name: 'Acme Corporation' };
/** 16 bytes of a label's hash (a nonce), or all 32 (a chain value), base64url. */
const nonceOf = (label) =>
  base64urlEncode(createHash('sha256').update(label).digest().subarray(0, 16));
const chainOf = (label) => base64urlEncode(createHash('sha256').update(label).digest());

/**
 * The claims of a challenge of the golden installation, made `atDay` days after `now` and
 * pending 30 days; `rest` holds its license, usage and request (and v2's members), in order.
 */
const challengeClaimsOf = (v, label, atDay, rest) => ({
  v,
  jti: idOf('chl', label),
  iat: now + atDay * day,
  exp: now + (atDay + 30) * day,
  sub: installation.pair.kid,
  product,
  ...rest,
});

/** The claims of a check of revision `rev` by the golden installation; `rest`: v2's `prev`. */
const checkClaimsOf = (v, iat, nonce, rev, sdk, credentialsInUse, rest = {}) => ({
  v,
  iat,
  nonce,
  lid: licenseId,
  rev,
  sdk,
  product,
  usage: { credentialsInUse },
  ...rest,
});

/** The claims of a VALID status answering a check, no license relayed; `rest`: v2's members. */
const statusClaimsOf = (v, { iat, nonce, rev, termEnd, checkBy }, rest = {}) => ({
  v,
  iat,
  nonce,
  lid: licenseId,
  sub: installation.pair.kid,
  outcome: 'VALID',
  rev,
  termEnd,
  checkBy,
  license: null,
  ...rest,
});

/** The claims of revision `rev` of the golden license, answering `challenge`; `rest` in order. */
const licenseClaimsOf = (v, label, rev, atDay, challenge, rest) => ({
  v,
  jti: idOf('txn', label),
  lid: licenseId,
  rev,
  iat: now + atDay * day,
  sub: installation.pair.kid,
  chal: challengeHash(challenge),
  customer,
  ...rest,
});

const challengeClaims = challengeClaimsOf(1, 'golden challenge', 0, {
  license: null,
  usage: { credentialsInUse: 0 },
  request: { kind: 'license', credentials: 100, customerName: customer.name },
});
const challenge = signChallenge(challengeClaims, installation.pair);

const licenseClaims = licenseClaimsOf(1, 'golden transaction 1', 1, 1, challenge, {
  model: 'perpetual',
  credentials: 100,
  term: null,
});
const licenseToken = signLicense(licenseClaims, license.pair);

const switchClaims = challengeClaimsOf(1, 'golden model switch', 2, {
  license: { id: licenseId, revision: 1, customerName: customer.name, model: 'perpetual' },
  usage: { credentialsInUse: 42 },
  request: { kind: 'model-switch', model: 'subscription' },
});
const switchChallenge = signChallenge(switchClaims, installation.pair);

const subscriptionClaims = licenseClaimsOf(1, 'golden transaction 2', 2, 3, switchChallenge, {
  model: 'subscription',
  credentials: 100,
  term: { start: now + 3 * day, end: now + 368 * day, grace: 14 * day },
});
const subscriptionToken = signLicense(subscriptionClaims, license.pair);

const checkClaims = checkClaimsOf(1, now + 4 * day, nonceOf('golden nonce'), 2, '0.1.0', 42);
const checkToken = signCheck(checkClaims, installation.pair);

const statusClaims = statusClaimsOf(1, {
  iat: now + 4 * day + 1,
  nonce: checkClaims.nonce,
  rev: 2,
  termEnd: subscriptionClaims.term.end,
  checkBy: now + 5 * day + 1,
});
const statusToken = signStatus(statusClaims, status.pair);

// Version 2 (entitlements): a customer on the Standard plan asks for an add-on feature, and
// the license that grants it.
const challengeV2Claims = challengeClaimsOf(2, 'golden challenge v2', 5, {
  license: { id: licenseId, revision: 2, customerName: customer.name, model: 'subscription' },
  usage: { credentialsInUse: 42, limits: [{ name: 'sites', inUse: 3 }] },
  request: {
    kind: 'license',
    features: ['mobile-credentials'],
    limits: [{ name: 'sites', value: 5 }],
  },
});
const challengeV2 = signChallenge(challengeV2Claims, installation.pair);

const licenseV2Claims = licenseClaimsOf(2, 'golden transaction 3', 3, 6, challengeV2, {
  model: 'subscription',
  credentials: 100,
  term: { start: now + 3 * day, end: now + 368 * day, grace: 14 * day },
  plan: idOf('pln', 'golden standard plan'),
  products: [{ name: 'CMS', versions: ['5'] }],
  features: [{ name: 'hsm-support' }, { name: 'mobile-credentials', until: now + 188 * day }],
  limits: [{ name: 'sites', value: 5 }],
});
const licenseV2Token = signLicense(licenseV2Claims, license.pair);

// Version 2 of the check and the status (fork detection, issue #17): the status names the chain
// value the next check presents and the installation's clock offset; the next check presents
// it, and so does a challenge made after it.
const statusV2Claims = statusClaimsOf(
  2,
  {
    iat: now + 7 * day,
    nonce: nonceOf('golden nonce 2'),
    rev: 3,
    termEnd: licenseV2Claims.term.end,
    checkBy: now + 8 * day,
  },
  { chain: chainOf('golden chain 1'), skew: 7800 },
);
const statusV2Token = signStatus(statusV2Claims, status.pair);

const checkV2Claims = checkClaimsOf(2, now + 8 * day, nonceOf('golden nonce 3'), 3, '0.2.0', 43, {
  prev: statusV2Claims.chain,
});
const checkV2Token = signCheck(checkV2Claims, installation.pair);

const challengeChainClaims = challengeClaimsOf(2, 'golden challenge with chain', 9, {
  license: { id: licenseId, revision: 3, customerName: customer.name, model: 'subscription' },
  usage: { credentialsInUse: 43 },
  request: { kind: 'license', credentials: 200 },
  chain: statusV2Claims.chain,
});
const challengeChain = signChallenge(challengeChainClaims, installation.pair);

// Signed key sets (issue #11: version 1; issue #12: version 2 adds a product scope). Version 1
// publishes a next license key beside the ones the golden JWKS holds; version 2 is the set for
// the product CMS, which has a license key of its own. The vendor's key signs both.
const nextLicense = keyEntry('next license key');
const productLicense = keyEntry('CMS product license key');
const keysetEntry = (pair, purpose, state, rest = {}) => ({
  ...toPublicJwk(pair.publicKey),
  kid: pair.kid,
  alg: 'EdDSA',
  use: 'sig',
  purpose,
  state,
  ...rest,
});
const keysetV1Claims = {
  v: 1,
  seq: 1,
  iat: now + 10 * day,
  keys: [
    keysetEntry(license.pair, 'license', 'active'),
    keysetEntry(nextLicense.pair, 'license', 'next'),
    keysetEntry(status.pair, 'status', 'active'),
  ],
  revoked: [],
};
const keysetV1Token = await signKeyset(keysetV1Claims, signerFromKeyPair(license.pair));
const keysetV2Claims = {
  v: 2,
  seq: 2,
  iat: now + 11 * day,
  keys: [
    ...keysetV1Claims.keys,
    keysetEntry(productLicense.pair, 'license', 'active', { product: product.name }),
  ],
  revoked: [],
  scope: product.name,
};
const keysetV2Token = await signKeyset(keysetV2Claims, signerFromKeyPair(license.pair));

const golden = {
  $comment:
    'Fixed Licensor keys and messages for tests. Made by packages/token/scripts/make-golden.mjs; never edit by hand. Seeds are 32-byte RFC 8032 private keys (hex and base64url).',
  now,
  keys: {
    license: license.json,
    status: status.json,
    installation: installation.json,
    nextLicense: nextLicense.json,
    productLicense: productLicense.json,
  },
  jwks,
  challenge: { token: challenge, hash: challengeHash(challenge), claims: challengeClaims },
  license: {
    token: licenseToken,
    armoured: armour(licenseToken, 'license'),
    claims: licenseClaims,
  },
  modelSwitchChallenge: {
    token: switchChallenge,
    hash: challengeHash(switchChallenge),
    claims: switchClaims,
  },
  subscriptionLicense: { token: subscriptionToken, claims: subscriptionClaims },
  check: { token: checkToken, claims: checkClaims },
  status: { token: statusToken, claims: statusClaims },
  challengeV2: { token: challengeV2, hash: challengeHash(challengeV2), claims: challengeV2Claims },
  licenseV2: { token: licenseV2Token, claims: licenseV2Claims },
  statusV2: { token: statusV2Token, claims: statusV2Claims },
  checkV2: { token: checkV2Token, claims: checkV2Claims },
  challengeChain: {
    token: challengeChain,
    hash: challengeHash(challengeChain),
    claims: challengeChainClaims,
  },
  keysetV1: { token: keysetV1Token, claims: keysetV1Claims },
  keysetV2: { token: keysetV2Token, claims: keysetV2Claims },
};

const target = new URL('../golden/golden.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(golden, null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
