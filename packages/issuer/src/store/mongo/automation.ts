// The automation and accounts port on MongoDB: API tokens, portal sessions, failed-login
// counters, each write a single-document operation (no multi-document transactions: FerretDB
// has none). Collections and indexes are made on open, beside the adapter's own.

import { newId } from '@licensor/token';
import { type Connection, Schema } from 'mongoose';
import type { AuditEvent } from '../../records.js';
import {
  type ApiTokenRecord,
  type AutomationStore,
  DeliveryInFlightError,
  type DeliveryOutcome,
  type OutboxEvent,
  type PortalSessionRecord,
  type ScanMark,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointPatch,
} from '../automation-port.js';
import { isDuplicateKey } from './mongo-errors.js';

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
    enrolTwoFactor: { type: Boolean },
    changePassword: { type: Boolean },
  },
  { ...options, collection: 'portal_sessions' },
);
portalSession.index({ userId: 1 });
portalSession.index({ lastSeenAt: 1 });
// The sweep deletes idle OR old sessions: each side of the $or through its own index.
portalSession.index({ createdAt: 1 });

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

const { Mixed } = Schema.Types;

const webhookEndpoint = new Schema(
  {
    _id: { type: String, required: true },
    url: { type: String, required: true },
    description: { type: String, default: '' },
    events: { type: [String], required: true },
    secret: { type: String, required: true },
    previousSecret: { type: String, default: null },
    previousSecretUntil: { type: Number, default: null },
    enabled: { type: Boolean, required: true },
    createdAt: { type: Number, required: true },
    createdBy: { type: String, required: true },
    updatedAt: { type: Number, required: true },
  },
  { ...options, collection: 'webhook_endpoints' },
);

const outboxEvent = new Schema(
  {
    _id: { type: String, required: true },
    type: { type: String, required: true },
    at: { type: Number, required: true },
    data: { type: Mixed, required: true },
    fannedOut: { type: Boolean, required: true },
  },
  { ...options, collection: 'webhook_outbox' },
);
outboxEvent.index({ fannedOut: 1, at: 1 });

const webhookDelivery = new Schema(
  {
    _id: { type: String, required: true },
    endpointId: { type: String, required: true },
    eventId: { type: String, required: true },
    eventType: { type: String, required: true },
    status: { type: String, required: true },
    attempts: { type: Number, required: true },
    createdAt: { type: Number, required: true },
    nextAttemptAt: { type: Number, required: true },
    leaseUntil: { type: Number, required: true },
    lastAttemptAt: { type: Number, default: null },
    lastStatus: { type: Number, default: null },
    lastDurationMs: { type: Number, default: null },
    lastError: { type: String, default: null },
    deliveredAt: { type: Number, default: null },
  },
  { ...options, collection: 'webhook_deliveries' },
);
webhookDelivery.index({ status: 1, nextAttemptAt: 1 });
webhookDelivery.index({ endpointId: 1, createdAt: -1 });
// The retention sweep: an outbox event goes once no delivery of it is left.
webhookDelivery.index({ eventId: 1 });

/** One small document per scan, by its name (see ScanMark). */
const scanMark = new Schema(
  {
    _id: { type: String, required: true },
    startedAt: { type: Number, required: true },
    coveredTo: { type: Number, required: true },
    fullAt: { type: Number, required: true },
  },
  { ...options, collection: 'scan_marks' },
);

export function automationModelsOf(connection: Connection) {
  return {
    apiTokens: connection.model('ApiToken', apiToken),
    portalSessions: connection.model('PortalSession', portalSession),
    loginFailures: connection.model('LoginFailure', loginFailure),
    webhookEndpoints: connection.model('WebhookEndpoint', webhookEndpoint),
    outbox: connection.model('WebhookOutbox', outboxEvent),
    deliveries: connection.model('WebhookDelivery', webhookDelivery),
    scanMarks: connection.model('ScanMark', scanMark),
    /** The adapter's audit log model (registered by schemas.ts before this runs). */
    auditEvents: connection.model('AuditEvent'),
  };
}

