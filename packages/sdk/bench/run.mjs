// `pnpm bench`: what the SDK costs the CMS. Each figure is an SDK operation next to a baseline
// that does the unavoidable part of the same work without the SDK around it:
//   capacity() (the call before each new credential)  vs  verifying the license token once
//   createChallenge + applyLicenseKey on a FileStore    vs  signing + two durable atomic writes
//   verifyOnline against a node:http server on 127.0.0.1 vs  signCheck + POST + verifyStatus
// Prints a table and JSON, writes bench/results.json. Env BENCH_SECONDS (default 1 per figure).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  challengeHash,
  Keyring,
  keyPairFromSeed,
  newId,
  newNonce,
  signChallenge,
  signCheck,
  signLicense,
  signStatus,
  verifyChallenge,
  verifyLicense,
  verifyStatus,
} from '@licensor/token';
import { measureLatency } from '../../../bench/kit.mjs';
import { createLicensor, FileStore, MemoryStore } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 1);
const golden = createRequire(import.meta.url)('@licensor/token/golden');
const seed = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));
const licenseKey = keyPairFromSeed(seed(golden.keys.license.seed));
const statusKey = keyPairFromSeed(seed(golden.keys.status.seed));
const installationKey = keyPairFromSeed(seed(golden.keys.installation.seed));
const keyring = Keyring.fromJwks(golden.jwks);
const admin = { id: 'bench', roles: ['system-administrator'] };
const product = { name: 'CMS', version: '5.2.0' };
const work = mkdtempSync(join(tmpdir(), 'licensor-sdk-bench-'));

/** Runs `op` repeatedly for `seconds` (the bench kit): median microseconds and ops/s. */
const measure = (op) => measureLatency(op, { seconds, warmup: 20 });

function answer(challenge, rev, overrides = {}) {
  const { claims } = verifyChallenge(challenge);
  return signLicense(
    {
      v: 1,
      jti: newId('txn'),
      lid: 'lic_benchlicense00000000001',
      rev,
      iat: claims.iat,
      sub: claims.sub,
      chal: challengeHash(challenge),
      customer: { id: 'cus_bench', name: 'Bench' },
      model: 'subscription',
      credentials: 1000,
      term: { start: claims.iat, end: claims.iat + 365 * 86400, grace: 14 * 86400 },
      ...overrides,
    },
    licenseKey,
  );
}

async function licensed(store, verifyUrl) {
  const licensor = createLicensor({
    store,
    trust: golden.jwks,
    product,
    ...(verifyUrl ? { verifyUrl } : {}),
  });
  const { challenge } = await licensor.createChallenge(admin);
  await licensor.applyLicenseKey(admin, answer(challenge, 1));
  return licensor;
}

async function durableReplace(path, text) {
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w', 0o600);
  await file.writeFile(text);
  await file.sync();
  await file.close();
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  await dir.sync();
  await dir.close();
}

const figures = [];
function record(name, sdk, baselineName, baseline) {
  figures.push({
    name,
    sdkOpsPerSecond: sdk.opsPerSecond,
    sdkMedianUs: sdk.medianUs,
    baseline: baselineName,
    baselineOpsPerSecond: baseline.opsPerSecond,
    baselineMedianUs: baseline.medianUs,
    baselineRatio: Number((sdk.medianUs / baseline.medianUs).toFixed(2)),
  });
}

// 1. capacity(): load the state, verify the stored token(s), evaluate.
const memoryLicensor = await licensed(new MemoryStore());
const fileLicensor = await licensed(new FileStore(join(work, 'capacity')));
const { challenge: goldenStyle } = await memoryLicensor.createChallenge(admin);
const oneToken = answer(goldenStyle, 2);
const verifyOnce = await measure(() => verifyLicense(oneToken, keyring));
record(
  'capacity() MemoryStore',
  await measure(() => memoryLicensor.capacity(10)),
  'verifyLicense once',
  verifyOnce,
);
record(
  'capacity() FileStore',
  await measure(() => fileLicensor.capacity(10)),
  'verifyLicense once',
  verifyOnce,
);

// 2. Get challenge + Upgrade on a FileStore (two durable state writes, as the operator does).
const upgrading = createLicensor({
  store: new FileStore(join(work, 'upgrade')),
  trust: golden.jwks,
  product,
});
let revision = 0;
const applyCycle = await measure(async (i) => {
  const { challenge } = await upgrading.createChallenge(admin, { credentials: 10 + i });
  revision += 1;
  await upgrading.applyLicenseKey(admin, answer(challenge, revision));
});
const rawPath = join(work, 'raw.json');
writeFileSync(rawPath, '{}');
const rawCycle = await measure(async (i) => {
  const challenge = signChallenge(
    {
      v: 1,
      jti: newId('chl'),
      iat: 1767225600,
      exp: 1769817600,
      sub: golden.keys.installation.kid,
      product,
      license: null,
      usage: { credentialsInUse: 0 },
      request: { kind: 'license', credentials: 10 + i },
    },
    installationKey,
  );
  await durableReplace(rawPath, JSON.stringify({ challenge }));
  const token = answer(challenge, i + 1);
  verifyLicense(token, keyring);
  await durableReplace(rawPath, JSON.stringify({ challenge, token }));
});
record(
  'createChallenge + applyLicenseKey FileStore',
  applyCycle,
  'sign + verify + 2 durable writes',
  rawCycle,
);

// 3. verifyOnline against a local server that answers a signed VALID status.
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const check = Buffer.concat(chunks).toString();
    const claims = JSON.parse(Buffer.from(check.split('.')[1], 'base64url').toString());
    const iat = Math.floor(Date.now() / 1000);
    const status = signStatus(
      {
        v: 1,
        iat,
        nonce: claims.nonce,
        lid: claims.lid,
        sub: JSON.parse(Buffer.from(check.split('.')[0], 'base64url').toString()).kid,
        outcome: 'VALID',
        rev: claims.rev,
        termEnd: null,
        checkBy: iat + 86400,
        license: null,
      },
      statusKey,
    );
    response.writeHead(200, { 'content-type': 'application/jose' });
    response.end(status);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/v1/checks`;
const online = await licensed(new FileStore(join(work, 'online')), url);
const verifyFigure = await measure(async () => {
  const result = await online.verifyOnline(admin);
  if (!result.ok) throw new Error(result.error?.message);
});
const bareFigure = await measure(async () => {
  const nonce = newNonce();
  const check = signCheck(
    {
      v: 1,
      iat: Math.floor(Date.now() / 1000),
      nonce,
      lid: 'lic_benchlicense00000000001',
      rev: 1,
      sdk: '0.1.0',
      product,
      usage: { credentialsInUse: 0 },
    },
    installationKey,
  );
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/jose' },
    body: check,
  });
  const status = verifyStatus(await response.text(), keyring);
  if (status.claims.nonce !== nonce) throw new Error('nonce');
});
record(
  'verifyOnline FileStore',
  verifyFigure,
  'signCheck + POST + verifyStatus, same server',
  bareFigure,
);
server.close();
rmSync(work, { recursive: true, force: true });

const report = {
  benchmark: '@licensor/sdk operations against the unavoidable work they contain',
  generatedAt: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  secondsPerFigure: seconds,
  figures,
};
console.table(
  figures.map((f) => ({
    figure: f.name,
    'sdk ops/s': f.sdkOpsPerSecond,
    'sdk median µs': f.sdkMedianUs,
    baseline: f.baseline,
    'baseline median µs': f.baselineMedianUs,
    ratio: f.baselineRatio,
  })),
);
console.log(JSON.stringify(report, null, 2));
writeFileSync(join(here, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
