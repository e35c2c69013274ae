// `pnpm bench`: what the portal's HTTP layer costs on top of the Issuer it drives. Each figure
// is an API call over keep-alive HTTP on 127.0.0.1 (session lookup, CSRF check, zod validation
// of the input, parsing the answer through its schema, JSON) next to its baseline, the same
// Issuer operation called directly on the same store.
// Prints a table and JSON, writes bench/results.json. Env BENCH_SECONDS (default 1 per figure).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIssuer } from '@licensor/issuer';
import { freshChallenge } from '@licensor/issuer/seed';
import { openStore } from '@licensor/issuer/store';
import { pino } from 'pino';
import { measureLatency } from '../../../bench/kit.mjs';
import { createPortalApp } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 1);
const dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-bench-'));

const WARMUP = 10;
const measure = (op, count) => measureLatency(op, { seconds, warmup: WARMUP, count });

const challenge = () =>
  freshChallenge({
    product: { name: 'CMS', version: '6.1.0' },
    credentialsInUse: 3,
    credentials: 100,
  });

const store = await openStore({ dataDir });
const issuer = await openIssuer({ store });
await issuer.init('bench');
await issuer.users.add('bench', 'issuer', 'bench-password-long', 'bench');
const terms = { customerName: 'Bench Customer', model: 'perpetual', credentials: 100 };
for (let i = 0; i < 100; i += 1) await issuer.issue(challenge(), terms, 'bench');
const someLicense = (await issuer.listLicenses({ limit: 1 }))[0].id;

const { app } = createPortalApp({
  issuer,
  logger: pino({ level: 'silent' }),
  webRoot: null,
  loginRateLimit: { windowMs: 60_000, limit: 1_000_000 },
});
const server = await new Promise((resolve) => {
  const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
});
const port = server.address().port;
// Preparing challenges below idles the connection for seconds; keep it open meanwhile.
server.keepAliveTimeout = 120_000;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? null : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: `/api/v1${path}`,
        agent,
        headers: {
          ...headers,
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode >= 400)
            reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve({ headers: res.headers, body: text ? JSON.parse(text) : null });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const login = await call('POST', '/auth/login', { name: 'bench', password: 'bench-password-long' });
const session = {
  cookie: String(login.headers['set-cookie']).split(';')[0],
  'x-csrf-token': login.body.csrfToken,
};

const prepared = [];
const challengeAt = (i) => {
  prepared[i] ??= challenge();
  return prepared[i];
};
// Challenges are signed before timing starts, so both sides time only the portal or issuer work:
// 3 000 for the inspections, and for the issues a pool per side as large as the most issues a
// run may time (one each; the timing stops at that count, so it never signs one inside it).
for (let i = 0; i < 3000; i += 1) challengeAt(i);
const ISSUES = Math.ceil(seconds * 1000);
const issuePool = () => Array.from({ length: WARMUP + ISSUES }, () => challenge());
const portalIssues = issuePool();
const directIssues = issuePool();

const figures = [];
async function figure(name, portalOp, baseline, baselineOp, count = Number.POSITIVE_INFINITY) {
  const portal = await measure(portalOp, count);
  const direct = await measure(baselineOp, count);
  figures.push({
    name,
    portalOpsPerSecond: portal.opsPerSecond,
    portalMedianUs: portal.medianUs,
    baseline,
    baselineOpsPerSecond: direct.opsPerSecond,
    baselineMedianUs: direct.medianUs,
    baselineRatio: Number((portal.medianUs / direct.medianUs).toFixed(2)),
  });
}

// The floor: one HTTP round trip through the whole middleware stack with almost no work.
await figure(
  'GET /health (HTTP floor)',
  () => call('GET', '/health'),
  'store.ping',
  () => store.ping(),
);
await figure(
  'GET /licenses (100 licenses)',
  () => call('GET', '/licenses?limit=100', undefined, session),
  'issuer.listLicenses({limit: 100})',
  () => issuer.listLicenses({ limit: 100 }),
);
await figure(
  'GET /licenses/:id',
  () => call('GET', `/licenses/${someLicense}`, undefined, session),
  'issuer.getLicense + listChecks',
  async () => {
    await issuer.getLicense(someLicense);
    await issuer.listChecks(someLicense, 50);
  },
);
await figure(
  'POST /challenges/inspect',
  // Each side reads challenges the other never saw, so neither profits from the other's work.
  (i) => call('POST', '/challenges/inspect', { challenge: challengeAt(i % 1500) }, session),
  'issuer.inspect',
  (i) => issuer.inspect(challengeAt(1500 + (i % 1500)), 'bench'),
);
await figure(
  'POST /challenges/issue (new challenge each)',
  (i) => call('POST', '/challenges/issue', { challenge: portalIssues[i], terms }, session),
  'issuer.issue',
  (i) => issuer.issue(directIssues[i], terms, 'bench'),
  ISSUES,
);
await figure(
  'POST /auth/login (scrypt)',
  () => call('POST', '/auth/login', { name: 'bench', password: 'bench-password-long' }),
  'issuer.users.authenticate',
  () => issuer.users.authenticate('bench', 'bench-password-long'),
);

server.close();
agent.destroy();
await store.close();
rmSync(dataDir, { recursive: true, force: true });

const result = {
  benchmark: '@licensor/issuer-portal API over HTTP against the Issuer operation it wraps',
  generatedAt: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  // Figures from a busy machine are slower; this says how busy it was.
  loadAverage1m: Number(loadavg()[0].toFixed(2)),
  secondsPerFigure: seconds,
  figures,
};
console.table(
  figures.map((f) => ({
    figure: f.name,
    'portal µs': f.portalMedianUs,
    'portal ops/s': f.portalOpsPerSecond,
    baseline: f.baseline,
    'baseline µs': f.baselineMedianUs,
    ratio: f.baselineRatio,
  })),
);
console.log(JSON.stringify(result, null, 2));
writeFileSync(join(here, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
