// `pnpm bench` (e2e): the same rows on an empty store and on a large one, in the same run, so
// that what a full store costs is one ratio: online checks (verify service over HTTP, rate and
// p99), durable issues per second, and the portal's pages over HTTP (p50/p95): licenses with a
// filter, a search, expiring soon, one license with its history and 90-day usage, the audit log
// of one action.
//
// The large store: BENCH_LARGE_DIR (a folder `pnpm seed-data --data DIR` filled: it wrote
// seed-report.json there), else one seeded now with BENCH_LICENSES (default 20,000) licenses and
// BENCH_DAYS (default 1) days of hourly checks. The empty one holds the 200 licenses the checks
// are signed for. BENCH_SECONDS (default 5) per check run. Durable issues run last, in rounds
// alternating between the two stores (BENCH_ISSUE_ROUNDS, default 20; the median of each, and
// the rate over all of them).
// Writes e2e/bench/results.json.

import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIssuer } from '@licensor/issuer';
import { installationKeyOf, SAMPLE_SIZE, seedStore } from '@licensor/issuer/seed';
import { openStore } from '@licensor/issuer/store';
import { createPortalApp } from '@licensor/issuer-portal';
import { newNonce, signCheck } from '@licensor/token';
import { closedLoad, machine, measureLatency, median, writeResults } from '../../bench/kit.mjs';
import { ISSUES_PER_ROUND, issueRound } from './issue-round.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const pageRequests = Number(process.env.BENCH_PAGE_REQUESTS ?? 40);
const DAY = 86_400_000;

function log(message) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function sqliteBytes(dir) {
  let total = 0;
  for (const suffix of ['', '-wal']) {
    const file = join(dir, `licensor.db${suffix}`);
    if (existsSync(file)) total += statSync(file).size;
  }
  return total;
}

/** The seed report of a store seeded with `seed`, rebuilt from the store itself. */
async function sampleOf(dir, seed) {
  if (!seed)
    throw new Error(`${dir} has no seed-report.json: set BENCH_SEED to the seed it was made with`);
  const store = await openStore({ dataDir: dir });
  try {
    const sample = [];
    for (let index = 0; index < SAMPLE_SIZE; index += 1) {
      const [license] = await store.listLicensesOfInstallation(installationKeyOf(seed, index).kid);
      if (license?.state === 'active')
        sample.push({ licenseId: license.id, index, model: license.model, state: license.state });
    }
    const licenses = Number(process.env.BENCH_LICENSE_COUNT) || null;
    return { seed, licenses, checks: null, sample };
  } finally {
    await store.close();
  }
}

/** A store folder with its seed report: made now, or the one BENCH_LARGE_DIR points at. */
async function prepare(kind) {
  if (kind === 'large' && process.env.BENCH_LARGE_DIR) {
    const dir = resolve(process.env.BENCH_LARGE_DIR);
    const file = join(dir, 'seed-report.json');
    if (existsSync(file))
      return { dir, report: JSON.parse(readFileSync(file, 'utf8')), temporary: false };
    // A seeding stopped early wrote no report: its sample is found again from BENCH_SEED.
    return { dir, report: await sampleOf(dir, process.env.BENCH_SEED), temporary: false };
  }
  const dir = mkdtempSync(join(tmpdir(), `licensor-bench-${kind}-`));
  const store = await openStore({ dataDir: dir, sqliteCacheMiB: 1024 });
  const licenses = kind === 'large' ? Number(process.env.BENCH_LICENSES ?? 20_000) : SAMPLE_SIZE;
  const days = kind === 'large' ? Number(process.env.BENCH_DAYS ?? 1) : 0;
  log(`seeding the ${kind} store: ${licenses} licenses, ${days} days of checks...`);
  const report = await seedStore(store, { licenses, days });
  await store.close();
  return { dir, report, temporary: true };
}

function startService(dir) {
  const child = fork(join(repo, 'packages/verify-service/bench/service-server.mjs'), {
    env: { ...process.env, BENCH_DATA_DIR: dir },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`the verify service exited with ${code}`)));
    child.once('message', ({ url }) => ok({ child, url }));
  });
}

function stopService(child) {
  return new Promise((ok) => {
    child.removeAllListeners('exit');
    child.once('exit', ok);
    child.kill('SIGTERM');
  });
}

