// The issue writer thread writes what the event loop's committer writes (#15 review SHOULD-FIX):
// the same transactions, committed once with the thread off and once with it, in the same order
// and grouping, leave the same rows in every table, byte for byte, the audit hash chain included,
// and answer each commit alike. And the chain stays whole when the event loop appends its own
// audit events while the thread's groups are in flight.

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChallengeClaims, newId } from '@licensor/token';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, frozenClock, T0, TestInstallation } from '../../../test/support/fixtures.js';
import { openIssuer } from '../../domain/open-issuer.js';
import type { ApprovalRequest, AuditEvent, License, Transaction } from '../../records.js';
import { SQLITE_FILE } from '../open-store.js';
import type { CommitOutcome } from '../ports.js';
import { auditEventOf } from '../transaction-effects.js';
import { commitRowsOf } from './sqlite-commit.js';
import { SqliteStore } from './sqlite-store.js';

const perpetual = { customerName: 'Parity Ltd', model: 'perpetual', credentials: 9 } as const;
const subscription = {
  customerName: 'Parity Ltd',
  model: 'subscription',
  credentials: 20,
  termDays: 30,
  graceDays: 7,
} as const;

let root: string;
let opened: SqliteStore[];
let gate: Int32Array | null;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'licensor-writer-parity-'));
  opened = [];
  gate = null;
});
afterEach(async () => {
  // A close waits for the syncs in flight: a test that failed with its gate closed still ends.
  if (gate !== null) Atomics.store(gate, 0, 1);
  for (const store of opened) await store.close();
  rmSync(root, { recursive: true, force: true });
});

function open(dir: string, options: Parameters<typeof SqliteStore.open>[1] = {}): SqliteStore {
  const store = SqliteStore.open(dir, options);
  opened.push(store);
  return store;
}

/** A write the domain made, in order; `burst` marks writes made together (one group). */
type Write =
  | { op: 'commit'; transaction: Transaction; burst: string | null }
  | { op: 'request'; request: ApprovalRequest; burst: string | null }
  | { op: 'audit'; event: AuditEvent; burst: string | null };

/** Records every write of the domain's to `store` (as it was asked), then makes it. */
function recording(store: SqliteStore): { writes: Write[]; burst: (name: string | null) => void } {
  const writes: Write[] = [];
  let burst: string | null = null;
  const commit = store.commitTransaction.bind(store);
  const put = store.putRequest.bind(store);
  const append = store.appendAuditEvent.bind(store);
  store.commitTransaction = (transaction) => {
    writes.push({ op: 'commit', transaction: structuredClone(transaction), burst });
    return commit(transaction);
  };
  store.putRequest = (request) => {
    writes.push({ op: 'request', request: structuredClone(request), burst });
    return put(request);
  };
  store.appendAuditEvent = (event) => {
    writes.push({ op: 'audit', event: structuredClone(event), burst });
    return append(event);
  };
  return {
    writes,
    burst: (name) => {
      burst = name;
    },
  };
}

function write(store: SqliteStore, w: Write): Promise<unknown> {
  if (w.op === 'commit') return store.commitTransaction(structuredClone(w.transaction));
  if (w.op === 'request') return store.putRequest(structuredClone(w.request));
  return store.appendAuditEvent(structuredClone(w.event));
}

/** Makes the writes in order, those of one burst together (one group); their answers. */
async function replay(store: SqliteStore, writes: readonly Write[]): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (let i = 0; i < writes.length; ) {
    const burst = writes[i]!.burst;
    let end = i + 1;
    while (burst !== null && end < writes.length && writes[end]!.burst === burst) end += 1;
    answers.push(...(await Promise.all(writes.slice(i, end).map((w) => write(store, w)))));
    i = end;
  }
  return answers;
}

/** Every table's rows as another connection reads them, in rowid order. */
function dump(dir: string): Record<string, unknown[]> {
  const db = new Database(join(dir, SQLITE_FILE), { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all() as { name: string }[];
    const rows: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      try {
        rows[name] = db.prepare(`SELECT rowid AS rowid_, * FROM ${quoted} ORDER BY rowid`).all();
      } catch {
        // WITHOUT ROWID: in the order of its primary key.
        rows[name] = db.prepare(`SELECT * FROM ${quoted} ORDER BY 1, 2`).all();
      }
    }
    return rows;
  } finally {
    db.close();
  }
}

