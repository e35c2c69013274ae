// `pnpm bench`: durable issues per second (the key returned only after its transaction is on
// disk: SQLite WAL with synchronous=FULL) next to the rate of the same crypto work alone
// (verify the challenge, hash it, sign the token) over the same challenges in the same run, as
// a ratio. Rounds alternate between the two so that load from other processes hits both alike; the
// median round counts, and each ratio is the median of the rounds' paired ratios (each round's
// issues against the same round's other side), every round's kept. With MONGODB_URI set, the
// MongoDB adapter is measured too.
// Where SoftHSM2 is installed, the same rounds also issue with the license key in a PKCS#11
// token (a third issuer, same store kind), and one signature at a time is timed through the HSM
// and in memory: from that per-sign cost, what a network HSM's round trip would do to issuing.
// A third rate, the floor of any issuer: bare node:crypto verifying each challenge's signature
// with the key in its header and signing a license-sized token, nothing else (no claims, no
// key checks, no store), over the same challenges (#15.5).
// On SQLite the issue group commit runs on a thread of its own (store/sqlite/issue-writer.ts):
// each issue row also gives the CPU per issue of the main thread (the event loop, the rate's limit
// while another core is free) and of the other threads, and a second SQLite issuer, on a store
// opened with `sqliteIssueThread: false`, commits on the event loop in the same rounds (#15.5).
// Each issue row also gives the share of the round's wall time its main thread was on a core
// (`mainThreadOnCore`) and its event loop was not idle (`eventLoopBusy`): the rate is the main
// thread's CPU per issue over the first; a loop busy while its thread is off a core lost the core
// to other work, a loop idle waited for the store.
// Writes bench/results.json.

import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  challengeHash,
  generateKeyPair,
  newId,
  signLicense,
  verifyChallenge,
} from '@licensor/token';
import mongoose from 'mongoose';
import { mainThreadCpuUs, median, rateOf } from '../../../bench/kit.mjs';
import {
  activeLicenseSigner,
  createSoftHsm,
  openIssuer,
  openStore,
  softHsmUnavailable,
} from '../dist/index.js';
import { freshChallenges } from '../dist/seed.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Issues per round: each needs a fresh challenge, made before the clock starts. */
const PER_ROUND = { sqlite: Number(process.env.BENCH_ISSUES ?? 600), mongo: 40 };
const IN_FLIGHT = 64;
/** Challenges of new installations of the product 'bench' (the one helper: @licensor/issuer/seed). */
const makeChallenges = (count) =>
  freshChallenges(count, { product: { name: 'bench', version: '1.0.0' } });
const here = dirname(fileURLToPath(import.meta.url));

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
        jti: newId('txn'),
        lid: newId('lic'),
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

// DER prefixes of an Ed25519 SPKI public key and PKCS#8 private key (RFC 8410).
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * Bare node:crypto: per challenge, its header's key imported and its signature verified, then
 * a license-sized payload signed (a token made as signLicense makes it, encoded once).
 */
