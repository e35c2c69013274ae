// Where an issue's time goes (#15.5): `node bench/profile.mjs` (after a build) issues
// PROFILE_ISSUES durable keys on a fresh SQLite store, 64 in flight as the bench does, under the
// V8 sampling profiler (the challenges are made before it starts, after PROFILE_WARM issues to
// warm up), writes the profile (open it in Chrome DevTools) and prints each phase of an issue in
// µs and as a share. A sample goes to the first phase found walking its stack from the leaf
// up. The profiler samples wall time of the main thread: a blocking fsync inside SQLite's
// COMMIT is counted (it stalls the event loop), and on a loaded machine every figure grows, the
// shares much less. CPU per issue (process.cpuUsage) is printed beside it, and the main thread's
// own (the profiler sees only the main thread: on SQLite the group commit runs on the issue
// writer's thread, store/sqlite/issue-writer.ts, and its time is the rest). PROFILE_ISSUE_THREAD=0
// profiles a store that commits on the event loop instead (sqliteIssueThread: false).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mainThreadCpuUs } from '../../../bench/kit.mjs';
import { openIssuer, openStore } from '../dist/index.js';
import { freshChallenges } from '../dist/seed.js';

const ISSUES = Number(process.env.PROFILE_ISSUES ?? 3000);
const WARM = Number(process.env.PROFILE_WARM ?? 1000);
const INTERVAL_US = Number(process.env.PROFILE_INTERVAL_US ?? 250);
const IN_FLIGHT = 64;
const ISSUE_THREAD = process.env.PROFILE_ISSUE_THREAD !== '0';
const terms = { customerName: 'Bench Customer', model: 'perpetual', credentials: 100 };

/** Phases, first match wins; `stack` is leaf first (function names). */
const PHASES = [
  [
    'group commit: COMMIT (the fsync, waited on the event loop)',
    (s) => s[0] === 'run' && s[1] === 'sqliteTransaction' && s[2] === 'flush',
  ],
  ['group commit: audit chain entry', (s) => s.includes('appendAuditSync')],
  ['group commit: webhook outbox row', (s) => s.includes('appendOutboxSync')],
  ['group commit: license, installation, customer rows', (s) => s.includes('applySync')],
  ['group commit: transaction row', (s) => s.includes('commitSync')],
  ['group commit: other', (s) => s.includes('flush')],
  [
    'commit: rows for the writer thread (JSON, audit line parts, outbox event)',
    (s) => s.includes('commitItemOf'),
  ],
  [
    'commit: the message to the writer thread',
    (s) => s.includes('postMessage') || s.includes('#send'),
  ],
  ["commit: the writer thread's answers", (s) => s.includes('#settle')],
  [
    'challenge: node verify + key import (the bare row does this)',
    (s) =>
      s.includes('verifyChallenge') &&
      (s.includes('verifyOneShot') || s.includes('createPublicKey')),
  ],
  ['challenge: parse, schema, key checks', (s) => s.includes('verifyChallenge')],
  ['challenge hash', (s) => s.includes('challengeHash')],
  [
    'inspection reads (transaction, request, installation, its licenses)',
    (s) => s.includes('analyseChallenge'),
  ],
  ['signing keys', (s) => s.includes('licenseSigning')],
  ['records, plan defaults', (s) => s.includes('readRecords') || s.includes('withPlanDefaults')],
  [
    'license signature: node sign (the bare row does this)',
    (s) => s.includes('buildTokenTransaction') && s.includes('signOneShot'),
  ],
  ['license token: claims, encode', (s) => s.includes('buildTokenTransaction')],
  ['installation re-bind', (s) => s.includes('rebindAfterIssue')],
  ['garbage collection', (s) => s[0] === '(garbage collector)'],
  ['idle', (s) => s[0] === '(idle)'],
  ['rest of issue()', (s) => s.includes('issue')],
  ['other', () => true],
];

async function issueAll(issuer, challenges) {
  let next = 0;
  const cpu = process.cpuUsage();
  const main = mainThreadCpuUs();
  const started = performance.now();
  async function caller() {
    while (next < challenges.length) await issuer.issue(challenges[next++], terms, 'bench');
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, caller));
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  return {
    perSecond: Math.round(challenges.length / seconds),
    cpuUs: Math.round((used.user + used.system) / challenges.length),
    mainCpuUs: main === null ? null : Math.round((mainThreadCpuUs() - main) / challenges.length),
  };
}

/** Sampled time per phase, from a V8 CPU profile. */
function phasesOf(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const sums = new Map(PHASES.map(([name]) => [name, 0]));
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const stack = [];
    for (let at = id; at !== undefined; at = parent.get(at)) {
      stack.push(byId.get(at).callFrame.functionName || '(anonymous)');
    }
    const [name] = PHASES.find(([, matches]) => matches(stack));
    sums.set(name, sums.get(name) + delta);
    total += delta;
  });
  return { total, sums };
}

const dataDir = mkdtempSync(join(tmpdir(), 'licensor-issuer-profile-'));
const make = (count) => freshChallenges(count, { product: { name: 'bench', version: '1.0.0' } });
try {
  const store = await openStore({ dataDir, sqliteIssueThread: ISSUE_THREAD });
  const issuer = await openIssuer({ store, passphrase: '' });
  await issuer.init('bench');
  await issueAll(issuer, make(WARM));
  const challenges = make(ISSUES);
  const loadAverage = loadavg()[0].toFixed(2);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: INTERVAL_US });
  await session.post('Profiler.start');
  const run = await issueAll(issuer, challenges);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await store.close();
  const file = join(tmpdir(), `licensor-issue-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const { total, sums } = phasesOf(profile);
  console.log(
    `${ISSUES} issues, ${IN_FLIGHT} in flight, load average ${loadAverage} at the start: ` +
      `${run.perSecond} issues/s under the profiler, CPU ${run.cpuUs} µs per issue ` +
      `(main thread ${run.mainCpuUs}; commits ${ISSUE_THREAD ? 'on the writer thread' : 'on the event loop'}), ` +
      `sampled ${(total / ISSUES).toFixed(0)} µs per issue (${file})`,
  );
  for (const [name, us] of sums) {
    const share = ((100 * us) / total).toFixed(1).padStart(5);
    console.log(`${(us / ISSUES).toFixed(1).padStart(7)} µs ${share}%  ${name}`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
