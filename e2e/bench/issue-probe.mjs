// `pnpm --filter @licensor/e2e probe-issues` (#15.3): where a durable issue's extra time on a
// large SQLite store goes, beside an empty one, in one process (bounded: a few rounds of 300
// issues each, as the large-store bench issues them). For each store it reports
//   - CPU per issue (process.cpuUsage over a round, the median of the rounds),
//   - the wall time per issue of each SQL statement the issue path runs (better-sqlite3's
//     Statement run/get/all timed by their SQL; COMMIT holds the log write, its fsync and any
//     automatic checkpoint, whose CPU is measured apart),
//   - in one more round with the automatic checkpoint off: the log frames written per issue, by
//     the b-tree (table or index) each page belongs to (dbstat), and what checkpointing them
//     costs (wall and CPU per issue).
// Environment: BENCH_LARGE_DIR, the large store (as for `pnpm bench`); PROBE_ROUNDS (default 3)
// rounds a store; PROBE_ISSUES (default 300) issues a round;
//   - PROBE_ISSUE_THREAD=off commits on the event loop's connection, as before the issue writer
//     thread (#15.5): the statement times then include the commit's, and the log-frame round
//     runs (skipped otherwise: the thread's connection checkpoints on its own);
//   - PROBE_CHECKPOINT=apart (with PROBE_ISSUE_THREAD=off) runs the timed rounds with the
//     automatic checkpoint off and checkpoints after each round, timed on its own: what an issue
//     costs without it, and what the checkpoint of PROBE_ISSUES issues' pages costs;
//   - PROBE_OTHER_WRITER_MS=N: a second connection writes (the header's user_version, put back
//     after) every N ms of the timed rounds, as a writer thread or the verify service's check
//     writer does: each such write makes SQLite drop the issuing connection's page cache;
//   - PROBE_MMAP_MIB=M sets mmap_size on the issuing connection.
// Prints JSON; writes nothing but the issues themselves (a bench artifact's store).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openIssuer } from '@licensor/issuer';
import { SAMPLE_SIZE, seedStore } from '@licensor/issuer/seed';
import { openStore } from '@licensor/issuer/store';
import { machine, median } from '../../bench/kit.mjs';
import { ISSUES_PER_ROUND, issueRound } from './issue-round.mjs';

const largeDir = process.env.BENCH_LARGE_DIR;
if (!largeDir)
  throw new Error('set BENCH_LARGE_DIR to the large store (pnpm seed-data --data DIR)');
const rounds = Number(process.env.PROBE_ROUNDS ?? 3);
const checkpointApart = process.env.PROBE_CHECKPOINT === 'apart';
const otherWriterMs = Number(process.env.PROBE_OTHER_WRITER_MS ?? 0);
const mmapMiB = Number(process.env.PROBE_MMAP_MIB ?? 0);
const issueThread = process.env.PROBE_ISSUE_THREAD !== 'off';
const PER_ROUND = Number(process.env.PROBE_ISSUES ?? ISSUES_PER_ROUND);

function log(message) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

// Every statement's wall time, by its SQL, into whichever tally is current.
const require = createRequire(import.meta.resolve('@licensor/issuer'));
const Database = require('better-sqlite3');
const Statement = new Database(':memory:').prepare('SELECT 1').constructor;
let tally = null;
for (const method of ['run', 'get', 'all']) {
  const original = Statement.prototype[method];
  Statement.prototype[method] = function timed(...args) {
    if (tally === null) return original.apply(this, args);
    const sql = this.source.replace(/\s+/g, ' ').trim();
    const cpu = sql === 'COMMIT' ? process.cpuUsage() : null;
    const started = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const entry = tally.get(sql) ?? { calls: 0, ms: 0, cpuUs: 0 };
      entry.calls += 1;
      entry.ms += performance.now() - started;
      if (cpu !== null) {
        const used = process.cpuUsage(cpu);
        entry.cpuUs += used.user + used.system;
      }
      tally.set(sql, entry);
    }
  };
}

async function probeRound(issuer) {
  const rate = await issueRound(issuer, PER_ROUND);
  return { cpuUsPerIssue: rate.cpuUs, issuesPerSecond: rate.perSecond };
}

/** The page numbers of the log's frames, in order, and how many commits they hold. */
function walFrames(file, pageSize) {
  const wal = readFileSync(file);
  const pages = [];
  let commits = 0;
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    pages.push(wal.readUInt32BE(offset));
    if (wal.readUInt32BE(offset + 4) !== 0) commits += 1;
  }
  return { pages, commits };
}

