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

const challengeClaims = {
  v: 1,
  jti: idOf('chl', 'golden challenge'),
  iat: now,
  exp: now + 30 * day,
  sub: installation.pair.kid,
  product,
  license: null,
  usage: { credentialsInUse: 0 },
  request: { kind: 'license', credentials: 100, customerName: customer.name },
};
const challenge = signChallenge(challengeClaims, installation.pair);

const licenseClaims = {
  v: 1,
  jti: idOf('txn', 'golden transaction 1'),
  lid: licenseId,
  rev: 1,
  iat: now + day,
  sub: installation.pair.kid,
  chal: challengeHash(challenge),
  customer,
  model: 'perpetual',
  credentials: 100,
  term: null,
};
const licenseToken = signLicense(licenseClaims, license.pair);

const switchClaims = {
  v: 1,
  jti: idOf('chl', 'golden model switch'),
  iat: now + 2 * day,
  exp: now + 32 * day,
  sub: installation.pair.kid,
  product,
  license: { id: licenseId, revision: 1, customerName: customer.name, model: 'perpetual' },
  usage: { credentialsInUse: 42 },
  request: { kind: 'model-switch', model: 'subscription' },
};
const switchChallenge = signChallenge(switchClaims, installation.pair);

const subscriptionClaims = {
  v: 1,
  jti: idOf('txn', 'golden transaction 2'),
  lid: licenseId,
  rev: 2,
  iat: now + 3 * day,
  sub: installation.pair.kid,
  chal: challengeHash(switchChallenge),
  customer,
  model: 'subscription',
  credentials: 100,
  term: { start: now + 3 * day, end: now + 368 * day, grace: 14 * day },
};
const subscriptionToken = signLicense(subscriptionClaims, license.pair);

const checkClaims = {
  v: 1,
  iat: now + 4 * day,
  nonce: base64urlEncode(createHash('sha256').update('golden nonce').digest().subarray(0, 16)),
  lid: licenseId,
  rev: 2,
  sdk: '0.1.0',
  product,
  usage: { credentialsInUse: 42 },
};
const checkToken = signCheck(checkClaims, installation.pair);

const statusClaims = {
  v: 1,
  iat: now + 4 * day + 1,
  nonce: checkClaims.nonce,
  lid: licenseId,
  sub: installation.pair.kid,
  outcome: 'VALID',
  rev: 2,
  termEnd: subscriptionClaims.term.end,
  checkBy: now + 5 * day + 1,
  license: null,
};
const statusToken = signStatus(statusClaims, status.pair);

// Version 2 (entitlements): a customer on the Standard plan asks for an add-on feature, and
// the license that grants it.
const challengeV2Claims = {
  v: 2,
  jti: idOf('chl', 'golden challenge v2'),
  iat: now + 5 * day,
  exp: now + 35 * day,
  sub: installation.pair.kid,
  product,
  license: { id: licenseId, revision: 2, customerName: customer.name, model: 'subscription' },
  usage: { credentialsInUse: 42, limits: [{ name: 'sites', inUse: 3 }] },
  request: {
    kind: 'license',
    features: ['mobile-credentials'],
    limits: [{ name: 'sites', value: 5 }],
  },
};
const challengeV2 = signChallenge(challengeV2Claims, installation.pair);

const licenseV2Claims = {
  v: 2,
  jti: idOf('txn', 'golden transaction 3'),
  lid: licenseId,
  rev: 3,
  iat: now + 6 * day,
  sub: installation.pair.kid,
  chal: challengeHash(challengeV2),
  customer,
  model: 'subscription',
  credentials: 100,
  term: { start: now + 3 * day, end: now + 368 * day, grace: 14 * day },
  plan: idOf('pln', 'golden standard plan'),
  products: [{ name: 'CMS', versions: ['5'] }],
  features: [{ name: 'hsm-support' }, { name: 'mobile-credentials', until: now + 188 * day }],
  limits: [{ name: 'sites', value: 5 }],
};
const licenseV2Token = signLicense(licenseV2Claims, license.pair);

// Version 2 of the check and the status (fork detection, issue #17): the status names the chain
// value the next check presents and the installation's clock offset; the next check presents
// it, and so does a challenge made after it.
const statusV2Claims = {
  v: 2,
  iat: now + 7 * day,
  nonce: base64urlEncode(createHash('sha256').update('golden nonce 2').digest().subarray(0, 16)),
  lid: licenseId,
  sub: installation.pair.kid,
  outcome: 'VALID',
  rev: 3,
  termEnd: licenseV2Claims.term.end,
  checkBy: now + 8 * day,
  license: null,
  chain: base64urlEncode(createHash('sha256').update('golden chain 1').digest()),
  skew: 7800,
};
const statusV2Token = signStatus(statusV2Claims, status.pair);

const checkV2Claims = {
  v: 2,
  iat: now + 8 * day,
  nonce: base64urlEncode(createHash('sha256').update('golden nonce 3').digest().subarray(0, 16)),
  lid: licenseId,
  rev: 3,
  sdk: '0.2.0',
  product,
  usage: { credentialsInUse: 43 },
  prev: statusV2Claims.chain,
};
const checkV2Token = signCheck(checkV2Claims, installation.pair);

const challengeChainClaims = {
  v: 2,
  jti: idOf('chl', 'golden challenge with chain'),
  iat: now + 9 * day,
  exp: now + 39 * day,
  sub: installation.pair.kid,
  product,
  license: { id: licenseId, revision: 3, customerName: customer.name, model: 'subscription' },
  usage: { credentialsInUse: 43 },
  request: { kind: 'license', credentials: 200 },
  chain: statusV2Claims.chain,
};
const challengeChain = signChallenge(challengeChainClaims, installation.pair);

const golden = {
  $comment:
    'Fixed Licensor keys and messages for tests. Made by packages/token/scripts/make-golden.mjs; never edit by hand. Seeds are 32-byte RFC 8032 private keys (hex and base64url).',
  now,
  keys: { license: license.json, status: status.json, installation: installation.json },
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
};

const target = new URL('../golden/golden.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(golden, null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
