// `pnpm bench`: durable issues per second (the key returned only after its transaction is on
// disk: SQLite WAL with synchronous=FULL) next to the rate of the same crypto work alone
// (verify the challenge, hash it, sign the token) over the same challenges in the same run, as
// a ratio. Rounds alternate between the two so that load from other processes hits both alike; the
// median round counts. With MONGODB_URI set, the MongoDB adapter is measured too.
// Writes bench/results.json.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  challengeHash,
  generateKeyPair,
  signChallenge,
  signLicense,
  verifyChallenge,
} from '@licensor/token';
import mongoose from 'mongoose';
import { openIssuer, openStore } from '../dist/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Issues per round: each needs a fresh challenge, made before the clock starts. */
const PER_ROUND = { sqlite: Number(process.env.BENCH_ISSUES ?? 600), mongo: 40 };
const IN_FLIGHT = 64;
const here = dirname(fileURLToPath(import.meta.url));

function makeChallenges(count) {
  const iat = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, () => {
    const key = generateKeyPair();
    return signChallenge(
      {
        v: 1,
        jti: randomBytes(16).toString('base64url'),
        iat,
        exp: iat + 86_400,
        sub: key.kid,
        product: { name: 'bench', version: '1.0.0' },
        license: null,
        usage: { credentialsInUse: 1 },
        request: { kind: 'license' },
      },
      key,
    );
  });
}

const terms = { customerName: 'Bench Customer', model: 'perpetual', credentials: 100 };

/** The crypto of one issue, alone: verify the challenge, hash it, sign the license token. */
function cryptoRate(challenges) {
  const signing = generateKeyPair();
  const iat = Math.floor(Date.now() / 1000);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let done = 0;
  for (const challenge of challenges) {
    const verified = verifyChallenge(challenge);
    signLicense(
      {
        v: 1,
        jti: `txn_${randomBytes(16).toString('base64url')}`,
        lid: `lic_${randomBytes(16).toString('base64url')}`,
        rev: 1,
        iat,
        sub: verified.installationId,
        chal: challengeHash(verified.token),
        customer: { id: 'cus_bench', name: terms.customerName },
        model: 'perpetual',
        credentials: terms.credentials,
        term: null,
      },
      signing,
    );
    done++;
  }
  return rateOf(done, started, cpu);
}

/** Operations per second of wall time, and CPU microseconds per operation. */
function rateOf(done, started, cpu) {
  const used = process.cpuUsage(cpu);
  return {
    perSecond: done / ((performance.now() - started) / 1000),
    cpuUs: (used.user + used.system) / done,
  };
}

/** Durable issues with IN_FLIGHT concurrent callers, each on a fresh challenge. */
async function issueRate(issuer, challenges) {
  let next = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  async function caller() {
    while (next < challenges.length) {
      await issuer.issue(challenges[next++], terms, 'bench');
      done++;
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, caller));
  return rateOf(done, started, cpu);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(name, open, rounds, perRound) {
  const store = await open();
  const issuer = await openIssuer({ store, passphrase: '' });
  await issuer.init('bench');
  const warm = makeChallenges(Math.min(50, perRound));
  cryptoRate(warm);
  await issueRate(issuer, warm);
  const crypto = [];
  const issues = [];
  for (let round = 0; round < rounds; round++) {
    const challenges = makeChallenges(perRound);
    crypto.push(cryptoRate(challenges));
    issues.push(await issueRate(issuer, challenges));
  }
  await store.close();
  const issuesPerSecond = median(issues.map((r) => r.perSecond));
  const cryptoPerSecond = median(crypto.map((r) => r.perSecond));
  const issueCpuUs = median(issues.map((r) => r.cpuUs));
  const cryptoCpuUs = median(crypto.map((r) => r.cpuUs));
  return {
    store: name,
    issuesPerSecond: Math.round(issuesPerSecond),
    cryptoOnlyPerSecond: Math.round(cryptoPerSecond),
    baselineRatio: Number((issuesPerSecond / cryptoPerSecond).toFixed(3)),
    // On a shared machine wall time is noisy; CPU time per operation is not.
    cpuUsPerIssue: Math.round(issueCpuUs),
    cpuUsPerCryptoOnly: Math.round(cryptoCpuUs),
    cpuRatio: Number((cryptoCpuUs / issueCpuUs).toFixed(3)),
    rounds: {
      issuesPerSecond: issues.map((r) => Math.round(r.perSecond)),
      cryptoOnlyPerSecond: crypto.map((r) => Math.round(r.perSecond)),
    },
  };
}

const loadAverageBefore = Number(loadavg()[0].toFixed(2));
const results = [];
const dataDir = mkdtempSync(join(tmpdir(), 'licensor-issuer-bench-'));
try {
  results.push(await measure('sqlite', () => openStore({ dataDir }), ROUNDS, PER_ROUND.sqlite));
  const uri = process.env.MONGODB_URI;
  if (uri) {
    const dbName = `licensor_bench_${process.pid}`;
    try {
      results.push(
        await measure(
          'mongo',
          () => openStore({ dataDir, mongoUri: uri, mongoDbName: dbName }),
          1,
          PER_ROUND.mongo,
        ),
      );
    } finally {
      const connection = await mongoose.createConnection(uri).asPromise();
      await connection.useDb(dbName).dropDatabase();
      await connection.close();
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

const report = {
  benchmark: 'durable issues per second vs the same crypto alone (verify challenge + sign token)',
  generatedAt: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  issuesPerRound: PER_ROUND,
  rounds: ROUNDS,
  inFlight: IN_FLIGHT,
  loadAverageBefore,
  target: 'sqlite baselineRatio >= 0.5',
  results,
};
console.table(
  results.map((r) => ({
    store: r.store,
    'issues/s (durable)': r.issuesPerSecond,
    'crypto only/s': r.cryptoOnlyPerSecond,
    ratio: r.baselineRatio,
    'CPU µs/issue': r.cpuUsPerIssue,
    'CPU µs/crypto': r.cpuUsPerCryptoOnly,
    'CPU ratio': r.cpuRatio,
  })),
);
console.log(JSON.stringify(report, null, 2));
writeFileSync(join(here, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