describe('the issue writer thread against the event loop commit', () => {
  it('writes the same rows, audit hash chain included, for the same issues, duplicate challenges, renewal, state changes, approvals (model switch, rehost), a rejected request, rename, revocation, reissue and re-signing', async () => {
    // One store with its keys and the audit chain's anchor, copied three times.
    const base = join(root, 'base');
    const clock = frozenClock(T0);
    {
      const store = open(base, { issueThread: false });
      const issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
      await issuer.init('alice');
      await store.close();
    }
    const dirs = { source: join(root, 'source'), off: join(root, 'off'), on: join(root, 'on') };
    for (const dir of Object.values(dirs)) cpSync(base, dir, { recursive: true });

    // The domain's writes, recorded on a store with the thread off.
    const source = open(dirs.source, { issueThread: false });
    const { writes, burst } = recording(source);
    const issuer = await openIssuer({ store: source, now: clock.now, passphrase: '' });
    const a = new TestInstallation();
    const b = new TestInstallation();
    const c = new TestInstallation();
    const first = await issuer.issue(a.challenge(), perpetual, 'alice');
    clock.advance(1_000);
    const sub = await issuer.issue(b.challenge(), subscription, 'bob');
    clock.advance(1_000);
    // The same challenge twice at once: two transactions for one challenge, in one group.
    const twice = c.challenge();
    burst('duplicate');
    const [one, other] = await Promise.all([
      issuer.issue(twice, perpetual, 'alice'),
      issuer.issue(twice, perpetual, 'alice'),
    ]);
    burst(null);
    expect(other.token).toBe(one.token);
    clock.advance(DAY_MS);
    await issuer.renew(sub.license.id, { termDays: 365 }, 'bob');
    clock.advance(1_000);
    await issuer.suspend(first.license.id, 'carol', 'unpaid');
    clock.advance(1_000);
    await issuer.resume(first.license.id, 'carol', 'paid');
    clock.advance(1_000);
    // The approval request (stored by the event loop) of a challenge asking for a license.
    const requestOf = async (
      installation: TestInstallation,
      license: License,
      request?: ChallengeClaims['request'],
    ) => {
      const { id, revision, customerName, model } = license;
      const challenge = installation.challenge({
        at: clock.now(),
        license: { id, revision, customerName, model },
        ...(request === undefined ? {} : { request }),
      });
      const asked = (await issuer.inspect(challenge, 'alice')).approvalRequest!;
      clock.advance(1_000);
      return asked;
    };
    const modelSwitch = { kind: 'model-switch', model: 'subscription' } as const;
    // A model switch: a request approved by a transaction that decides it.
    const request = await requestOf(a, first.license, modelSwitch);
    await issuer.approveRequest(request.id, 'bob', { termDays: 90 });
    clock.advance(1_000);
    await issuer.renameCustomer(first.license.customerId, 'Parity Group', 'carol');
    clock.advance(1_000);
    await issuer.revoke(sub.license.id, 'carol', 'refund');
    clock.advance(1_000);
    await issuer.reissue(first.license.id, {}, 'alice');
    clock.advance(1_000);
    // A rehost: another installation's challenge for the first license, approved.
    const rehosted = (await issuer.getLicense(first.license.id))!.license;
    const rehost = await requestOf(new TestInstallation(), rehosted);
    await issuer.approveRequest(rehost.id, 'bob');
    clock.advance(1_000);
    // A model switch of the duplicated challenge's license, rejected.
    const refused = await requestOf(c, one.license, modelSwitch);
    await issuer.rejectRequest(refused.id, 'carol', 'not this year');
    clock.advance(1_000);
    // A new license key activated: the licenses in force re-signed with it.
    const rotated = await issuer.keys.rotate('license', 'alice');
    clock.advance(1_000);
    await issuer.keys.activate(rotated.kid, 'alice');
    const commits = writes.flatMap((w) => (w.op === 'commit' ? [w.transaction] : []));
    expect(new Set(commits.map((t) => t.kind))).toEqual(
      new Set([
        'issue',
        'renew',
        'suspend',
        'resume',
        'model-switch',
        'rename-customer',
        'revoke',
        'reissue',
        'rehost',
        'reject-request',
        'resign',
      ]),
    );
    // The rows of each commit (commitRowsOf: the thread's and the event loop's) hold each record
    // as JSON.stringify writes it, and the transaction's body as JSON.stringify of it without
    // `applied`, whatever the order of its members (the records' JSON is encoded once and put in
    // place only when they are its last members).
    const plain = (t: Transaction) => {
      const { applied: _applied, ...body } = t;
      const json = (record: object | null) => (record === null ? null : JSON.stringify(record));
      return {
        body: JSON.stringify(body),
        license: json(t.licenseAfter),
        customer: json(t.customerAfter),
        installation: json(t.installationAfter),
      };
    };
    const stored = (t: Transaction) => {
      const rows = commitRowsOf(t);
      return {
        body: rows.transaction[8],
        license: rows.license?.[9] ?? null,
        customer: rows.customer?.[3] ?? null,
        installation: rows.installation?.[2] ?? null,
      };
    };
    // The transaction with one member moved to the front.
    const frontOf = (t: Transaction, key: keyof Transaction) =>
      Object.fromEntries([[key, t[key]], ...Object.entries(t)]) as Transaction;
    for (const t of commits) {
      for (const shape of [
        t,
        frontOf(t, 'applied'),
        frontOf(t, 'licenseAfter'),
        { ...t, customerAfter: t.customerAfter, licenseAfter: t.licenseAfter },
        { ...t, note: 'a member after the records' },
        { ...t, customerAfter: null, installationAfter: null },
      ] as Transaction[]) {
        expect(stored(shape)).toEqual(plain(shape));
      }
    }
    const duplicates = commits.filter((t) => t.challengeHash === one.transaction.challengeHash);
    expect(duplicates).toHaveLength(2);
    expect(duplicates[0]!.id).not.toBe(duplicates[1]!.id);
    expect(writes.some((w) => w.op === 'request')).toBe(true);
    // Then: the duplicate once more, in a group of its own (a challenge taken by an earlier
    // group), and the renewal again under another id (its license position is taken: conflict).
    const renewal = commits.find((t) => t.kind === 'renew')!;
    const more: Write[] = [
      { op: 'commit', transaction: duplicates[1]!, burst: null },
      { op: 'commit', transaction: { ...renewal, id: newId('txn') }, burst: null },
    ];

    const off = open(dirs.off, { issueThread: false });
    const on = open(dirs.on, { issueThread: true });
    const answersOff = await replay(off, [...writes, ...more]);
    const answersOn = await replay(on, [...writes, ...more]);
    // On the thread, each commit in a group of its own but the pair, which is one group.
    const replayed = [...writes, ...more].filter((w) => w.op === 'commit').length;
    expect((on as unknown as { issues: { commits: number; groups: number } }).issues).toMatchObject(
      { commits: replayed, groups: replayed - 1 },
    );
    expect(answersOn).toEqual(answersOff);
    const statusOf = (o: unknown) => (o as CommitOutcome).status;
    // The pair in one group: the second finds the challenge taken by the first of its group.
    const pair = writes.findIndex((w) => w.burst === 'duplicate');
    expect(answersOn.slice(pair, pair + 2).map(statusOf)).toEqual(['committed', 'challenge-used']);
    expect(answersOn.slice(-2).map(statusOf)).toEqual(['challenge-used', 'conflict']);

    const rowsOff = dump(dirs.off);
    const rowsOn = dump(dirs.on);
    expect(Object.keys(rowsOn)).toEqual(Object.keys(rowsOff));
    for (const table of Object.keys(rowsOff)) {
      expect({ table, rows: rowsOn[table] }).toEqual({ table, rows: rowsOff[table] });
    }
    // What the comparison covers: every commit's audit entry once (the duplicates' one), chained,
    // its outbox event, and the request decided by the thread's write as by the event loop's.
    const audit = rowsOn.audit_events as { id: string; seq: number | null }[];
    const committed = commits.filter((t) => t !== duplicates[1]);
    for (const transaction of committed) {
      expect(audit.filter((e) => e.id === auditEventOf(transaction).id)).toHaveLength(1);
    }
    expect(audit.every((e) => e.seq !== null)).toBe(true);
    expect((rowsOn.webhook_outbox as { id: string }[]).map((e) => e.id)).toEqual(
      expect.arrayContaining(
        committed.filter((t) => t.kind !== 'rename-customer').map((t) => `msg_${t.id.slice(4)}`),
      ),
    );
    expect(rowsOn.requests).toEqual([
      expect.objectContaining({ status: 'approved' }),
      expect.objectContaining({ status: 'approved' }),
      expect.objectContaining({ status: 'rejected' }),
    ]);
    for (const store of [off, on]) {
      const check = await openIssuer({ store, now: clock.now, passphrase: '' });
      expect(await check.audit.verify()).toMatchObject({ ok: true, broken: null });
    }
  });
});

