// `node bench/check-path.mjs`: the CPU of the check path's token work alone, in one loop on one
// thread (no HTTP, no store), as a check of the verify service does it: how a request is read
// and verified before and after #15.5's one read (readCheckKid + decodeCheckUnverified +
// verifyCheck, against decodeCheckUnverified + verifyDecodedCheck), with the native Ed25519
// verification alone beside them for scale. Rounds alternate the ways, so that another process's
// load weighs on each alike; prints µs of CPU per check (median of the rounds) as one JSON line.
import { verify } from 'node:crypto';
import {
  decodeCheckUnverified,
  generateKeyPair,
  readCheckKid,
  verifyCheck,
  verifyDecodedCheck,
} from '@licensor/token';
import { checkToken } from './prepare-store.mjs';

const N = Number(process.env.CHECK_PATH_N ?? 4000);
const ROUNDS = Number(process.env.CHECK_PATH_ROUNDS ?? 7);
const installation = generateKeyPair();
// The bench's own check request (a version 1 check, a fresh nonce each).
const tokens = Array.from({ length: N }, () =>
  checkToken('lic_0123456789abcdefghjkmnpq', 1, installation),
);
const key = (kid) => (kid === installation.kid ? installation.publicKey : undefined);
const { createPublicKey } = await import('node:crypto');
const nativeKey = createPublicKey({
  key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(installation.publicKey).toString('base64url') },
  format: 'jwk',
});

const ways = {
  // What answerCheck did before: the kid, the claims, then verifyCheck reads it all again.
  twoReads: (token) => {
    readCheckKid(token);
    decodeCheckUnverified(token);
    return verifyCheck(token, key).claims;
  },
  oneRead: (token) => verifyDecodedCheck(decodeCheckUnverified(token), key).claims,
  nativeVerifyOnly: (token) => {
    const dot = token.lastIndexOf('.');
    return verify(
      null,
      Buffer.from(token.slice(0, dot), 'latin1'),
      nativeKey,
      Buffer.from(token.slice(dot + 1), 'base64url'),
    );
  },
};
const samples = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
for (const fn of Object.values(ways)) for (const t of tokens.slice(0, 500)) fn(t);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(ways)) {
    const cpu = process.cpuUsage();
    for (const t of tokens) fn(t);
    const used = process.cpuUsage(cpu);
    samples[name].push((used.user + used.system) / N);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = Object.fromEntries(
  Object.entries(samples).map(([k, xs]) => [k, Math.round(median(xs) * 10) / 10]),
);
out.savedUsPerCheck = Math.round((out.twoReads - out.oneRead) * 10) / 10;
out.overheadBeyondNativeVerify = {
  twoReads: Math.round((out.twoReads - out.nativeVerifyOnly) * 10) / 10,
  oneRead: Math.round((out.oneRead - out.nativeVerifyOnly) * 10) / 10,
};
out.load = (await import('node:os')).loadavg()[0];
out.at = new Date().toISOString();
console.log(JSON.stringify(out));