/** Which b-tree each page belongs to, for the pages given (dbstat, one b-tree at a time). */
function ownersOf(db, wanted) {
  const owners = new Map();
  const names = db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type IN ('table', 'index') AND rootpage > 0
       AND tbl_name NOT IN ('checks', 'check_days')`,
    )
    .all()
    .map((r) => r.name);
  const pagesOf = db.prepare('SELECT pageno FROM dbstat WHERE name = ?').pluck();
  for (const name of names) {
    for (const page of pagesOf.iterate(name)) if (wanted.has(page)) owners.set(page, name);
  }
  return owners;
}

/** One round with the automatic checkpoint off: frames per issue by b-tree, then a checkpoint. */
async function walRound(store, issuer, dir) {
  const db = store.db;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true });
  db.pragma('wal_autocheckpoint = 0');
  try {
    const round = await probeRound(issuer);
    const pageSize = db.pragma('page_size', { simple: true });
    const { pages, commits } = walFrames(join(dir, 'licensor.db-wal'), pageSize);
    const distinct = new Set(pages);
    const owners = ownersOf(db, distinct);
    const byTree = {};
    for (const page of pages) {
      const name = owners.get(page) ?? '(checks, freelist or other)';
      byTree[name] = (byTree[name] ?? 0) + 1;
    }
    const perIssue = Object.fromEntries(
      Object.entries(byTree)
        .sort((a, b) => b[1] - a[1])
        .map(([name, frames]) => [name, Number((frames / PER_ROUND).toFixed(2))]),
    );
    const cpu = process.cpuUsage();
    const started = performance.now();
    const [checkpoint] = db.pragma('wal_checkpoint(PASSIVE)');
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return {
      cpuUsPerIssue: Math.round(round.cpuUsPerIssue),
      commits,
      framesPerIssue: Number((pages.length / PER_ROUND).toFixed(2)),
      distinctPagesPerIssue: Number((distinct.size / PER_ROUND).toFixed(2)),
      framesPerIssueByBtree: perIssue,
      checkpoint: {
        pages: checkpoint.checkpointed,
        wallUsPerIssue: Math.round((wallMs * 1000) / PER_ROUND),
        cpuUsPerIssue: Math.round((used.user + used.system) / PER_ROUND),
      },
    };
  } finally {
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  }
}

async function openOne(kind) {
  let dir = resolve(largeDir);
  let temporary = false;
  if (kind === 'empty') {
    dir = mkdtempSync(join(tmpdir(), 'licensor-probe-empty-'));
    temporary = true;
    const seeding = await openStore({ dataDir: dir });
    await seedStore(seeding, { licenses: SAMPLE_SIZE, days: 0 });
    await seeding.close();
  }
  const opened = performance.now();
  const store = await openStore({
    dataDir: dir,
    ...(issueThread ? {} : { sqliteIssueThread: false }),
  });
  const openMs = Math.round(performance.now() - opened);
  if (mmapMiB > 0) store.db.pragma(`mmap_size = ${mmapMiB * 1024 * 1024}`);
  const issuer = await openIssuer({ store, passphrase: '' });
  await probeRound(issuer); // warm-up: statements prepared, keys read, the JIT settled
  return { kind, dir, store, issuer, openMs, temporary, rounds: [], statements: new Map() };
}

const before = machine();
log('opening the empty and the large store (one warm-up round each)...');
const stores = [await openOne('empty'), await openOne('large')];
try {
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? stores : [...stores].reverse();
    for (const s of order) {
      const db = s.store.db;
      if (checkpointApart) db.pragma('wal_autocheckpoint = 0');
      const other = otherWriterMs > 0 ? new Database(join(s.dir, 'licensor.db')) : null;
      let tick = 0;
      const timer =
        other === null
          ? null
          : setInterval(() => other.pragma(`user_version = ${++tick}`), otherWriterMs);
      tally = s.statements;
      const measured = await probeRound(s.issuer);
      tally = null;
      if (other !== null) {
        clearInterval(timer);
        other.pragma('user_version = 0');
        other.close();
        measured.otherWrites = tick;
      }
      if (checkpointApart) {
        const cpu = process.cpuUsage();
        const started = performance.now();
        db.pragma('wal_checkpoint(PASSIVE)');
        const used = process.cpuUsage(cpu);
        measured.checkpointWallUs = ((performance.now() - started) * 1000) / PER_ROUND;
        measured.checkpointCpuUs = (used.user + used.system) / PER_ROUND;
        db.pragma('wal_autocheckpoint = 1000');
      }
      s.rounds.push(measured);
    }
    log(`round ${round + 1} of ${rounds}`);
  }
  log('one round each with the automatic checkpoint off (log frames by b-tree)...');
  if (!issueThread) for (const s of stores) s.wal = await walRound(s.store, s.issuer, s.dir);
} finally {
  for (const s of stores) {
    await s.store.close();
    if (s.temporary) rmSync(s.dir, { recursive: true, force: true });
  }
}

const issued = rounds * PER_ROUND;
const report = {
  probe: 'durable issues, empty against large store (e2e/bench/issue-probe.mjs)',
  machine: { ...before, loadAverageAfter: machine().loadAverage1m },
  issueThread,
  roundsPerStore: rounds,
  otherWriterMs,
  mmapMiB,
  issuesPerRound: PER_ROUND,
  stores: stores.map((s) => ({
    store: s.kind,
    openMs: s.openMs,
    cpuUsPerIssue: Math.round(median(s.rounds.map((r) => r.cpuUsPerIssue))),
    issuesPerSecond: Math.round(median(s.rounds.map((r) => r.issuesPerSecond))),
    cpuUsPerIssueRounds: s.rounds.map((r) => Math.round(r.cpuUsPerIssue)),
    otherWritesPerRound: s.rounds.map((r) => r.otherWrites ?? 0),
    ...(checkpointApart
      ? {
          checkpointApart: {
            wallUsPerIssue: Math.round(median(s.rounds.map((r) => r.checkpointWallUs))),
            cpuUsPerIssue: Math.round(median(s.rounds.map((r) => r.checkpointCpuUs))),
          },
        }
      : {}),
    statementsUsPerIssue: Object.fromEntries(
      [...s.statements.entries()]
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([sql, e]) => [
          sql.slice(0, 110),
          {
            us: Number(((e.ms * 1000) / issued).toFixed(1)),
            callsPerIssue: Number((e.calls / issued).toFixed(2)),
            ...(e.cpuUs > 0 ? { cpuUs: Number((e.cpuUs / issued).toFixed(1)) } : {}),
          },
        ]),
    ),
    wal: s.wal ?? null,
  })),
};
console.log(JSON.stringify(report, null, 2));
