// The query plans a large store relies on: every statement the store runs for a check, an issue,
// the portal's pages (licenses with each filter, a license with its history and usage, the audit
// log with each filter, expiring soon) and the check roll-up reads through an index, never a
// full scan of a table that grows with the vendor. A later change that loses an index (or
// writes a query no index serves) fails here, not in production at a million licenses.
//
// Each store call is run with statement capture on: every statement it prepares and runs is
// then explained (`EXPLAIN QUERY PLAN`) with the same arguments.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainHead, ForkRecord } from '../chain-port.js';
import { customerCursor, licenseCursor } from '../cursors.js';
import { HASH_KEYED_INDEXES, warmSql } from './hash-indexes.js';
import { INSTALLATION_SEQ_SQL } from './installation-seq.js';
import {
  CHAIN_INSERT_SQL,
  CHAIN_UPDATE_SQL,
  CHECK_INSERT_SQL,
  NONCE_ADMIT_BESIDE_LEGACY_SQL,
  NONCE_ADMIT_SQL,
  NONCE_LEGACY_LEFT_SQL,
  NONCE_PURGE_BATCH,
  NONCE_PURGE_SQL,
} from './nonce-writer.js';
import { SqliteChecks } from './sqlite-checks.js';
import { SqliteStore } from './sqlite-store.js';

/** Tables that grow with the number of licenses, installations, checks or events. */
const GROWING = [
  'licenses',
  'customers',
  'installations',
  'transactions',
  'requests',
  'checks',
  'check_days',
  'audit_events',
  // The check chain, forks and the nonce window (one row per installation / check).
  'chain_heads',
  'forks',
  'fork_policies',
  'check_nonces',
  // The revision each installation reports holding (one row per license and installation).
  'held_revisions',
  // Webhooks: the outbox and the deliveries grow with every event; sessions and login failures
  // with the portal's users.
  'webhook_outbox',
  'webhook_deliveries',
  'portal_sessions',
  'login_failures',
];

interface Ran {
  sql: string;
  args: unknown[];
}

let dir: string;
let store: SqliteStore;
let db: Database.Database;
let ran: Ran[] | null = null;

/** Records every statement run while `call` runs. */
async function statementsOf(call: () => Promise<unknown>): Promise<Ran[]> {
  ran = [];
  try {
    await call();
    return ran;
  } finally {
    ran = null;
  }
}

function planOf({ sql, args }: Ran): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[];
  return rows.map((r) => r.detail);
}

/**
 * Plan lines that read a growing table whole: a plain SCAN, or (unless `walk`) a SCAN in the
 * order of an index, which stops at the LIMIT only when matches are dense.
 */
function fullScans(plan: string[], walk = false): string[] {
  return plan.filter((line) => {
    const scan = /^SCAN (\w+)(?: AS \w+)?( USING (?:COVERING )?INDEX \w+)?$/.exec(line);
    if (scan === null || !GROWING.includes(scan[1]!)) return false;
    return scan[2] === undefined || !walk;
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'licensor-plans-'));
  store = SqliteStore.open(dir);
  db = (store as unknown as { db: Database.Database }).db;
  // Wrap prepare so that each statement reports what it runs (and with which arguments).
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    for (const method of ['run', 'get', 'all', 'iterate'] as const) {
      const original = statement[method].bind(statement) as (...a: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        ran?.push({ sql, args });
        return original(...args);
      };
    }
    return statement;
  }) as typeof db.prepare;
  // The check statements are prepared on open: prepare them again through the wrap.
  (store as unknown as { checks: unknown }).checks = new SqliteChecks(db);
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = Date.UTC(2026, 5, 1);

function chainHead(): ChainHead {
  return {
    installationId: 'inst',
    licenseId: 'lic_x',
    head: 'h',
    issued: [],
    last: null,
    openForkId: null,
    version: 2,
    updatedAt: NOW,
  };
}