function bareRate(challenges) {
  const signing = generateKeyPair();
  const licenseKey = createPrivateKey({
    key: Buffer.concat([PKCS8, signing.privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let done = 0;
  for (const challenge of challenges) {
    const [header, payload, signature] = challenge.split('.');
    const { jwk } = JSON.parse(Buffer.from(header, 'base64url').toString());
    const key = createPublicKey({
      key: Buffer.concat([SPKI, Buffer.from(jwk.x, 'base64url')]),
      format: 'der',
      type: 'spki',
    });
    const ok = verify(
      null,
      Buffer.from(`${header}.${payload}`),
      key,
      Buffer.from(signature, 'base64url'),
    );
    if (!ok) throw new Error('a bench challenge did not verify');
    const license = `${LICENSE_HEADER}.${Buffer.from(
      JSON.stringify({ ...LICENSE_CLAIMS, jti: newId('txn'), lid: newId('lic'), sub: jwk.x }),
    ).toString('base64url')}`;
    sign(null, Buffer.from(license), licenseKey);
    done++;
  }
  return rateOf(done, started, cpu);
}

const LICENSE_HEADER = Buffer.from(
  JSON.stringify({ alg: 'EdDSA', typ: 'licensor-license+jwt', kid: 'x'.repeat(43) }),
).toString('base64url');
const LICENSE_CLAIMS = {
  v: 1,
  rev: 1,
  iat: 1_796_000_000,
  chal: 'c'.repeat(43),
  customer: { id: 'cus_bench', name: terms.customerName },
  model: 'perpetual',
  credentials: terms.credentials,
  term: null,
};

/**
 * Durable issues with IN_FLIGHT concurrent callers, each on a fresh challenge; with the CPU of
 * the main thread (the event loop) apart from the process's (SQLite: the issue writer's thread).
 */
async function issueRate(issuer, challenges) {
  let next = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  const main = mainThreadCpuUs();
  const loop = performance.eventLoopUtilization();
  const started = performance.now();
  async function caller() {
    while (next < challenges.length) {
      await issuer.issue(challenges[next++], terms, 'bench');
      done++;
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, caller));
  const wallUs = (performance.now() - started) * 1000;
  const rate = rateOf(done, started, cpu);
  const mainUs = main === null ? null : mainThreadCpuUs() - main;
  return {
    ...rate,
    mainCpuUs: mainUs === null ? null : mainUs / done,
    // The main thread on a core, and the event loop not idle, over the round's wall time: where
    // the loop is busy but the thread is not on a core, other work took the core (preempted);
    // where the loop is idle, every caller waited for the store (on SQLite, the writer thread).
    mainOnCore: mainUs === null ? null : mainUs / wallUs,
    loopBusy: performance.eventLoopUtilization(loop).utilization,
  };
}

/** The median of a list that may hold nulls (no per-thread CPU on this platform): null. */
const medianOrNull = (values) => (values.includes(null) ? null : median(values));

const round3 = (value) => Number(value.toFixed(3));

/**
 * A ratio per round, `of(ours, base)` on the two sides of the same round, and their median.
 * Medians of the two sides taken apart may come from different rounds, when the rounds alternate
 * precisely so that load from other work hits both sides of a round alike.
 */
function pairedRatio(ours, base, of) {
  const rounds = ours.map((o, i) => round3(of(o, base[i])));
  return { ratio: round3(median(rounds)), rounds };
}
const rateRatio = (ours, base) => pairedRatio(ours, base, (o, b) => o.perSecond / b.perSecond);
/** Base CPU per operation over ours: the share of the base's rate one core would reach. */
const cpuRatioOf = (ours, base) => pairedRatio(ours, base, (o, b) => b.cpuUs / o.cpuUs);

async function measure(name, open, rounds, perRound, openHsm = null, openEventLoop = null) {
  const store = await open();
  const issuer = await openIssuer({ store, passphrase: '' });
  await issuer.init('bench');
  // SQLite: the same issues committed on the event loop (no writer thread), in the same rounds.
  const loopStore = openEventLoop === null ? null : await openEventLoop();
  const loopIssuer =
    loopStore === null ? null : await openIssuer({ store: loopStore, passphrase: '' });
  await loopIssuer?.init('bench');
  const hsmStore = openHsm === null ? null : await openHsm();
  const hsmIssuer =
    hsmStore === null ? null : await openIssuer({ store: hsmStore, passphrase: '' });
  await hsmIssuer?.init('bench', { hsm: true });
  // One whole untimed round of each row first (was 50 issues: the first two timed rounds then
  // cost about 1.5x the CPU per issue of the later ones, JIT and caches still warming).
  const warm = makeChallenges(perRound);
  cryptoRate(warm);
  bareRate(warm);
  await issueRate(issuer, warm);
  if (loopIssuer !== null) await issueRate(loopIssuer, makeChallenges(perRound));
  if (hsmIssuer !== null) await issueRate(hsmIssuer, makeChallenges(perRound));
  const crypto = [];
  const bare = [];
  const issues = [];
  const loopIssues = [];
  const hsmIssues = [];
  for (let round = 0; round < rounds; round++) {
    const challenges = makeChallenges(perRound);
    crypto.push(cryptoRate(challenges));
    bare.push(bareRate(challenges));
    issues.push(await issueRate(issuer, challenges));
    if (loopIssuer !== null) loopIssues.push(await issueRate(loopIssuer, challenges));
    if (hsmIssuer !== null) hsmIssues.push(await issueRate(hsmIssuer, makeChallenges(perRound)));
  }
  await store.close();
  await loopStore?.close();
  await hsmStore?.close();
  const issuesPerSecond = median(issues.map((r) => r.perSecond));
  const cryptoPerSecond = median(crypto.map((r) => r.perSecond));
  const issueCpuUs = median(issues.map((r) => r.cpuUs));
  const cryptoCpuUs = median(crypto.map((r) => r.cpuUs));
  const barePerSecond = median(bare.map((r) => r.perSecond));
  const bareCpuUs = median(bare.map((r) => r.cpuUs));
  const baseline = rateRatio(issues, crypto);
  const cpu = cpuRatioOf(issues, crypto);
  const toBare = rateRatio(issues, bare);
  const cpuToBare = cpuRatioOf(issues, bare);
  const rows = [
    {
      store: name,
      issuesPerSecond: Math.round(issuesPerSecond),
      cryptoOnlyPerSecond: Math.round(cryptoPerSecond),
      baselineRatio: baseline.ratio,
      // On a shared machine wall time is noisy; CPU time per operation is not.
      cpuUsPerIssue: Math.round(issueCpuUs),
      cpuUsPerCryptoOnly: Math.round(cryptoCpuUs),
      cpuRatio: cpu.ratio,
      // Against bare node:crypto verify + sign (no Licensor code, no store): target 0.7.
      bareVerifySignPerSecond: Math.round(barePerSecond),
      bareRatio: toBare.ratio,
      cpuUsPerBare: Math.round(bareCpuUs),
      bareCpuRatio: cpuToBare.ratio,
      // The event loop's share (the rate's limit when another core is free) and the rest (on
      // SQLite the issue writer's thread, which commits and syncs; libuv's pool; GC helpers).
      ...threadSplit(issues),
      rounds: {
        issuesPerSecond: issues.map((r) => Math.round(r.perSecond)),
        cryptoOnlyPerSecond: crypto.map((r) => Math.round(r.perSecond)),
        bareVerifySignPerSecond: bare.map((r) => Math.round(r.perSecond)),
        cpuUsPerIssue: issues.map((r) => Math.round(r.cpuUs)),
        baselineRatio: baseline.rounds,
        cpuRatio: cpu.rounds,
        bareRatio: toBare.rounds,
        bareCpuRatio: cpuToBare.rounds,
      },
    },
  ];
  if (loopIssuer !== null) {
    const loopPerSecond = median(loopIssues.map((r) => r.perSecond));
    const loopToBare = rateRatio(loopIssues, bare);
    rows.push({
      store: `${name}, commit on the event loop (sqliteIssueThread: false)`,
      issuesPerSecond: Math.round(loopPerSecond),
      bareRatio: loopToBare.ratio,
      cpuUsPerIssue: Math.round(median(loopIssues.map((r) => r.cpuUs))),
      ...threadSplit(loopIssues),
      rounds: {
        issuesPerSecond: loopIssues.map((r) => Math.round(r.perSecond)),
        bareRatio: loopToBare.rounds,
      },
    });
  }
  if (hsmIssuer !== null) {
    const hsmPerSecond = median(hsmIssues.map((r) => r.perSecond));
    // Against the key in memory, same store, same rounds.
    const toMemory = rateRatio(hsmIssues, issues);
    rows.push({
      store: `${name} + license key in SoftHSM2`,
      issuesPerSecond: Math.round(hsmPerSecond),
      keyInMemoryPerSecond: Math.round(issuesPerSecond),
      baselineRatio: toMemory.ratio,
      cpuUsPerIssue: Math.round(median(hsmIssues.map((r) => r.cpuUs))),
      rounds: {
        issuesPerSecond: hsmIssues.map((r) => Math.round(r.perSecond)),
        baselineRatio: toMemory.rounds,
      },
    });
  }
  return rows;
}

/** CPU per issue on the main thread and on the others (medians of the rounds; null: unknown). */
function threadSplit(rounds) {
  const main = medianOrNull(rounds.map((r) => r.mainCpuUs));
  const others = medianOrNull(
    rounds.map((r) => (r.mainCpuUs === null ? null : r.cpuUs - r.mainCpuUs)),
  );
  const onCore = medianOrNull(rounds.map((r) => r.mainOnCore));
  return {
    mainThreadCpuUsPerIssue: main === null ? null : Math.round(main),
    otherThreadsCpuUsPerIssue: others === null ? null : Math.round(others),
    mainThreadOnCore: onCore === null ? null : Number(onCore.toFixed(3)),
    eventLoopBusy: Number(median(rounds.map((r) => r.loopBusy)).toFixed(3)),
  };
}

/** One signature at a time (no overlap): the cost of a sign through the HSM and in memory. */
async function perSignCost(dataDir, count) {
  const timed = async (signer) => {
    const message = new Uint8Array(300).fill(7); // about a license token's signing input
    for (let i = 0; i < 20; i++) await signer.sign(message);
    const samples = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await signer.sign(message);
      samples.push((performance.now() - started) * 1000);
    }
    return { medianUs: Math.round(median(samples)), p99Us: Math.round(quantile(samples, 0.99)) };
  };
  const store = await openStore({ dataDir });
  const issuer = await openIssuer({ store, passphrase: '' });
  await issuer.init('bench', { hsm: true });
  const hsmSigner = await activeLicenseSigner(store, '');
  const memory = await openStore({ dataDir: `${dataDir}-memory` });
  await (await openIssuer({ store: memory, passphrase: '' })).init('bench');
  const memorySigner = await activeLicenseSigner(memory, '');
  const result = { hsm: await timed(hsmSigner), memory: await timed(memorySigner) };
  await store.close();
  await memory.close();
  rmSync(`${dataDir}-memory`, { recursive: true, force: true });
  return result;
}

const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.floor(values.length * q)];

/**
 * What a network HSM's round trip does, from the measured per-sign cost: each issue waits
 * one more round trip, and the HSM signs at most SESSIONS at once, so issuing cannot exceed
 * SESSIONS / (sign + round trip) per second, nor what the store allows with the key in memory.
 */
function networkProjection(sign, hsmRow, sessions) {
  return [0.5, 1, 2, 5, 10, 20].map((roundTripMs) => {
    const perSignMs = sign.hsm.medianUs / 1000 + roundTripMs;
    const hsmBound = (sessions * 1000) / perSignMs;
    return {
      roundTripMs,
      addedLatencyPerIssueMs: Number(roundTripMs.toFixed(1)),
      hsmBoundIssuesPerSecond: Math.round(hsmBound),
      projectedIssuesPerSecond: Math.round(Math.min(hsmBound, hsmRow.keyInMemoryPerSecond)),
    };
  });
}

const loadAverageBefore = Number(loadavg()[0].toFixed(2));
const results = [];
const dataDir = mkdtempSync(join(tmpdir(), 'licensor-issuer-bench-'));
// SoftHSM2 reads its configuration once, when this process first loads it: set it up first.
const hsmMissing = softHsmUnavailable();
const softHsm = hsmMissing === null ? createSoftHsm() : null;
if (softHsm !== null) {
  Object.assign(process.env, softHsm.env('bench', softHsm.initToken('bench', '1234')));
} else {
  console.warn(`HSM rows skipped: ${hsmMissing}`);
}
/** Sessions the issuer opens per token (packages/issuer/src/keys/pkcs11/token.ts). */
const HSM_SESSIONS = 4;
let perSign = null;
try {
  const hsmDir = join(dataDir, 'hsm');
  results.push(
    ...(await measure(
      'sqlite',
      () => openStore({ dataDir }),
      ROUNDS,
      PER_ROUND.sqlite,
      softHsm === null ? null : () => openStore({ dataDir: hsmDir }),
      () => openStore({ dataDir: join(dataDir, 'event-loop'), sqliteIssueThread: false }),
    )),
  );
  if (softHsm !== null) perSign = await perSignCost(join(dataDir, 'sign'), 500);
  const uri = process.env.MONGODB_URI;
  if (uri) {
    const dbName = `licensor_bench_${process.pid}`;
    try {
      results.push(
        ...(await measure(
          'mongo',
          () => openStore({ dataDir, mongoUri: uri, mongoDbName: dbName }),
          1,
          PER_ROUND.mongo,
        )),
      );
    } finally {
      const connection = await mongoose.createConnection(uri).asPromise();
      await connection.useDb(dbName).dropDatabase();
      await connection.close();
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  softHsm?.remove();
}
const hsmRow = results.find((r) => r.store === 'sqlite + license key in SoftHSM2');

const report = {
  benchmark: 'durable issues per second vs the same crypto alone (verify challenge + sign token)',
  generatedAt: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? null,
  issuesPerRound: PER_ROUND,
  rounds: ROUNDS,
  inFlight: IN_FLIGHT,
  loadAverageBefore,
  loadAverageAfter: Number(loadavg()[0].toFixed(2)),
  target: 'sqlite baselineRatio >= 0.5; sqlite bareRatio toward 0.7 (#15.5)',
  results,
  ...(perSign === null || hsmRow === undefined
    ? {}
    : {
        hsm: {
          module: 'SoftHSM2 (libsofthsm2.so), CKM_EDDSA',
          sessions: HSM_SESSIONS,
          perSignUs: perSign,
          networkProjection: networkProjection(perSign, hsmRow, HSM_SESSIONS),
        },
      }),
};
console.table(
  results.map((r) => ({
    store: r.store,
    'issues/s (durable)': r.issuesPerSecond,
    'crypto only/s': r.cryptoOnlyPerSecond,
    ratio: r.baselineRatio,
    'CPU µs/issue': r.cpuUsPerIssue,
    'main thread µs': r.mainThreadCpuUsPerIssue,
    'main on core': r.mainThreadOnCore,
    'loop busy': r.eventLoopBusy,
    'CPU µs/crypto': r.cpuUsPerCryptoOnly,
    'CPU ratio': r.cpuRatio,
    'bare verify+sign/s': r.bareVerifySignPerSecond,
    'ratio to bare': r.bareRatio,
  })),
);
if (report.hsm !== undefined) {
  console.log('one signature at a time (µs):', report.hsm.perSignUs);
  console.table(report.hsm.networkProjection);
}
console.log(JSON.stringify(report, null, 2));
writeFileSync(join(here, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
