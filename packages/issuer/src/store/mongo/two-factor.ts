// The two-factor port on MongoDB: TOTP enrolments, recovery code hashes, used codes and the
// portal-wide policy, each write one document. A used code is a unique insert (its _id is the
// user and the use), never a counter or a compare-and-set, so two portal processes racing on
// one code cannot both accept it (FerretDB loses racing updates to one document; a duplicate
// _id it always refuses).

import { type Connection, Schema } from 'mongoose';
import {
  STEPS_KEPT,
  type TwoFactorPolicyRecord,
  type TwoFactorRecord,
  type TwoFactorStore,
} from '../two-factor-port.js';
import { isDuplicateKey } from './mongo-errors.js';

const options = { versionKey: false, autoIndex: false, strict: true, minimize: false } as const;
const { Mixed } = Schema.Types;

const twoFactor = new Schema(
  {
    _id: { type: String, required: true },
    state: { type: String, required: true },
    secret: { type: Mixed, required: true },
    createdAt: { type: Number, required: true },
    enabledAt: { type: Number, default: null },
  },
  { ...options, collection: 'two_factor' },
);
twoFactor.index({ state: 1 });

const recoveryCode = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    hash: { type: String, required: true },
  },
  { ...options, collection: 'two_factor_recovery_codes' },
);
recoveryCode.index({ userId: 1 });

const codeUse = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    use: { type: String, required: true },
    step: { type: Number, default: null },
    at: { type: Number, required: true },
  },
  { ...options, collection: 'two_factor_uses' },
);
codeUse.index({ userId: 1, step: -1 });

const policy = new Schema(
  {
    _id: { type: String, required: true },
    policy: { type: String, required: true },
    updatedAt: { type: Number, required: true },
    updatedBy: { type: String, required: true },
  },
  { ...options, collection: 'two_factor_policy' },
);

function twoFactorModelsOf(connection: Connection) {
  return {
    twoFactor: connection.model('TwoFactor', twoFactor),
    recoveryCodes: connection.model('TwoFactorRecoveryCode', recoveryCode),
    uses: connection.model('TwoFactorUse', codeUse),
    policy: connection.model('TwoFactorPolicy', policy),
  };
}

type Models = ReturnType<typeof twoFactorModelsOf>;
type Run = <T>(operation: () => Promise<T>) => Promise<T>;
type Doc = Record<string, unknown>;

function recordOf(document: unknown): TwoFactorRecord {
  const { _id, ...rest } = document as Doc;
  return { userId: _id, ...rest } as TwoFactorRecord;
}

export class MongoTwoFactor implements TwoFactorStore {
  private constructor(
    private readonly models: Models,
    private readonly run: Run,
  ) {}

  static async open(connection: Connection, run: Run, prepare: boolean): Promise<MongoTwoFactor> {
    const models = twoFactorModelsOf(connection);
    for (const model of prepare ? Object.values(models) : []) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
    }
    return new MongoTwoFactor(models, run);
  }

  getTwoFactor(userId: string): Promise<TwoFactorRecord | null> {
    return this.run(async () => {
      const document = await this.models.twoFactor.findById(userId).lean();
      return document === null ? null : recordOf(document);
    });
  }

  listTwoFactorEnabled(): Promise<string[]> {
    return this.run(async () => {
      const documents = await this.models.twoFactor
        .find({ state: 'enabled' }, { _id: 1 })
        .sort({ _id: 1 })
        .lean();
      return documents.map((d) => d._id as string);
    });
  }

  putPendingTwoFactor(record: TwoFactorRecord): Promise<boolean> {
    return this.run(async () => {
      const { userId, ...rest } = record;
      const document = { ...rest, state: 'pending', enabledAt: null };
      try {
        await this.models.twoFactor.create({ _id: userId, ...document });
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const result = await this.models.twoFactor.replaceOne(
        { _id: userId, state: 'pending' },
        document,
      );
      return result.matchedCount === 1;
    });
  }

  enableTwoFactor(
    userId: string,
    at: number,
    recoveryCodeHashes: readonly string[],
  ): Promise<boolean> {
    return this.run(async () => {
      const current = await this.models.twoFactor.findById(userId).lean();
      if (current === null || current.state !== 'pending') return false;
      // Codes first: a crash before the state changes leaves a pending enrolment (confirmed
      // again, with new codes), never an enabled one without codes.
      await this.replaceCodes(userId, recoveryCodeHashes);
      const result = await this.models.twoFactor.updateOne(
        { _id: userId, state: 'pending' },
        { $set: { state: 'enabled', enabledAt: at } },
      );
      return result.matchedCount === 1;
    });
  }

  deleteTwoFactor(userId: string): Promise<boolean> {
    return this.run(async () => {
      const result = await this.models.twoFactor.deleteOne({ _id: userId });
      await this.models.recoveryCodes.deleteMany({ userId });
      await this.models.uses.deleteMany({ userId });
      return result.deletedCount === 1;
    });
  }

  replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    return this.run(() => this.replaceCodes(userId, hashes));
  }

  private async replaceCodes(userId: string, hashes: readonly string[]): Promise<void> {
    await this.models.recoveryCodes.deleteMany({ userId });
    if (hashes.length === 0) return;
    await this.models.recoveryCodes.insertMany(
      [...new Set(hashes)].map((hash) => ({ _id: `${userId}:${hash}`, userId, hash })),
    );
  }

  listRecoveryCodes(userId: string): Promise<{ hash: string; used: boolean }[]> {
    return this.run(async () => {
      const codes = await this.models.recoveryCodes.find({ userId }).sort({ hash: 1 }).lean();
      const uses = await this.models.uses
        .find({ userId, use: { $in: codes.map((c) => `recovery:${c.hash}`) } }, { use: 1 })
        .lean();
      const used = new Set(uses.map((u) => u.use));
      return codes.map((c) => ({ hash: c.hash, used: used.has(`recovery:${c.hash}`) }));
    });
  }

  lastTotpStep(userId: string): Promise<number | null> {
    return this.run(async () => {
      const [latest] = await this.models.uses
        .find({ userId, step: { $ne: null } })
        .sort({ step: -1 })
        .limit(1)
        .lean();
      return (latest?.step as number | null | undefined) ?? null;
    });
  }

  claimCodeUse(userId: string, use: string, at: number, step: number | null): Promise<boolean> {
    return this.run(async () => {
      try {
        await this.models.uses.create({ _id: `${userId}:${use}`, userId, use, step, at });
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
      if (step !== null) {
        await this.models.uses.deleteMany({ userId, step: { $lt: step - STEPS_KEPT } });
      }
      return true;
    });
  }

  getTwoFactorPolicy(): Promise<TwoFactorPolicyRecord | null> {
    return this.run(async () => {
      const document = await this.models.policy.findById('policy').lean();
      if (document === null) return null;
      const { _id: _p, ...rest } = document as Doc;
      return rest as unknown as TwoFactorPolicyRecord;
    });
  }

  setTwoFactorPolicy(record: TwoFactorPolicyRecord): Promise<void> {
    return this.run(async () => {
      await this.models.policy.replaceOne({ _id: 'policy' }, record, { upsert: true });
    });
  }
}