/** Distinct signed checks over the sample's active licenses. */
async function checkTokens(dir, report, count) {
  const store = await openStore({ dataDir: dir });
  const licenses = [];
  for (const { licenseId, index } of report.sample.slice(0, 100)) {
    const license = await store.getLicense(licenseId);
    licenses.push({
      licenseId,
      revision: license.revision,
      key: installationKeyOf(report.seed, index),
    });
  }
  await store.close();
  const iat = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => {
    const { licenseId, revision, key } = licenses[i % licenses.length];
    return signCheck(
      {
        v: 1,
        iat,
        nonce: newNonce(),
        lid: licenseId,
        rev: revision,
        sdk: '1.4.2',
        product: { name: 'CMS', version: '5.2.0' },
        usage: { credentialsInUse: 10 + (i % 7) },
      },
      key,
    );
  });
}

async function checksRow(dir, report) {
  const tokens = await checkTokens(dir, report, Math.max(20_000, seconds * 6_000));
  const service = await startService(dir);
  try {
    let t = 0;
    const next = () => ({
      method: 'POST',
      path: '/v1/checks',
      headers: { 'content-type': 'application/jose' },
      body: tokens[t++ % tokens.length],
    });
    await closedLoad(service.url, { connections: 10, seconds: 1, next });
    return await closedLoad(service.url, { connections: 10, seconds, next });
  } finally {
    await stopService(service.child);
  }
}

/** One round of durable issues (issue-round.mjs): its rate, CPU per issue and seconds. */
async function measuredRound(issuer) {
  const rate = await issueRound(issuer);
  return {
    issuesPerSecond: Math.round(rate.perSecond),
    cpuUsPerIssue: Math.round(rate.cpuUs),
    seconds: (ISSUES_PER_ROUND - 1) / rate.perSecond,
  };
}

/**
 * Durable issues on both stores in alternating rounds (empty, large, large, empty, ...), so a
 * moment when the shared machine is busier weighs on both alike; each store's figure is the
 * median of its rounds (BENCH_ISSUE_ROUNDS, default 20), and `issuesPerSecondOverall` all its
 * rounds' issues over all their time: the rounds that held a checkpoint (one every ~160 issues
 * on a million-license store, every ~240 on the empty one) weigh by their length.
 */
async function issueRows(issuers) {
  const rounds = Number(process.env.BENCH_ISSUE_ROUNDS ?? 20);
  const measured = issuers.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? issuers.keys() : [...issuers.keys()].reverse();
    for (const i of order) measured[i].push(await measuredRound(issuers[i]));
  }
  return measured.map((results) => ({
    issuesPerSecond: median(results.map((r) => r.issuesPerSecond)),
    issuesPerSecondOverall: Math.round(
      (results.length * (ISSUES_PER_ROUND - 1)) / results.reduce((sum, r) => sum + r.seconds, 0),
    ),
    cpuUsPerIssue: median(results.map((r) => r.cpuUsPerIssue)),
    rounds: results.map((r) => r.issuesPerSecond),
    cpuUsRounds: results.map((r) => r.cpuUsPerIssue),
  }));
}

async function pageRows(issuer, report) {
  await issuer.users.add('bench', 'admin', 'bench-password-long', 'bench').catch(() => undefined);
  process.env.LOG_LEVEL = 'silent';
  const { app } = createPortalApp({
    issuer,
    webRoot: null,
    loginRateLimit: { windowMs: 60_000, limit: 1_000_000 },
  });
  const server = await new Promise((ok) => {
    const listening = app.listen(0, '127.0.0.1', () => ok(listening));
  });
  const port = server.address().port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const call = (method, path, body, headers = {}) =>
    new Promise((ok, fail) => {
      const payload = body === undefined ? null : JSON.stringify(body);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: `/api/v1${path}`,
          agent,
          headers: payload ? { ...headers, 'content-type': 'application/json' } : headers,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode >= 400) fail(new Error(`${path}: ${res.statusCode} ${text}`));
            else ok({ headers: res.headers, body: text ? JSON.parse(text) : null });
          });
        },
      );
      req.on('error', fail);
      req.end(payload);
    });
  try {
    const login = await call('POST', '/auth/login', {
      name: 'bench',
      password: 'bench-password-long',
    });
    const session = { cookie: String(login.headers['set-cookie']).split(';')[0] };
    const licenseId = report.sample[0].licenseId;
    const customer = (await issuer.getLicense(licenseId)).license.customerName;
    const since = new Date(Date.now() - 90 * DAY).toISOString().slice(0, 10);
    const pages = [
      [
        'licenses: state filter',
        () => call('GET', '/licenses?state=suspended&limit=50', undefined, session),
      ],
      [
        'licenses: customer search',
        () =>
          call('GET', `/licenses?q=${encodeURIComponent(customer)}&limit=50`, undefined, session),
      ],
      [
        'licenses: expiring in 30 days',
        () => call('GET', '/licenses?expiringWithinDays=30&limit=50', undefined, session),
      ],
      [
        'license: detail + 90-day usage',
        async () => {
          await call('GET', `/licenses/${licenseId}`, undefined, session);
          await issuer.dailyUsage(licenseId, { from: since });
        },
      ],
      [
        'audit: one action',
        () => call('GET', '/audit?action=license.suspend&limit=200', undefined, session),
      ],
    ];
    const rows = [];
    for (const [name, op] of pages) {
      const m = await measureLatency(op, { seconds: 10, count: pageRequests, warmup: 3 });
      rows.push({ page: name, p50Ms: m.p50Ms, p95Ms: m.p95Ms, requests: m.ops });
    }
    return rows;
  } finally {
    server.close();
    agent.destroy();
  }
}

