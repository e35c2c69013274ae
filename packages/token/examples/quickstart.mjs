// A whole Licensor exchange with @licensor/token, runnable after `pnpm build`:
//   node examples/quickstart.mjs
// The installation makes a challenge, the vendor answers with a license token, the SDK applies
// it, then checks online and reads the signed status.

import {
  armour,
  challengeHash,
  generateKeyPair,
  Keyring,
  newNonce,
  signChallenge,
  signCheck,
  signLicense,
  signStatus,
  verifyChallenge,
  verifyCheck,
  verifyLicense,
  verifyStatus,
} from '@licensor/token';

const now = Math.floor(Date.now() / 1000);

// Vendor: one key that issues licenses, one for the online service's statuses.
const issuingKey = generateKeyPair();
const statusKey = generateKeyPair();
const keyring = Keyring.of([
  { publicKey: issuingKey.publicKey, purpose: 'license' },
  { publicKey: statusKey.publicKey, purpose: 'status' },
]);
// The SDK ships with keyring.toJwks(); Keyring.fromJwks() reads it back.

// Installation: its key pair is its identity; its id is the key's thumbprint.
const installation = generateKeyPair();
const challenge = signChallenge(
  {
    v: 1,
    jti: 'chl_example',
    iat: now,
    exp: now + 7 * 86400,
    sub: installation.kid,
    product: { name: 'CMS', version: '5.2.0' },
    license: null,
    usage: { credentialsInUse: 0 },
    request: { kind: 'license', credentials: 250, customerName: 'Acme Corporation' },
  },
  installation,
);
console.log(`challenge for the vendor:\n${armour(challenge, 'challenge')}`);

// Vendor portal: the operator pastes the challenge; it is verified and answered.
const asked = verifyChallenge(armour(challenge, 'challenge'));
const licenseToken = signLicense(
  {
    v: 1,
    jti: 'txn_example',
    lid: 'lic_example',
    rev: 1,
    iat: now,
    sub: asked.installationId,
    chal: challengeHash(challenge),
    customer: { id: 'cus_example', name: asked.claims.request.customerName ?? 'Acme Corporation' },
    model: 'subscription',
    credentials: asked.claims.request.credentials ?? 1,
    term: { start: now, end: now + 365 * 86400, grace: 14 * 86400 },
  },
  issuingKey,
);
console.log(`license key for the customer:\n${armour(licenseToken, 'license')}`);

// SDK: the pasted key is verified against the keyring and bound to this installation.
const license = verifyLicense(armour(licenseToken, 'license'), keyring);
if (license.claims.sub !== installation.kid || license.claims.chal !== challengeHash(challenge)) {
  throw new Error('not for this installation or not an answer to our challenge');
}
console.log(
  'applied:',
  license.claims.model,
  license.claims.credentials,
  'credentials for',
  license.claims.customer.name,
);

// Online check: the SDK signs a check; the service verifies it and answers with a status.
const nonce = newNonce();
const check = signCheck(
  {
    v: 1,
    iat: now,
    nonce,
    lid: license.claims.lid,
    rev: license.claims.rev,
    sdk: '0.1.0',
    product: { name: 'CMS', version: '5.2.0' },
    usage: { credentialsInUse: 17 },
  },
  installation,
);
const asking = verifyCheck(check, (kid) =>
  kid === installation.kid ? installation.publicKey : undefined,
);
const status = signStatus(
  {
    v: 1,
    iat: now,
    nonce: asking.claims.nonce,
    lid: asking.claims.lid,
    sub: asking.installationId,
    outcome: 'VALID',
    rev: 1,
    termEnd: license.claims.term.end,
    checkBy: now + 86400,
    license: null,
  },
  statusKey,
);
const answer = verifyStatus(status, keyring);
console.log(
  'last verify:',
  new Date(answer.claims.iat * 1000).toISOString(),
  answer.claims.outcome,
);