/** Writes outbox events, each an insert by its fixed id; one already there is left alone. */
export async function appendOutbox(
  models: Pick<Models, 'outbox'>,
  events: readonly OutboxEvent[],
): Promise<void> {
  for (const { id, ...rest } of events) {
    try {
      await models.outbox.create({ _id: id, ...rest, fannedOut: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

function recordOf<T>(document: unknown): T {
  const { _id, ...rest } = document as Doc;
  return { id: _id, ...rest } as T;
}

function eventOf(document: unknown): OutboxEvent {
  const { fannedOut: _f, ...rest } = recordOf<OutboxEvent & { fannedOut: boolean }>(document);
  return rest;
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

  /** `prepare` false: create no collection or index (the verify service's user may not). */
  static async open(models: Models, run: Run, prepare = true): Promise<MongoAutomation> {
    for (const model of prepare ? Object.values(models) : []) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
    }
    return new MongoAutomation(models, run);
  }

  listAuditRange(
    from: number,
    to: number,
    after: { at: number; id: string } | null,
    limit: number,
  ): Promise<AuditEvent[]> {
    return this.run(async () => {
      const query: Doc = { at: { $gte: from, $lt: to } };
      if (after !== null) {
        query.$or = [{ at: { $gt: after.at } }, { at: after.at, _id: { $gt: after.id } }];
      }
      const documents = await this.models.auditEvents
        .find(query)
        .sort({ at: 1, _id: 1 })
        .limit(limit)
        .lean();
      return documents.map((d) => recordOf<AuditEvent>(d));
    });
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
      await this.models.loginFailures.create({ _id: newId('lgf'), key, at });
      // No upper bound: a failure another process stamped later but inserted first counts too.
      return this.models.loginFailures.countDocuments({ key, at: { $gt: at - windowMs } });
    });
  }

  withdrawLoginFailure(key: string, at: number): Promise<void> {
    return this.run(async () => {
      await this.models.loginFailures.findOneAndDelete({ key, at });
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

  getScanMark(name: string): Promise<ScanMark | null> {
    return this.run(async () => {
      const document = await this.models.scanMarks.findById(name).lean();
      if (document === null) return null;
      const { _id, startedAt, coveredTo, fullAt } = document as Doc;
      return { name: _id, startedAt, coveredTo, fullAt } as ScanMark;
    });
  }

  putScanMark(mark: ScanMark): Promise<boolean> {
    return this.run(async () => {
      // Over a mark of an earlier start only; a later one there makes the upsert an insert of
      // a taken _id (duplicate key): kept. FerretDB may let a racing writer's mark win over a
      // later one: every mark is one a finished scan earned, so that only makes more work.
      try {
        const result = await this.models.scanMarks.updateOne(
          { _id: mark.name, startedAt: { $lt: mark.startedAt } },
          {
            $set: { startedAt: mark.startedAt, coveredTo: mark.coveredTo, fullAt: mark.fullAt },
          },
          { upsert: true },
        );
        return result.modifiedCount + result.upsertedCount === 1;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  insertWebhookEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    return this.run(async () => {
      const { id, ...rest } = endpoint;
      await this.models.webhookEndpoints.create({ _id: id, ...rest });
    });
  }

  listWebhookEndpoints(): Promise<WebhookEndpoint[]> {
    return this.run(async () => {
      const documents = await this.models.webhookEndpoints
        .find({})
        .sort({ createdAt: 1, _id: 1 })
        .lean();
      return documents.map((d) => recordOf<WebhookEndpoint>(d));
    });
  }

  getWebhookEndpoint(id: string): Promise<WebhookEndpoint | null> {
    return this.run(async () => {
      const document = await this.models.webhookEndpoints.findById(id).lean();
      return document === null ? null : recordOf<WebhookEndpoint>(document);
    });
  }

  updateWebhookEndpoint(id: string, patch: WebhookEndpointPatch): Promise<void> {
    return this.run(async () => {
      const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      await this.models.webhookEndpoints.updateOne({ _id: id }, { $set: set });
    });
  }

  appendOutboxEvents(events: OutboxEvent[]): Promise<void> {
    return this.run(() => appendOutbox(this.models, events));
  }

  getOutboxEvent(id: string): Promise<OutboxEvent | null> {
    return this.run(async () => {
      const document = await this.models.outbox.findById(id).lean();
      return document === null ? null : eventOf(document);
    });
  }

  listUnfannedOutboxEvents(limit: number): Promise<OutboxEvent[]> {
    return this.run(async () => {
      const documents = await this.models.outbox
        .find({ fannedOut: false })
        .sort({ at: 1, _id: 1 })
        .limit(limit)
        .lean();
      return documents.map(eventOf);
    });
  }

  markOutboxFannedOut(ids: string[]): Promise<void> {
    return this.run(async () => {
      if (ids.length > 0) {
        await this.models.outbox.updateMany({ _id: { $in: ids } }, { $set: { fannedOut: true } });
      }
    });
  }

  insertDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    return this.run(async () => {
      for (const { id, ...rest } of deliveries) {
        try {
          await this.models.deliveries.create({ _id: id, ...rest });
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
      }
    });
  }

  claimDeliveries(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    return this.run(async () => {
      // One conditional update per delivery. FerretDB may let two processes both take one
      // (its updates are read-modify-write); that is a second delivery with the same
      // webhook-id, which receivers drop, never a lost one (and only one outcome is written:
      // the lease of the later claim). A disabled endpoint's deliveries stay pending, unclaimed.
      const disabled = await this.models.webhookEndpoints
        .find({ enabled: false }, { _id: 1 })
        .lean();
      const due: Doc = {
        status: 'pending',
        nextAttemptAt: { $lte: now },
        leaseUntil: { $lte: now },
      };
      if (disabled.length > 0) due.endpointId = { $nin: disabled.map((e) => e._id) };
      const claimed: WebhookDelivery[] = [];
      for (let i = 0; i < limit; i++) {
        const document = await this.models.deliveries
          .findOneAndUpdate(
            due,
            { $set: { leaseUntil: now + leaseMs } },
            { new: true, sort: { nextAttemptAt: 1, _id: 1 } },
          )
          .lean();
        if (document === null) break;
        claimed.push(recordOf<WebhookDelivery>(document));
      }
      return claimed;
    });
  }

  finishDelivery(id: string, lease: number, outcome: DeliveryOutcome): Promise<boolean> {
    return this.run(async () => {
      // Only under the lease the claim set: a stale attempt writes nothing.
      const result = await this.models.deliveries.updateOne(
        { _id: id, leaseUntil: lease },
        { $set: { ...outcome, leaseUntil: 0 } },
      );
      return result.matchedCount === 1;
    });
  }

  getDelivery(id: string): Promise<WebhookDelivery | null> {
    return this.run(async () => {
      const document = await this.models.deliveries.findById(id).lean();
      return document === null ? null : recordOf<WebhookDelivery>(document);
    });
  }

  listDeliveries(endpointId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.run(async () => {
      const documents = await this.models.deliveries
        .find({ endpointId })
        .sort({ createdAt: -1, _id: 1 })
        .limit(limit)
        .lean();
      return documents.map((d) => recordOf<WebhookDelivery>(d));
    });
  }

  resendDelivery(id: string, now: number): Promise<boolean> {
    return this.run(async () => {
      // A live lease is an attempt in flight: left alone (its outcome is the one that counts).
      const result = await this.models.deliveries.updateOne(
        { _id: id, leaseUntil: { $lte: now } },
        { $set: { status: 'pending', nextAttemptAt: now, leaseUntil: 0, deliveredAt: null } },
      );
      if (result.matchedCount === 1) return true;
      const held = await this.models.deliveries.findById(id, { leaseUntil: 1 }).lean();
      if (held === null) return false;
      throw new DeliveryInFlightError(id, (held as Doc).leaseUntil as number, now);
    });
  }

  sweepWebhooks(before: number, limit: number): Promise<{ deliveries: number; events: number }> {
    return this.run(async () => {
      // A delivered or failed delivery's nextAttemptAt is when its last attempt ended.
      const done = await this.models.deliveries
        .find(
          { status: { $in: ['delivered', 'failed'] }, nextAttemptAt: { $lt: before } },
          { _id: 1 },
        )
        .sort({ nextAttemptAt: 1 })
        .limit(limit)
        .lean();
      const deliveries =
        done.length === 0
          ? 0
          : (await this.models.deliveries.deleteMany({ _id: { $in: done.map((d) => d._id) } }))
              .deletedCount;
      // Old events fanned out, a page at a time (at most ten), less those a delivery still
      // refers to (pending, or not yet old enough to go).
      let events = 0;
      let after: { at: number; id: string } | null = null;
      for (let page = 0; page < 10 && events < limit; page++) {
        const query: Doc = { fannedOut: true, at: { $lt: before } };
        if (after !== null) {
          query.$or = [{ at: { $gt: after.at } }, { at: after.at, _id: { $gt: after.id } }];
        }
        const candidates = (await this.models.outbox
          .find(query, { _id: 1, at: 1 })
          .sort({ at: 1, _id: 1 })
          .limit(limit)
          .lean()) as Doc[];
        if (candidates.length === 0) break;
        const ids = candidates.map((c) => c._id as string);
        const referred = new Set(
          (await this.models.deliveries.find({ eventId: { $in: ids } }, { eventId: 1 }).lean()).map(
            (d) => (d as Doc).eventId as string,
          ),
        );
        const gone = ids.filter((id) => !referred.has(id)).slice(0, limit - events);
        if (gone.length > 0) {
          // Fanned out and unreferenced now: a fan-out never runs again for it.
          events += (await this.models.outbox.deleteMany({ _id: { $in: gone }, fannedOut: true }))
            .deletedCount;
        }
        const last = candidates[candidates.length - 1]!;
        after = { at: last.at as number, id: last._id as string };
        if (candidates.length < limit) break;
      }
      return { deliveries, events };
    });
  }
}