/** Checks and pages on one store; the store stays open for the issue rounds. */
async function measureStore(kind) {
  const { dir, report, temporary } = await prepare(kind);
  log(`${kind}: checks over HTTP, 10 connections, ${seconds} s...`);
  const checks = await checksRow(dir, report);
  const store = await openStore({ dataDir: dir });
  const issuer = await openIssuer({ store, passphrase: '' });
  log(`${kind}: portal pages...`);
  const pages = await pageRows(issuer, report);
  const close = async () => {
    await store.close();
    if (temporary) rmSync(dir, { recursive: true, force: true });
  };
  const result = {
    store: kind,
    licenses: report.licenses,
    checkRecords: report.checks,
    bytesOnDisk: sqliteBytes(dir),
    checks,
    issues: null,
    pages,
  };
  return { result, issuer, close };
}

const before = machine();
const measuredEmpty = await measureStore('empty');
const measuredLarge = await measureStore('large');
log('durable issues, rounds alternating between the stores...');
try {
  [measuredEmpty.result.issues, measuredLarge.result.issues] = await issueRows([
    measuredEmpty.issuer,
    measuredLarge.issuer,
  ]);
} finally {
  await measuredEmpty.close();
  await measuredLarge.close();
}
const empty = measuredEmpty.result;
const large = measuredLarge.result;
const ratio = (a, b) => Number((a / b).toFixed(3));
const comparison = {
  checkRpsLargeOverEmpty: ratio(large.checks.rps, empty.checks.rps),
  checkP99LargeOverEmpty: ratio(large.checks.p99Ms, empty.checks.p99Ms),
  issueRateLargeOverEmpty: ratio(large.issues.issuesPerSecond, empty.issues.issuesPerSecond),
  issueRateOverallLargeOverEmpty: ratio(
    large.issues.issuesPerSecondOverall,
    empty.issues.issuesPerSecondOverall,
  ),
  // The steadier figure on a shared machine (the rate also carries the checkpoints' fsyncs).
  issueCpuLargeOverEmpty: ratio(large.issues.cpuUsPerIssue, empty.issues.cpuUsPerIssue),
  worstPageP95MsLarge: Math.max(...large.pages.map((p) => p.p95Ms)),
};
console.table(
  [empty, large].flatMap((r) => [
    { store: r.store, row: 'checks/s (10 conns)', value: r.checks.rps, p99Ms: r.checks.p99Ms },
    { store: r.store, row: 'durable issues/s', value: r.issues.issuesPerSecond, p99Ms: '' },
    ...r.pages.map((p) => ({
      store: r.store,
      row: p.page,
      value: `p50 ${p.p50Ms} ms`,
      p99Ms: `p95 ${p.p95Ms} ms`,
    })),
  ]),
);
writeResults(here, {
  benchmark: 'the same rows on an empty and a large SQLite store, in one run',
  loadAverageBefore: before.loadAverage1m,
  secondsPerCheckRun: seconds,
  targets: {
    checkRpsAndP99: 'large within 10% of empty',
    issueRate: 'large within 10% of empty',
    pageP95Ms: 'under 100 at 1 million licenses',
  },
  comparison,
  results: [empty, large],
});
