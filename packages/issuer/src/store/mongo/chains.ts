// The check chain, forks and the nonce window on MongoDB (see chain-port.ts). Each write is one
// document; nonces go by a TTL index where the server has one. A conditional update is not
// atomic on every server that speaks the protocol (FerretDB loses concurrent compare-and-set
// updates: measured), but a unique insert is: every read-decide-write of a record runs under a
// lock document inserted with a unique _id (stale after LOCK_STALE_MS).

import { randomUUID } from 'node:crypto';
import { type Collection, type Connection, Schema } from 'mongoose';
import type { ChainHead, ChainStore, ForkAction, ForkFilter, ForkRecord } from '../chain-port.js';
import { isDuplicateKey } from './mongo-errors.js';

const options = { versionKey: false, autoIndex: false, strict: false, minimize: false } as const;

const chainHead = new Schema(
  { _id: { type: String, required: true }, version: { type: Number, required: true } },
  { ...options, collection: 'chain_heads' },
);

const fork = new Schema(
  {
    _id: { type: String, required: true },
    licenseId: { type: String, required: true },
    installationId: { type: String, required: true },
    status: { type: String, required: true },
    detectedAt: { type: Number, required: true },
  },
  { ...options, collection: 'forks' },
);
fork.index({ licenseId: 1, detectedAt: -1 });
fork.index({ status: 1, detectedAt: -1 });
// The open fork of an installation (each check that diverges), and the newest forks unfiltered.
fork.index({ installationId: 1, status: 1, detectedAt: -1 });
fork.index({ detectedAt: -1 });