function fork(): ForkRecord {
  const evidence = {
    at: NOW,
    address: null,
    credentialsInUse: 1,
    sdkVersion: '1',
    presented: null,
  };
  return {
    id: 'frk_x',
    licenseId: 'lic_x',
    installationId: 'inst',
    status: 'open',
    detectedAt: NOW,
    lastSeenAt: NOW,
    divergentChecks: 1,
    copy: evidence,
    original: null,
    action: 'warn',
    closedAt: null,
    closedBy: null,
    closeReason: null,
  };
}

/**
 * [name, call, walk, scanned]: `walk` allows reading in an index's order up to the LIMIT: for
 * the newest-first lists, and for filters most rows match (a model, a term ending before a
 * time). `scanned` names a table the call may read whole: only the customers, for a search by
 * part of a name (a substring has no b-tree index; there are a tenth as many as licenses).
 */
const calls: [string, () => Promise<unknown>, boolean?, string?][] = [
  ['a check: the license view', () => store.getCheckView('lic_x')],
  [
    // Written on the writer's thread too (nonce-writer.ts): its statement, explained here.
    'a check: recording a batch',
    async () => {
      db.prepare(CHECK_INSERT_SQL).run('chk_1', NOW, 'lic_x', 'i', '1', 1, 'VALID');
    },
  ],
  ['an issue: the customer by name', () => store.findCustomerByName('Acme')],
  ['an issue: the transaction of a challenge', () => store.findTransactionByChallenge('h')],
  ['licenses, newest first', () => store.listLicenses({ limit: 50 }), true],
  [
    'licenses, the page before a cursor',
    () => store.listLicenses({ before: licenseCursor({ updatedAt: NOW, id: 'lic_x' }), limit: 50 }),
  ],
  [
    'licenses, a page after a cursor',
    () => store.listLicenses({ after: licenseCursor({ updatedAt: NOW, id: 'lic_x' }), limit: 50 }),
  ],
  [
    'licenses of a customer, a page after a cursor',
    () =>
      store.listLicenses({
        customerId: 'cus_x',
        after: licenseCursor({ updatedAt: NOW, id: 'lic_x' }),
        limit: 50,
      }),
  ],
  [
    "a plan's licenses on an older revision, the first page",
    () => store.listLicensesOfOlderPlanRevision('pln_x', 3, null, 51),
  ],
  [
    "a plan's licenses on an older revision, a page after a cursor",
    () => store.listLicensesOfOlderPlanRevision('pln_x', 3, { revision: 1, id: 'lic_x' }, 51),
  ],
  ['customers, the first page', () => store.listCustomers({ limit: 50 }), true],
  [
    'customers, a page after a cursor',
    () => store.listCustomers({ after: customerCursor({ name: 'Acme', id: 'cus_x' }), limit: 50 }),
  ],
  ['customers whose name starts with a search', () => store.listCustomers({ q: 'Acm', limit: 20 })],
  ['licenses of a state', () => store.listLicenses({ state: 'suspended', limit: 50 })],
  ['licenses of a model', () => store.listLicenses({ model: 'subscription', limit: 50 }), true],
  ['licenses of a customer', () => store.listLicenses({ customerId: 'cus_x', limit: 50 })],
  // By the installation's number, or its thumbprint for an installation with no row
  // (installation-seq.ts): two searches, never licenses_by_update walked.
  ['licenses of an installation', () => store.listLicensesOfInstallation('inst')],
  [
    'licenses of an installation, a page of the portal',
    () => store.listLicenses({ installationId: 'inst', state: 'active', limit: 50 }),
  ],
  [
    'licenses of an installation, a page after a cursor',
    () =>
      store.listLicenses({
        installationId: 'inst',
        after: licenseCursor({ updatedAt: NOW, id: 'lic_x' }),
        limit: 50,
      }),
  ],
  [
    'licenses expiring soon',
    () => store.listLicenses({ termEndsBefore: NOW / 1000, limit: 50 }),
    true,
  ],
  [
    'licenses expiring within 30 days',
    () =>
      store.listLicenses({
        termEndsAfter: NOW / 1000,
        termEndsBefore: NOW / 1000 + 30 * 86_400,
        limit: 50,
      }),
  ],
  [
    'licenses matching a search',
    () => store.listLicenses({ q: 'acme', limit: 50 }),
    false,
    // The names alone, from the (name, id) index: smaller than the customers' rows.
    'SCAN customers USING COVERING INDEX customers_by_name',
  ],
  ['a license', () => store.getLicense('lic_x')],
  ['its transactions', () => store.listTransactions({ licenseId: 'lic_x' })],
  [
    // A revoke's read of one license, paged through its log (key-dependents.ts).
    'its transactions, the page before a time',
    () => store.listTransactions({ licenseId: 'lic_x', before: NOW, limit: 50, factsOnly: true }),
  ],
  [
    'a check: the revisions its installation reports holding',
    () =>
      store.recordRevisionReports([
        { licenseId: 'lic_x', installationId: 'inst', revision: 2, at: NOW },
      ]),
  ],
  [
    'a revoke: the revision an installation holds',
    () => store.keyUsage.getHeldRevision('lic_x', 'inst'),
  ],
  ['its requests', () => store.listRequests({ licenseId: 'lic_x' })],
  ['its recent checks', () => store.listChecks('lic_x', 50), true],
  ['its daily usage', () => store.dailyUsage('lic_x', { from: '2026-03-01' })],
  ['its last check (raw or rolled up)', () => store.lastCheck('lic_x')],
  ['a check: the chain head', () => store.chains.getChainHead('inst')],
  // The chain head is written on the check writer's thread (nonce-writer.ts): its statements.
  [
    'a check: a new chain head',
    async () => {
      db.prepare(CHAIN_INSERT_SQL).run('inst', 2, JSON.stringify(chainHead()));
    },
  ],
  [
    'a check: the chain head moved on',
    async () => {
      db.prepare(CHAIN_UPDATE_SQL).run(2, JSON.stringify(chainHead()), 'inst', 1);
    },
  ],
  [
    // The nonce writer's thread runs these on a connection of its own (nonce-writer.ts).
    'a check: its nonce admitted (and, every 32nd, the expired ones purged)',
    async () => {
      db.prepare(NONCE_PURGE_SQL).run(NOW, NONCE_PURGE_BATCH);
      const iat = NOW / 1000;
      db.prepare(NONCE_ADMIT_SQL).run(iat, 'inst', 'n1', NOW, NOW);
      db.prepare(NONCE_ADMIT_BESIDE_LEGACY_SQL).run(iat, 'inst', 'n2', NOW, 'inst', 'n2', NOW, NOW);
      db.prepare(NONCE_LEGACY_LEFT_SQL).get();
    },
  ],
  ['a check: a fork recorded', () => store.chains.recordFork(fork())],
  ['a check: the fork policy', () => store.chains.getForkPolicy('lic_x')],
  ['forks of a license', () => store.chains.listForks({ licenseId: 'lic_x' })],
  [
    'the open fork of an installation',
    () => store.chains.listForks({ installationId: 'inst', status: 'open', limit: 1 }),
  ],
  ['open forks', () => store.chains.listForks({ status: 'open' })],
  ['forks, newest first', () => store.chains.listForks({}), true],
  ['closing a fork', () => store.chains.closeFork('frk_x', NOW, 'alice', 'reissued')],
  // The pending-events index is partial (fanned_out = 0): walking it reads only pending events.
  ['webhooks: events not fanned out', () => store.automation.listUnfannedOutboxEvents(100), true],
  ['webhooks: events fanned out', () => store.automation.markOutboxFannedOut(['msg_x'])],
  ['webhooks: deliveries due', () => store.automation.claimDeliveries(NOW, 30_000, 50)],
  // subscription.expiring (the portal's dispatcher): the term ends that came into the window,
  // by term end from a cursor; the subscriptions changed since the last scan; its mark.
  [
    'webhooks: subscriptions ending in a window, a page after a cursor',
    () =>
      store.listSubscriptionsEnding(
        NOW / 1000,
        NOW / 1000 + 600,
        { termEnd: NOW / 1000 + 1, id: 'lic_x' },
        500,
      ),
  ],
  [
    'webhooks: subscriptions changed since the last scan, ending in the window',
    () =>
      store.listLicenses({
        state: 'active',
        model: 'subscription',
        updatedSince: NOW - 25 * 60_000,
        termEndsAfter: NOW / 1000,
        termEndsBefore: NOW / 1000 + 30 * 86_400,
        after: licenseCursor({ updatedAt: NOW, id: 'lic_x' }),
        limit: 500,
      }),
  ],
  [
    'webhooks: the expiring scan mark',
    async () => {
      await store.automation.getScanMark('subscription.expiring:30d');
      await store.automation.putScanMark({
        name: 'subscription.expiring:30d',
        startedAt: NOW,
        coveredTo: NOW / 1000,
        fullAt: NOW,
      });
    },
  ],
  ['webhooks: deliveries of an endpoint', () => store.automation.listDeliveries('whe_x', 50)],
  ['portal sessions: one', () => store.automation.getSession('hash')],
  ['portal sessions: swept', () => store.automation.sweepSessions(NOW, NOW)],
  ['login failures: counted', () => store.automation.recordLoginFailure('k', NOW, 60_000)],
  ['login failures: one withdrawn', () => store.automation.withdrawLoginFailure('k', NOW)],
  ['pending requests', () => store.listRequests({ status: 'pending' })],
  ['audit log, newest first', () => store.listAuditEvents({ limit: 200 }), true],
  ['audit log of an action', () => store.listAuditEvents({ action: 'license.revoke' })],
  ['audit log of an actor', () => store.listAuditEvents({ actor: 'alice' })],
  ['audit log of a subject', () => store.listAuditEvents({ subjectId: 'lic_x' })],
  ['audit log since a time', () => store.listAuditEvents({ since: NOW })],
  // Seed data and imports (sqlite-import.ts): how much the table holds is read from its end.
  [
    'bulk load: check records',
    () =>
      store.importChecks([
        {
          id: 'chk_bulk',
          at: NOW,
          licenseId: 'lic_x',
          installationId: 'inst',
          sdkVersion: '1.0.0',
          credentialsInUse: 1,
          outcome: 'VALID',
        },
      ]),
  ],
  [
    'bulk load: approval requests',
    () =>
      store.importRequests([
        {
          id: 'req_bulk',
          kind: 'rehost',
          status: 'pending',
          licenseId: 'lic_x',
          installationId: 'inst',
          challenge: 'c.c.c',
          challengeHash: 'bulk-hash',
          asked: { kind: 'license' },
          createdAt: NOW,
          createdBy: 'seed-data',
          decidedAt: null,
          decidedBy: null,
          reason: null,
          transactionId: null,
        },
      ]),
  ],
  [
    'check roll-up (one batch)',
    () => store.rollUpChecks({ now: NOW + 40 * 86_400_000, keepMs: 86_400_000, maxBatches: 1 }),
  ],
];

