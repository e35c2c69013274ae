// The automation and accounts port on MongoDB: API tokens, portal sessions, failed-login
// counters, each write a single-document operation (no multi-document transactions: FerretDB
// has none). Collections and indexes are made on open, beside the adapter's own.

import { randomUUID } from 'node:crypto';
import { type Connection, Schema } from 'mongoose';
import type { ApiTokenRecord, AutomationStore, PortalSessionRecord } from '../automation-port.js';
import { isDuplicateKey } from './mongo-commit.js';

const options = { versionKey: false, autoIndex: false, strict: true, minimize: false } as const;

const apiToken = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    /** Lower-cased name: unique regardless of case, as on SQLite. */
    nameKey: { type: String, required: true, unique: true },
    role: { type: String, required: true },
    secretHash: { type: String, required: true },
    createdAt: { type: Number, required: true },
    createdBy: { type: String, required: true },
    expiresAt: { type: Number, default: null },
    lastUsedAt: { type: Number, default: null },
    revokedAt: { type: Number, default: null },
    revokedBy: { type: String, default: null },
  },
  { ...options, collection: 'api_tokens' },
);

const portalSession = new Schema(
  {
    _id: { type: String, required: true },
    csrfToken: { type: String, required: true },
    userId: { type: String, required: true },
    userName: { type: String, required: true },
    role: { type: String, required: true },
    createdAt: { type: Number, required: true },
    lastSeenAt: { type: Number, required: true },
  },
  { ...options, collection: 'portal_sessions' },
);
portalSession.index({ userId: 1 });
portalSession.index({ lastSeenAt: 1 });

const loginFailure = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    at: { type: Number, required: true },
  },
  { ...options, collection: 'login_failures' },
);
loginFailure.index({ key: 1, at: -1 });
loginFailure.index({ at: 1 });

export function automationModelsOf(connection: Connection) {
  return {
    apiTokens: connection.model('ApiToken', apiToken),
    portalSessions: connection.model('PortalSession', portalSession),
    loginFailures: connection.model('LoginFailure', loginFailure),
  };
}

type Models = ReturnType<typeof automationModelsOf>;
type Doc = Record<string, unknown>;
type Run = <T>(operation: () => Promise<T>) => Promise<T>;

function tokenOf(document: unknown): ApiTokenRecord {
  const { _id, nameKey: _key, ...rest } = document as Doc;
  return { id: _id, ...rest } as ApiTokenRecord;
}

function sessionOf(document: unknown): PortalSessionRecord {
  const { _id, ...rest } = document as Doc;
  return { idHash: _id, ...rest } as PortalSessionRecord;
}

export class MongoAutomation implements AutomationStore {
  private constructor(
    private readonly models: Models,
    private readonly run: Run,
  ) {}

  static async open(connection: Connection, run: Run): Promise<MongoAutomation> {
    const models = automationModelsOf(connection);
    for (const model of [models.apiTokens, models.portalSessions, models.loginFailures]) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
    }
    return new MongoAutomation(models, run);
  }

  insertApiToken(record: ApiTokenRecord): Promise<boolean> {
    return this.run(async () => {
      const { id, ...rest } = record;
      try {
        await this.models.apiTokens.create({
          _id: id,
          ...rest,
          nameKey: record.name.toLowerCase(),
        });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  getApiToken(id: string): Promise<ApiTokenRecord | null> {
    return this.run(async () => {
      const document = await this.models.apiTokens.findById(id).lean();
      return document === null ? null : tokenOf(document);
    });
  }

  listApiTokens(): Promise<ApiTokenRecord[]> {
    return this.run(async () => {
      const documents = await this.models.apiTokens.find({}).sort({ createdAt: -1, _id: 1 }).lean();
      return documents.map(tokenOf);
    });
  }

  revokeApiToken(id: string, at: number, by: string): Promise<boolean> {
    return this.run(async () => {
      const result = await this.models.apiTokens.updateOne(
        { _id: id, revokedAt: null },
        { $set: { revokedAt: at, revokedBy: by } },
      );
      return result.modifiedCount === 1;
    });
  }

  touchApiToken(id: string, at: number): Promise<void> {
    return this.run(async () => {
      await this.models.apiTokens.updateOne(
        { _id: id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: at } }] },
        { $set: { lastUsedAt: at } },
      );
    });
  }

  putSession(session: PortalSessionRecord): Promise<void> {
    return this.run(async () => {
      const { idHash, ...rest } = session;
      await this.models.portalSessions.replaceOne({ _id: idHash }, rest, { upsert: true });
    });
  }

  getSession(idHash: string): Promise<PortalSessionRecord | null> {
    return this.run(async () => {
      const document = await this.models.portalSessions.findById(idHash).lean();
      return document === null ? null : sessionOf(document);
    });
  }

  touchSession(idHash: string, at: number): Promise<void> {
    return this.run(async () => {
      await this.models.portalSessions.updateOne(
        { _id: idHash, lastSeenAt: { $lt: at } },
        { $set: { lastSeenAt: at } },
      );
    });
  }

  deleteSession(idHash: string): Promise<void> {
    return this.run(async () => {
      await this.models.portalSessions.deleteOne({ _id: idHash });
    });
  }

  deleteSessionsOfUser(userId: string): Promise<void> {
    return this.run(async () => {
      await this.models.portalSessions.deleteMany({ userId });
    });
  }

  sweepSessions(idleBefore: number, createdBefore: number): Promise<number> {
    return this.run(async () => {
      const result = await this.models.portalSessions.deleteMany({
        $or: [{ lastSeenAt: { $lte: idleBefore } }, { createdAt: { $lte: createdBefore } }],
      });
      return result.deletedCount;
    });
  }

  recordLoginFailure(key: string, at: number, windowMs: number): Promise<number> {
    return this.run(async () => {
      // One document per failure, inserted: FerretDB applies concurrent $inc to one document
      // as read-modify-write and loses some, an insert is never lost. Documents past every
      // window are dropped on the way.
      await this.models.loginFailures.deleteMany({ at: { $lte: at - windowMs } });
      await this.models.loginFailures.create({ _id: randomUUID(), key, at });
      return this.countFailures(key, at, windowMs);
    });
  }

  loginFailures(key: string, at: number, windowMs: number): Promise<number> {
    return this.run(() => this.countFailures(key, at, windowMs));
  }

  private countFailures(key: string, at: number, windowMs: number): Promise<number> {
    return this.models.loginFailures.countDocuments({ key, at: { $gt: at - windowMs, $lte: at } });
  }

  clearLoginFailures(key: string): Promise<void> {
    return this.run(async () => {
      await this.models.loginFailures.deleteMany({ key });
    });
  }
}
