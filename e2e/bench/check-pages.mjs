// `pnpm --filter @licensor/e2e probe-pages` (#15.3): which B-trees a check's log frames land
// in, on the empty store and on the large one (not part of `pnpm bench`, and not timed: the
// checkpoint is held off while it runs). Each store gets a connection of its own that
// checkpoints the log away (TRUNCATE), writes one commit and holds a read transaction open over
// it, so no checkpoint can copy a later frame or restart the log; both verify services then run the same
// alternating rounds as the bench (check-rounds.mjs; PAGES_ROUNDS, default 2, of PAGES_SECONDS,
// default 3), and every frame the check path wrote stays in licensor.db-wal. A round's frames
// are those between its start and the next round on that store (the recorder's last batch lands
// up to 250 ms after the round). Each page is named from dbstat for the small B-trees (the nonce
// window, chain heads, key set reports) and from its own first cell for the rest (a record whose
// first column is a `chk_` id, a `lic_` id then a time, two integers), without walking the
// large B-trees. Per round it prints the checks, the commits, the frames per check by B-tree,
// the log bytes per check, and the pages a checkpoint every CHECKPOINT_AT_FRAMES frames would
// copy (each distinct page of a window once) per check: what the check path costs the disk.
// PAGES_EXPIRED_NONCES=N first gives each store N nonces of the sample's installations that
// expired an hour ago, as a store carries them an hour after a busy run (the check writer purges
// them, NONCE_PURGE_BATCH or more at a time, as checks arrive).
// Environment as for the bench: BENCH_LARGE_DIR (or a store of BENCH_LICENSES seeded now).

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installationKeyOf } from '@licensor/issuer/seed';
import { newNonce } from '@licensor/token';
import { alternatingCheckRounds } from './check-rounds.mjs';
import { prepareStores } from './stores.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const Database = createRequire(resolve(here, '../../packages/issuer/package.json'))(
  'better-sqlite3',
);
const rounds = Number(process.env.PAGES_ROUNDS ?? 2);
const expiredNonces = Number(process.env.PAGES_EXPIRED_NONCES ?? 0);
const seconds = Number(process.env.PAGES_SECONDS ?? 3);
/** The checkpoint thread's trigger: must equal CHECKPOINT_AT_FRAMES in packages/issuer/src/store/sqlite/checkpointer.ts. */
const CHECKPOINT_AT_FRAMES = 500;
const WAL_HEADER = 32;
const FRAME_HEADER = 24;
/** B-trees small enough to list with dbstat on any store. */
const LISTED = [
  // Since migration 21 the table is its key (iat first, WITHOUT ROWID); before it, the key index
  // (sqlite_autoindex_check_nonces_1) was a B-tree of its own.
  'check_nonces',
  'sqlite_autoindex_check_nonces_1',
  'check_nonces_by_expiry',
  'chain_heads',
  'sqlite_autoindex_chain_heads_1',
  'installation_keysets',
  'installation_keysets_by_keyset',
  'check_failures',
  'sqlite_schema',
];