describe('the audit chain while the event loop appends beside the thread', () => {
  it('verifies and holds every entry exactly once when portal events are appended between and during the groups of 64 issues', async () => {
    // Syncs of the log wait at the gate: the first group is committed and held there, the rest
    // of the issues gather behind it (one group in flight) until the gate opens.
    const held = new Int32Array(new SharedArrayBuffer(8));
    gate = held;
    const store = open(join(root, 'store'), { issueWriterFaults: { syncGate: held } });
    const clock = frozenClock(T0);
    const issuer = await openIssuer({ store, now: clock.now, passphrase: '' });
    await issuer.init('alice');
    const before = (await issuer.audit.verify()).entries;
    const portal: string[] = [];
    const appendPortal = async () => {
      const id = newId('evt');
      portal.push(id);
      await store.appendAuditEvent({
        id,
        at: clock.now(),
        actor: 'carol',
        action: 'user.login',
        subjectId: null,
        transactionId: null,
        details: { n: portal.length },
      });
    };
    const issuing = Array.from({ length: 64 }, () =>
      issuer.issue(new TestInstallation().challenge(), perpetual, 'alice'),
    );
    while (Atomics.load(held, 1) < 1) await new Promise((resolve) => setTimeout(resolve, 2));
    for (let i = 0; i < 8; i += 1) await appendPortal();
    const betweenGroups = portal.slice();
    Atomics.store(held, 0, 1);
    // The other groups are written while the event loop goes on appending.
    const appending = (async () => {
      for (let i = 0; i < 24; i += 1) {
        await new Promise((resolve) => setImmediate(resolve));
        await appendPortal();
      }
    })();
    const results = await Promise.all(issuing);
    await appending;
    expect((store as unknown as { issues: { groups: number } }).issues.groups).toBeGreaterThan(1);

    const db = new Database(join(root, 'store', SQLITE_FILE), { readonly: true });
    const seqOf = (id: string) => {
      const rows = db.prepare('SELECT seq FROM audit_events WHERE id = ?').all(id) as {
        seq: number;
      }[];
      // Every event present exactly once.
      expect(rows).toHaveLength(1);
      return rows[0]!.seq;
    };
    const issueSeqs = results.map((r) => seqOf(auditEventOf(r.transaction).id));
    const portalSeqs = portal.map(seqOf);
    const total = (db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n;
    db.close();
    // The premise: the events appended while the first group's sync was held lie between that
    // group's entries and the later groups' ones.
    const between = betweenGroups.map((_, i) => portalSeqs[i]!);
    expect(Math.min(...issueSeqs)).toBeLessThan(Math.min(...between));
    expect(Math.max(...between)).toBeLessThan(Math.max(...issueSeqs));
    expect(new Set([...issueSeqs, ...portalSeqs]).size).toBe(64 + 32);
    expect(total).toBe(before + 64 + 32);
    expect(await issuer.audit.verify()).toMatchObject({
      ok: true,
      broken: null,
      entries: before + 64 + 32,
    });
  });
});
