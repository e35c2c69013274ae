// pnpm bench: sign and verify throughput of license tokens through @licensor/token (built
// dist) on each Ed25519 backend, against bare node:crypto sign/verify of the same bytes with
// prepared KeyObjects, the ceiling for any Ed25519 JWS verifier in Node. Prints a table and
// JSON, writes bench/results.json. Target: our node verify >= 50% of bare verify.
//
//   node bench/run.mjs [--seconds 1]

import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as ed from '@noble/ed25519';
import { median } from '../../../bench/kit.mjs';
import {
  generateKeyPair,
  Keyring,
  keyPairFromSeed,
  publicKeyFromJwk,
  setEd25519Backend,
  signLicense,
  toPublicJwk,
  verifyCheck,
  verifyLicense,
} from '../dist/index.js';
import { FreshPool, measureFresh, measureOnce } from './measure.mjs';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 0.25;
// The machine is shared (other processes run tests), so: every figure is operations per second
// of this process's CPU time, not wall time; runs of all operations are interleaved over ROUNDS
// rounds; a figure is the median over rounds, and a ratio the median of the per-round ratios
// (ours and its baseline measured back to back).
const ROUNDS = 9;
const TARGET_VERIFY_RATIO = 0.5;

const golden = JSON.parse(readFileSync(new URL('../golden/golden.json', import.meta.url), 'utf8'));
const key = keyPairFromSeed(Uint8Array.from(Buffer.from(golden.keys.license.seed, 'hex')));
const keyring = Keyring.fromJwks(golden.jwks);
const claims = golden.subscriptionLicense.claims;
const token = signLicense(claims, key);
const signingInput = Buffer.from(token.slice(0, token.lastIndexOf('.')));
const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');

const privateKeyObject = createPrivateKey({
  key: { ...golden.keys.license.publicJwk, d: golden.keys.license.seedBase64url },
  format: 'jwk',
});
const publicKeyObject = createPublicKey({ key: golden.keys.license.publicJwk, format: 'jwk' });
if (!verify(null, signingInput, publicKeyObject, signature))
  throw new Error('bench setup: bad signature');

// The verify service's case: a check request, with the installation key decoded afresh from
// the store on every call (so only the by-value caches help).
const installation = keyPairFromSeed(
  Uint8Array.from(Buffer.from(golden.keys.installation.seed, 'hex')),
);
const checkToken = golden.check.token;
const checkSigningInput = Buffer.from(checkToken.slice(0, checkToken.lastIndexOf('.')));
const checkSignature = Buffer.from(checkToken.slice(checkToken.lastIndexOf('.') + 1), 'base64url');
const installationKeyObject = createPublicKey({
  key: golden.keys.installation.publicJwk,
  format: 'jwk',
});
const resolveFresh = () =>
  Uint8Array.from(Buffer.from(golden.keys.installation.publicKey, 'base64url'));
if (installation.kid !== golden.keys.installation.kid)
  throw new Error('bench setup: installation key');

// Cost of the key check on a key this process has not seen (the first check of a new
// installation): every call takes a fresh key, so no cache helps.
// The pool is sized to the rate measured, round by round (a fixed count ran dry on a fast machine).
const unseenKeys = new FreshPool(() => toPublicJwk(generateKeyPair().publicKey));

const noblePublicKey = Uint8Array.from(Buffer.from(golden.keys.license.publicKey, 'base64url'));
const ops = {
  bareSign: () => sign(null, signingInput, privateKeyObject),
  bareVerify: () => verify(null, signingInput, publicKeyObject, signature),
  bareNobleVerify: () => ed.verify(signature, signingInput, noblePublicKey, { zip215: false }),
  nodeSign: () => signLicense(claims, key),
  nodeVerify: () => verifyLicense(token, keyring),
  bareCheckVerify: () => verify(null, checkSigningInput, installationKeyObject, checkSignature),
  nodeCheckVerify: () => verifyCheck(checkToken, resolveFresh),
  unseenKeyCheck: () => publicKeyFromJwk(unseenKeys.take()),
  nobleSign: () => signLicense(claims, key),
  nobleVerify: () => verifyLicense(token, keyring),
};
const runs = Object.fromEntries(Object.keys(ops).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(ops);
  if (round % 2 === 1) names.reverse();
  for (const name of names) {
    setEd25519Backend(name.startsWith('noble') ? 'noble' : 'node');
    runs[name].push(
      name === 'unseenKeyCheck'
        ? measureFresh(unseenKeys, ops[name], SECONDS)
        : measureOnce(ops[name], SECONDS).opsPerSecond,
    );
  }
}
setEd25519Backend('auto');
const typical = Object.fromEntries(
  Object.entries(runs).map(([name, values]) => [name, Math.round(median(values))]),
);
/** Median over rounds of ours / baseline measured in the same round. */
const ratioOf = (name, baseline) =>
  median(runs[name].map((value, round) => value / runs[baseline][round]));