describe('SQLite query plans', () => {
  for (const [name, call, walk, scanned] of calls) {
    it(`${name}: reads through an index, no full scan of a growing table`, async () => {
      const statements = await statementsOf(call);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        const plan = planOf(statement);
        expect({
          sql: statement.sql.replace(/\s+/g, ' '),
          scans: fullScans(plan, walk).filter((line) => line !== scanned),
        }).toEqual({
          sql: statement.sql.replace(/\s+/g, ' '),
          scans: [],
        });
      }
    });
  }

  it('the warm-up on open reads the hash-keyed indexes alone (covering), never their tables', () => {
    for (const index of HASH_KEYED_INDEXES) {
      expect(planOf({ sql: warmSql(index), args: [] })).toEqual([
        expect.stringMatching(
          new RegExp(`^SEARCH ${index.table} USING COVERING INDEX \\w+ \\(${index.column}>\\?\\)$`),
        ),
      ]);
    }
  });

  it("finds an installation's licenses by its number, and those of one with no row by its thumbprint", async () => {
    const [read] = await statementsOf(() => store.listLicensesOfInstallation('inst'));
    expect(planOf(read!)).toEqual(
      expect.arrayContaining([
        'SEARCH licenses USING COVERING INDEX licenses_by_installation_seq (installation_seq=?)',
        expect.stringMatching(/^SEARCH installations USING COVERING INDEX \w+ \(id=\?\)$/),
        'SEARCH licenses USING INDEX licenses_by_unnumbered_installation (installation_id=?)',
      ]),
    );
  });

  it("numbers a license's installation by one search of each table (the triggers' statement)", () => {
    // What licenses_installation_seq_on_insert / _on_rebind run for each write of a license.
    const trigger =
      /BEGIN\s+(UPDATE licenses SET installation_seq =[^;]*?WHERE rowid = NEW\.rowid);/.exec(
        INSTALLATION_SEQ_SQL,
      )![1]!;
    const sql = trigger.replace('NEW.installation_id', '?').replace('NEW.rowid', '?');
    expect(planOf({ sql, args: ['inst', 1] })).toEqual([
      'SEARCH licenses USING INTEGER PRIMARY KEY (rowid=?)',
      'SCALAR SUBQUERY 1',
      expect.stringMatching(/^SEARCH installations USING COVERING INDEX \w+ \(id=\?\)$/),
    ]);
  });

  it('reads a window of term ends from the cursor on the term-end index, sorting one end at a time', async () => {
    const [read] = await statementsOf(() =>
      store.listSubscriptionsEnding(NOW / 1000, NOW / 1000 + 600, null, 500),
    );
    // Not licenses_by_state (state=?), which reads every active license for a window of ten
    // minutes: the range of the window on licenses_by_term_end, its ids sorted per term end.
    expect(planOf(read!)).toEqual([
      'SEARCH licenses USING INDEX licenses_by_term_end (term_end>? AND term_end<?)',
      'USE TEMP B-TREE FOR LAST TERM OF ORDER BY',
    ]);
  });

  it('finds the subscriptions changed since the last expiring scan on the (state, updated) index', async () => {
    const [read] = await statementsOf(() =>
      store.listLicenses({
        state: 'active',
        model: 'subscription',
        updatedSince: NOW - 25 * 60_000,
        termEndsAfter: NOW / 1000,
        termEndsBefore: NOW / 1000 + 30 * 86_400,
        limit: 500,
      }),
    );
    // The changes of the last minutes, not the window's term ends (a month of them).
    expect(planOf(read!)).toEqual(
      expect.arrayContaining([
        'SEARCH licenses USING INDEX licenses_by_state (state=? AND updated_at>?)',
      ]),
    );
  });

  it("pages a plan's affected licenses from the cursor on the index, without a sort", async () => {
    const [read] = await statementsOf(() =>
      store.listLicensesOfOlderPlanRevision('pln_x', 3, { revision: 1, id: 'lic_x' }, 51),
    );
    // The row value is in the search: the page starts at the cursor, not at the plan's first
    // license (a json_extract index would give only plan_id=? AND <expr><?).
    expect(planOf(read!)).toEqual([
      'SEARCH licenses USING INDEX licenses_by_plan_revision (plan_id=? AND (plan_revision,id)>(?,?) AND plan_revision<?)',
    ]);
  });

  it('notices a full scan (the check above can fail)', () => {
    expect(
      fullScans(planOf({ sql: 'SELECT * FROM checks WHERE outcome = ?', args: ['VALID'] })),
    ).toEqual(['SCAN checks']);
  });
});
