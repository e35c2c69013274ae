// Direct access to a store's audit log, as someone with write access to the database (not
// through Licensor) would have: to write entries from before the chain, and to tamper.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import mongoose from 'mongoose';
import type { AuditEvent } from '../../src/records.js';
import { SQLITE_FILE } from '../../src/store/open-store.js';
import type { StoreHandle } from './adapters.js';

export interface RawAudit {
  /** An entry as a Licensor before the chain wrote it (no seq, prev, hash). */
  insertLegacy(event: AuditEvent): Promise<void>;
  /** Changes the details of the entry at `seq` (its recorded hash left as it was). */
  editDetails(seq: number, details: Record<string, unknown>): Promise<void>;
  /** Sets the recorded hash of the entry at `seq`. */
  setHash(seq: number, hash: string): Promise<void>;
  remove(seq: number): Promise<void>;
  /** Changes the details of an entry from before the chain. */
  editLegacy(id: string, details: Record<string, unknown>): Promise<void>;
  /** Swaps the places (seq) of two entries. */
  swap(a: number, b: number): Promise<void>;
  close(): Promise<void>;
}

export async function rawAudit(handle: StoreHandle): Promise<RawAudit> {
  const { mongoUri, mongoDbName = '' } = handle.options as {
    mongoUri?: string;
    mongoDbName?: string;
  };
  if (mongoUri === undefined) {
    const db = new Database(join(handle.dataDir, SQLITE_FILE));
    // Someone with the file is not held back by the append-only triggers.
    db.exec(
      'DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;',
    );
    return {
      async insertLegacy(e) {
        db.prepare(`INSERT INTO audit_events (id, at, actor, action, subject_id, transaction_id, details)
          VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
          e.id,
          e.at,
          e.actor,
          e.action,
          e.subjectId,
          e.transactionId,
          JSON.stringify(e.details),
        );
      },
      async editDetails(seq, details) {
        db.prepare('UPDATE audit_events SET details = ? WHERE seq = ?').run(
          JSON.stringify(details),
          seq,
        );
      },
      async setHash(seq, hash) {
        db.prepare('UPDATE audit_events SET hash = ? WHERE seq = ?').run(hash, seq);
      },
      async remove(seq) {
        db.prepare('DELETE FROM audit_events WHERE seq = ?').run(seq);
      },
      async editLegacy(id, details) {
        db.prepare('UPDATE audit_events SET details = ? WHERE id = ?').run(
          JSON.stringify(details),
          id,
        );
      },
      async swap(a, b) {
        db.transaction(() => {
          db.prepare('UPDATE audit_events SET seq = -1 WHERE seq = ?').run(a);
          db.prepare('UPDATE audit_events SET seq = ? WHERE seq = ?').run(a, b);
          db.prepare('UPDATE audit_events SET seq = ? WHERE seq = -1').run(b);
        })();
      },
      async close() {
        db.close();
      },
    };
  }
  const connection = await mongoose.createConnection(mongoUri, { dbName: mongoDbName }).asPromise();
  const events = connection.db!.collection<Record<string, unknown>>('audit_events');
  return {
    async insertLegacy(e) {
      const { id, ...rest } = e;
      await events.insertOne({ _id: id as never, ...rest });
    },
    async editDetails(seq, details) {
      await events.updateOne({ seq }, { $set: { details } });
    },
    async setHash(seq, hash) {
      await events.updateOne({ seq }, { $set: { hash } });
    },
    async remove(seq) {
      await events.deleteOne({ seq });
    },
    async editLegacy(id, details) {
      await events.updateOne({ _id: id as never }, { $set: { details } });
    },
    async swap(a, b) {
      await events.updateOne({ seq: a }, { $set: { seq: -1 } });
      await events.updateOne({ seq: b }, { $set: { seq: a } });
      await events.updateOne({ seq: -1 }, { $set: { seq: b } });
    },
    async close() {
      await connection.close();
    },
  };
}