const bare = { sign: typical.bareSign, verify: typical.bareVerify };

const rows = [
  {
    name: 'node:crypto bare sign (baseline)',
    opsPerSec: bare.sign,
    baseline: 'node:crypto bare sign',
    ratio: 1,
  },
  {
    name: 'node:crypto bare verify (baseline)',
    opsPerSec: bare.verify,
    baseline: 'node:crypto bare verify',
    ratio: 1,
  },
];
rows.push({
  name: '@noble/ed25519 bare verify',
  opsPerSec: typical.bareNobleVerify,
  baseline: 'node:crypto bare verify',
  ratio: ratioOf('bareNobleVerify', 'bareVerify'),
});
for (const backend of ['node', 'noble']) {
  const signOps = typical[`${backend}Sign`];
  const verifyOps = typical[`${backend}Verify`];
  rows.push(
    {
      name: `signLicense (${backend})`,
      opsPerSec: signOps,
      baseline: 'node:crypto bare sign',
      ratio: ratioOf(`${backend}Sign`, 'bareSign'),
    },
    {
      name: `verifyLicense (${backend})`,
      opsPerSec: verifyOps,
      baseline: 'node:crypto bare verify',
      ratio: ratioOf(`${backend}Verify`, 'bareVerify'),
    },
  );
}
rows.push({
  name: 'verifyCheck (node, key decoded per call)',
  opsPerSec: typical.nodeCheckVerify,
  baseline: 'node:crypto bare verify of the check',
  ratio: ratioOf('nodeCheckVerify', 'bareCheckVerify'),
});
rows.push({
  name: 'publicKeyFromJwk, key not seen before',
  opsPerSec: typical.unseenKeyCheck,
  baseline: 'node:crypto bare verify',
  ratio: ratioOf('unseenKeyCheck', 'bareVerify'),
});

const verifyRatio = ratioOf('nodeVerify', 'bareVerify');
const results = {
  package: '@licensor/token',
  measuredAt: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  secondsPerRun: SECONDS,
  rounds: ROUNDS,
  method: `ops per CPU-second, median of ${ROUNDS} interleaved runs of ${SECONDS}s; ratios: median of per-run ratios`,
  tokenLength: token.length,
  figures: rows.map((row) => ({ ...row, ratio: Number(row.ratio.toFixed(3)) })),
  target: {
    what: 'verifyLicense (node) / node:crypto bare verify',
    minimum: TARGET_VERIFY_RATIO,
    measured: Number(verifyRatio.toFixed(3)),
    met: verifyRatio >= TARGET_VERIFY_RATIO,
  },
};

const pad = (text, width) => String(text).padEnd(width);
console.log(`license token of ${token.length} characters, ${results.method}, ${results.cpu}\n`);
console.log(`${pad('operation', 42)}${pad('ops/s', 10)}ratio to baseline`);
for (const row of results.figures) {
  console.log(
    `${pad(row.name, 42)}${pad(row.opsPerSec, 10)}${row.ratio.toFixed(3)} of ${row.baseline}`,
  );
}
console.log(
  `\ntarget: verify >= ${TARGET_VERIFY_RATIO * 100}% of bare node:crypto: ${(verifyRatio * 100).toFixed(1)}% ${results.target.met ? 'met' : 'NOT MET'}\n`,
);
console.log(JSON.stringify(results, null, 2));
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