const forkPolicy = new Schema(
  {
    _id: { type: String, required: true },
    action: { type: String, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'fork_policies' },
);

const chainLock = new Schema(
  {
    _id: { type: String, required: true },
    token: { type: String, required: true },
    at: { type: Number, required: true },
  },
  { ...options, collection: 'chain_locks' },
);

const checkNonce = new Schema(
  {
    _id: { type: String, required: true },
    /** A Date, for the TTL index: the server removes the nonce once it has expired. */
    expiresAt: { type: Date, required: true },
  },
  { ...options, collection: 'check_nonces' },
);

export function chainModelsOf(connection: Connection) {
  return {
    chainHeads: connection.model('ChainHead', chainHead),
    forks: connection.model('Fork', fork),
    forkPolicies: connection.model('ForkPolicy', forkPolicy),
    checkNonces: connection.model('CheckNonce', checkNonce),
    chainLocks: connection.model('ChainLock', chainLock),
  };
}

type Models = ReturnType<typeof chainModelsOf>;
type Doc = Record<string, unknown>;
type Run = <T>(operation: () => Promise<T>) => Promise<T>;

function headOf(document: unknown): ChainHead {
  const { _id, ...rest } = document as Doc;
  return { installationId: _id, ...rest } as unknown as ChainHead;
}

function forkOf(document: unknown): ForkRecord {
  const { _id, ...rest } = document as Doc;
  return { id: _id, ...rest } as unknown as ForkRecord;
}

/** Expired nonces are removed by the adapter once every this many admissions without TTL. */
export const MONGO_NONCE_PURGE_EVERY = 512;
/**
 * At most this many go in one purge, oldest first: twice what arrived since the last one, so a
 * backlog drains, while a server started on a busy day's expired nonces (hundreds of thousands)
 * does not hold one admission for seconds in one unbounded delete (as the SQLite writer's purge).
 */
export const MONGO_NONCE_PURGE_BATCH = 2 * MONGO_NONCE_PURGE_EVERY;
/** The code of the process warning a failed purge emits (process.on('warning')). */
export const NONCE_PURGE_FAILED = 'LICENSOR_NONCE_PURGE_FAILED';
/** A lock older than this was left by a process that died holding it. */
const LOCK_STALE_MS = 5_000;
const LOCK_GIVE_UP_MS = 10_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MongoChains implements ChainStore {
  #admitted = 0;

  private constructor(
    private readonly models: Models,
    private readonly run: Run,
    /** The server removes expired nonces itself (a TTL index); FerretDB has none. */
    private readonly ttl: boolean,
    /** Read only: a license's plan, for the plan's fork policy (the issuer owns the model). */
    private readonly licenses: Collection,
  ) {}

  static async open(connection: Connection, run: Run, prepare = true): Promise<MongoChains> {
    const models = chainModelsOf(connection);
    const nonces = models.checkNonces.collection;
    if (!prepare) {
      // The verify service's user creates nothing: the issuer made the collections and indexes.
      const indexes = await nonces.indexes().catch(() => []);
      const ttl = indexes.some((index) => index.expireAfterSeconds !== undefined);
      return new MongoChains(models, run, ttl, connection.collection('licenses'));
    }
    for (const model of Object.values(models)) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
    }
    let ttl = true;
    try {
      await nonces.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 });
    } catch {
      // FerretDB: "Index option expireAfterSeconds is not implemented": a plain index, and the
      // adapter removes expired nonces itself.
      ttl = false;
      await nonces.createIndex({ expiresAt: 1 }, { name: 'expiresAt_1' });
    }
    return new MongoChains(models, run, ttl, connection.collection('licenses'));
  }

  /** Runs `work` while holding the lock named `name` (one holder across every process). */
  private async locked<T>(name: string, work: () => Promise<T>): Promise<T> {
    const locks = this.models.chainLocks.collection;
    const token = randomUUID();
    const started = Date.now();
    for (;;) {
      try {
        await locks.insertOne({ _id: name, token, at: Date.now() } as never);
        break;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const held = (await locks.findOne({ _id: name } as never)) as Doc | null;
      if (held !== null && (held.at as number) < Date.now() - LOCK_STALE_MS) {
        await locks.deleteOne({ _id: name, token: held.token } as never);
        continue;
      }
      if (Date.now() - started > LOCK_GIVE_UP_MS) {
        throw new Error(`the chain lock ${name} stayed held for ${LOCK_GIVE_UP_MS} ms`);
      }
      await pause(2 + Math.random() * 8);
    }
    try {
      return await work();
    } finally {
      await locks.deleteOne({ _id: name, token } as never);
    }
  }

  getChainHead(installationId: string): Promise<ChainHead | null> {
    return this.run(async () => {
      const document = await this.models.chainHeads.findById(installationId).lean();
      return document === null ? null : headOf(document);
    });
  }

  listChainHeads(afterInstallationId: string | null, limit: number): Promise<ChainHead[]> {
    return this.run(async () => {
      const documents = await this.models.chainHeads.collection
        .find((afterInstallationId === null ? {} : { _id: { $gt: afterInstallationId } }) as never)
        .sort({ _id: 1 })
        .limit(Math.max(1, Math.min(limit, 1_000)))
        .toArray();
      return documents.map(headOf);
    });
  }

  putChainHead(head: ChainHead, expectedVersion: number | null): Promise<boolean> {
    return this.run(() =>
      this.locked(`head:${head.installationId}`, async () => {
        const { installationId, ...rest } = head;
        const heads = this.models.chainHeads.collection;
        const stored = (await heads.findOne({ _id: installationId } as never)) as Doc | null;
        if ((stored === null ? null : (stored.version as number)) !== expectedVersion) return false;
        if (stored === null) await heads.insertOne({ _id: installationId, ...rest } as never);
        else await heads.replaceOne({ _id: installationId } as never, rest);
        return true;
      }),
    );
  }

  recordFork(record: ForkRecord): Promise<ForkRecord> {
    return this.run(() =>
      this.locked(`fork:${record.id}`, async () => {
        const forks = this.models.forks.collection;
        const stored = (await forks.findOne({ _id: record.id } as never)) as Doc | null;
        const { id, ...fields } = record;
        if (stored === null) {
          await forks.insertOne({ _id: id, ...fields } as never);
          return record;
        }
        const next: ForkRecord = {
          ...forkOf(stored),
          lastSeenAt: Math.max(stored.lastSeenAt as number, record.lastSeenAt),
          divergentChecks: (stored.divergentChecks as number) + 1,
          copy: record.copy,
          action: record.action,
        };
        const { id: _id, ...rest } = next;
        await forks.replaceOne({ _id: id } as never, rest);
        return next;
      }),
    );
  }

  getFork(id: string): Promise<ForkRecord | null> {
    return this.run(async () => {
      const document = await this.models.forks.findById(id).lean();
      return document === null ? null : forkOf(document);
    });
  }

  listForks(filter: ForkFilter): Promise<ForkRecord[]> {
    return this.run(async () => {
      const query: Doc = {};
      if (filter.licenseId !== undefined) query.licenseId = filter.licenseId;
      if (filter.installationId !== undefined) query.installationId = filter.installationId;
      if (filter.status !== undefined) query.status = filter.status;
      const limit = Math.max(1, Math.min(filter.limit ?? 100, 10_000));
      const documents = await this.models.forks
        .find(query)
        .sort({ detectedAt: -1, _id: 1 })
        .limit(limit)
        .lean();
      return documents.map(forkOf);
    });
  }

  closeFork(id: string, at: number, by: string, reason: string): Promise<boolean> {
    return this.run(() =>
      this.locked(`fork:${id}`, async () => {
        const result = await this.models.forks.updateOne(
          { _id: id, status: 'open' },
          { $set: { status: 'closed', closedAt: at, closedBy: by, closeReason: reason } },
        );
        return result.modifiedCount === 1;
      }),
    );
  }

  getForkPolicy(licenseId: string): Promise<ForkAction | null> {
    return this.run(async () => {
      const document = await this.models.forkPolicies.findById(licenseId).lean();
      return document === null ? null : ((document as Doc).action as ForkAction);
    });
  }

  readonly resolveForkPolicy: ChainStore['resolveForkPolicy'] = (licenseId) => {
    return this.run(async () => {
      const own = await this.models.forkPolicies.findById(licenseId).lean();
      if (own !== null) return { action: (own as Doc).action as ForkAction, source: 'license' };
      const license = (await this.licenses.findOne({ _id: licenseId } as never, {
        projection: { 'entitlements.plan.id': 1 },
      })) as { entitlements?: { plan?: { id?: string } | null } } | null;
      const planId = license?.entitlements?.plan?.id;
      if (planId === undefined) return null;
      const plan = await this.models.forkPolicies.findById(planId).lean();
      return plan === null ? null : { action: (plan as Doc).action as ForkAction, source: 'plan' };
    });
  };

  setForkPolicy(licenseId: string, action: ForkAction | null, at: number): Promise<void> {
    return this.run(async () => {
      if (action === null) {
        await this.models.forkPolicies.deleteOne({ _id: licenseId });
        return;
      }
      await this.models.forkPolicies.updateOne(
        { _id: licenseId },
        { $set: { action, updatedAt: at } },
        { upsert: true },
      );
    });
  }

  /** The oldest expired nonces, at most MONGO_NONCE_PURGE_BATCH (servers without TTL indexes). */
  private async purgeExpiredNonces(now: number): Promise<void> {
    const expired = { expiresAt: { $lte: new Date(now) } };
    const oldest = await this.models.checkNonces.collection
      .find(expired as never, { projection: { _id: 1 } })
      .sort({ expiresAt: 1 })
      .limit(MONGO_NONCE_PURGE_BATCH)
      .toArray();
    if (oldest.length === 0) return;
    // Still expired: a nonce admitted again meanwhile (expiry moved on) stays.
    await this.models.checkNonces.collection.deleteMany({
      _id: { $in: oldest.map((document) => document._id) },
      ...expired,
    } as never);
  }

  admitNonce(
    installationId: string,
    nonce: string,
    // Not part of the key on MongoDB: its nonces keep their `installation.nonce` _id (#15 re-keyed
    // SQLite's window only, nonce-keys.ts).
    _issuedAt: number,
    expiresAt: number,
    now: number,
  ): Promise<boolean> {
    return this.run(async () => {
      const _id = `${installationId}.${nonce}`;
      if (!this.ttl && ++this.#admitted % MONGO_NONCE_PURGE_EVERY === 0) {
        // Housekeeping for the checks to come, not this check's answer: a purge that fails (a
        // role without `find`, a timeout) is warned about and left to the next one, and the
        // admission goes on (its own insert still refuses the check if the store is down).
        await this.purgeExpiredNonces(now).catch((error: unknown) => {
          process.emitWarning(
            `the check nonce purge failed, expired nonces stay until the next one (every ${MONGO_NONCE_PURGE_EVERY} admissions): ${(error as Error)?.message ?? String(error)}`,
            { code: NONCE_PURGE_FAILED },
          );
        });
      }
      try {
        await this.models.checkNonces.collection.insertOne({
          _id,
          expiresAt: new Date(expiresAt),
        } as never);
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      // Held: a replay, unless it expired and was not removed yet (TTL monitor, or the purge).
      return this.locked(`nonce:${_id}`, async () => {
        const result = await this.models.checkNonces.collection.updateOne(
          { _id, expiresAt: { $lte: new Date(now) } } as never,
          { $set: { expiresAt: new Date(expiresAt) } },
        );
        return result.modifiedCount === 1;
      });
    });
  }
}