/** A SQLite varint at `at`: [value, next offset]. */
function varint(page, at) {
  let value = 0;
  for (let i = 0; i < 8; i += 1) {
    const byte = page[at + i];
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  return [value * 256 + page[at + 8], at + 9];
}

/** The columns' serial types and the first column's text (if text) of the record at `at`. */
function recordAt(page, at) {
  const [headerSize, afterSize] = varint(page, at);
  const types = [];
  let cursor = afterSize;
  while (cursor < at + headerSize) {
    const [type, next] = varint(page, cursor);
    types.push(type);
    cursor = next;
  }
  const first = types[0];
  const text =
    first >= 13 && first % 2 === 1
      ? page.subarray(at + headerSize, at + headerSize + Math.min(8, (first - 13) / 2)).toString()
      : null;
  return { types, text };
}

const isInt = (type) => type >= 1 && type <= 6;

/** A page's B-tree, from its first cell, for pages dbstat did not name. */
function btreeOfContent(page, pageNumber) {
  const base = pageNumber === 1 ? 100 : 0;
  const kind = page[base];
  if (![2, 5, 10, 13].includes(kind)) return 'not a B-tree page (free list, overflow)';
  if (kind === 5) return 'table interior (the checks table, most likely)';
  const cells = page.readUInt16BE(base + 3);
  if (cells === 0) return 'empty B-tree page';
  const pointers = base + (kind === 2 ? 12 : 8);
  let at = page.readUInt16BE(pointers);
  if (kind === 2) at += 4;
  [, at] = varint(page, at);
  if (kind === 13) [, at] = varint(page, at);
  const { types, text } = recordAt(page, at);
  const interior = kind === 2 ? ' (interior)' : '';
  if (kind === 13) return text?.startsWith('chk_') ? 'checks (rows)' : `other table (${text})`;
  if (text?.startsWith('chk_') && types.length === 2) return `checks id index${interior}`;
  if (text?.startsWith('lic_') && types.length === 3 && isInt(types[1]))
    return `checks_by_license${interior}`;
  if (types.length === 2 && isInt(types[0]) && isInt(types[1])) return `checks_by_time${interior}`;
  return `other index (${text})${interior}`;
}

/** Every frame of the log: [{ page, commit, offset }] (the log holds only this run's frames). */
function framesOf(walFile, pageSize) {
  const fd = openSync(walFile, 'r');
  try {
    const size = statSync(walFile).size;
    const head = Buffer.alloc(WAL_HEADER);
    readSync(fd, head, 0, WAL_HEADER, 0);
    const salts = head.subarray(16, 24).toString('hex');
    const frames = [];
    for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= size; at += FRAME_HEADER + pageSize) {
      readSync(fd, head, 0, FRAME_HEADER, at);
      // A frame of another generation of the log: the log was restarted (the hold failed).
      if (head.subarray(8, 16).toString('hex') !== salts) {
        throw new Error(`${walFile}: frame at ${at} is not of this log (the log was restarted)`);
      }
      frames.push({ page: head.readUInt32BE(0), commit: head.readUInt32BE(4) !== 0, offset: at });
    }
    return frames;
  } finally {
    closeSync(fd);
  }
}

/** The frames' B-trees: names from dbstat where listed, else from each frame's page. */
function nameFrames(db, walFile, frames, pageSize) {
  const listed = new Map();
  for (const name of LISTED) {
    for (const { pageno } of db.prepare('SELECT pageno FROM dbstat WHERE name = ?').all(name))
      listed.set(pageno, name);
  }
  const fd = openSync(walFile, 'r');
  try {
    const page = Buffer.alloc(pageSize);
    for (const frame of frames) {
      frame.btree = listed.get(frame.page);
      if (frame.btree !== undefined) continue;
      readSync(fd, page, 0, pageSize, frame.offset + FRAME_HEADER);
      frame.btree = btreeOfContent(page, frame.page);
    }
  } finally {
    closeSync(fd);
  }
}

const per = (count, checks) => Math.round((count / checks) * 1000) / 1000;

/** One round's frames, per check. */
function summary(frames, checks, pageSize) {
  const byBtree = {};
  for (const { btree } of frames) byBtree[btree] = (byBtree[btree] ?? 0) + 1;
  let checkpointPages = 0;
  for (let at = 0; at < frames.length; at += CHECKPOINT_AT_FRAMES) {
    checkpointPages += new Set(frames.slice(at, at + CHECKPOINT_AT_FRAMES).map((f) => f.page)).size;
  }
  const logBytes = frames.length * (FRAME_HEADER + pageSize);
  const commits = frames.filter((f) => f.commit).length;
  const sizes = [];
  let open = 0;
  for (const frame of frames) {
    open += 1;
    if (frame.commit) {
      sizes.push(open);
      open = 0;
    }
  }
  sizes.sort((a, b) => a - b);
  return {
    checks,
    commits,
    // Frames depend on how many checks share a commit (each commit writes its pages once).
    checksPerCommit: per(checks, commits),
    framesPerCommit: per(frames.length, commits),
    // A commit of many frames (a purge of expired nonces: each on a page of its own) holds up
    // the checks of its group, and of the groups behind it.
    framesPerCommitP99: sizes[Math.ceil(0.99 * sizes.length) - 1] ?? 0,
    framesPerCommitMax: sizes.at(-1) ?? 0,
    framesPerCheck: per(frames.length, checks),
    logBytesPerCheck: Math.round(logBytes / checks),
    checkpointBytesPerCheck: Math.round((checkpointPages * pageSize) / checks),
    bytesPerCheck: Math.round((logBytes + checkpointPages * pageSize) / checks),
    framesPerCheckByBtree: Object.fromEntries(
      Object.entries(byBtree)
        .sort((a, b) => b[1] - a[1])
        .map(([name, count]) => [name, per(count, checks)]),
    ),
  };
}

/** `count` nonces of the sample's first 100 installations, expired an hour ago. */
function addExpiredNonces(db, report, count) {
  const installations = report.sample
    .slice(0, 100)
    .map(({ index }) => installationKeyOf(report.seed, index).kid);
  const insert = db.prepare(
    'INSERT INTO check_nonces (iat, installation_id, nonce, expires_at) VALUES (?, ?, ?, ?)',
  );
  const expired = Date.now() - 3_600_000;
  db.transaction(() => {
    for (let i = 0; i < count; i += 1) {
      // Keyed as their checks were: admitted (and signed) 600 s, the hold, before they expired.
      const iat = Math.floor((expired + i) / 1000) - 600;
      insert.run(iat, installations[i % installations.length], newNonce(), expired + i);
    }
  })();
}

/**
 * The hold on one store's log. Opened once the probe's own store reads are closed: closing a
 * store closes its descriptor on -shm, which drops every POSIX lock this process holds there,
 * this read transaction's too (checkpointer.ts, ShmHold).
 */
function holdLog({ dir, report }) {
  const file = join(dir, 'licensor.db');
  const db = new Database(file);
  if (expiredNonces > 0) addExpiredNonces(db, report, expiredNonces);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  // A read transaction over a log of one commit (a row written as it was): a checkpoint may copy
  // that commit and no later frame while it is open, so the log is never restarted. (One begun
  // on an empty log reads the file alone, and did not stop the log being restarted under it.)
  db.prepare(
    'UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT max(version) FROM schema_migrations)',
  ).run();
  db.exec('BEGIN');
  db.prepare('SELECT count(*) FROM sqlite_schema').get();
  return { db, wal: `${file}-wal`, pageSize, starts: [], rounds: [] };
}

const kinds = ['empty', 'large'];
const prepared = await prepareStores();
const holds = [];
const frameCount = ({ wal, pageSize }) => {
  const size = statSync(wal, { throwIfNoEntry: false })?.size ?? 0;
  return Math.max(0, Math.floor((size - WAL_HEADER) / (FRAME_HEADER + pageSize)));
};
try {
  await alternatingCheckRounds(prepared, {
    rounds,
    seconds,
    started: (_service, i) => {
      holds[i] = holdLog(prepared[i]);
    },
    beforeRound: (i) => void holds[i].starts.push(frameCount(holds[i])),
    measured: (result, i, round) => {
      holds[i].rounds.push({ round, at: new Date().toISOString(), load1m: loadavg()[0], result });
    },
  });
  for (const [i, hold] of holds.entries()) {
    const frames = framesOf(hold.wal, hold.pageSize);
    // Named as the file is after the run (pages the run added to the small B-trees included),
    // on a second connection: the hold's read transaction stays open until the frames are read.
    const now = new Database(join(prepared[i].dir, 'licensor.db'), { readonly: true });
    try {
      nameFrames(now, hold.wal, frames, hold.pageSize);
    } finally {
      now.close();
    }
    for (const [r, { round, at, load1m, result }] of hold.rounds.entries()) {
      const end = hold.starts[r + 1] ?? frames.length;
      const of = frames.slice(hold.starts[r], end);
      const line = {
        round,
        store: kinds[i],
        at,
        load1m,
        rps: result.rps,
        p99Ms: result.p99Ms,
        non2xx: result.non2xx,
        errors: result.errors,
        frames: [hold.starts[r], end, frames.length],
      };
      console.log(JSON.stringify({ ...line, ...summary(of, result.requests, hold.pageSize) }));
    }
  }
} finally {
  for (const { db } of holds.filter(Boolean)) {
    if (db.inTransaction) db.exec('COMMIT');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
  for (const { remove } of prepared) remove();
}
