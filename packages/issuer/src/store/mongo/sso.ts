// The single sign-on port on MongoDB: logins in flight (taken once by findOneAndDelete; the
// identity provider's code is single-use besides) and the links from a subject to a portal user
// (a unique insert by _id).

import { type Connection, Schema } from 'mongoose';
import type { SsoIdentity, SsoLoginRecord, SsoStore } from '../sso-port.js';
import { isDuplicateKey } from './mongo-errors.js';

const options = { versionKey: false, autoIndex: false, strict: true, minimize: false } as const;

const ssoLogin = new Schema(
  {
    _id: { type: String, required: true },
    state: { type: String, required: true },
    nonce: { type: String, required: true },
    codeVerifier: { type: String, required: true },
    createdAt: { type: Number, required: true },
  },
  { ...options, collection: 'sso_logins' },
);
ssoLogin.index({ createdAt: 1 });

const ssoIdentity = new Schema(
  {
    _id: { type: String, required: true },
    issuer: { type: String, required: true },
    subject: { type: String, required: true },
    userId: { type: String, required: true },
    linkedAt: { type: Number, required: true },
  },
  { ...options, collection: 'sso_identities' },
);

function ssoModelsOf(connection: Connection) {
  return {
    logins: connection.model('SsoLogin', ssoLogin),
    identities: connection.model('SsoIdentity', ssoIdentity),
  };
}

type Models = ReturnType<typeof ssoModelsOf>;
type Run = <T>(operation: () => Promise<T>) => Promise<T>;

function identityKey(issuer: string, subject: string): string {
  return JSON.stringify([issuer, subject]);
}

export class MongoSso implements SsoStore {
  private constructor(
    private readonly models: Models,
    private readonly run: Run,
  ) {}

  static async open(connection: Connection, run: Run, prepare: boolean): Promise<MongoSso> {
    const models = ssoModelsOf(connection);
    for (const model of prepare ? Object.values(models) : []) {
      await model.createCollection().catch(() => undefined);
      await model.createIndexes();
    }
    return new MongoSso(models, run);
  }

  putSsoLogin(record: SsoLoginRecord): Promise<void> {
    return this.run(async () => {
      const { idHash, ...rest } = record;
      await this.models.logins.replaceOne({ _id: idHash }, rest, { upsert: true });
    });
  }

  takeSsoLogin(idHash: string): Promise<SsoLoginRecord | null> {
    return this.run(async () => {
      const document = await this.models.logins.findOneAndDelete({ _id: idHash }).lean();
      if (document === null) return null;
      const { _id, ...rest } = document;
      return { idHash: _id, ...rest } as SsoLoginRecord;
    });
  }

  sweepSsoLogins(before: number): Promise<number> {
    return this.run(async () => {
      const result = await this.models.logins.deleteMany({ createdAt: { $lt: before } });
      return result.deletedCount;
    });
  }

  getSsoIdentity(issuer: string, subject: string): Promise<SsoIdentity | null> {
    return this.run(async () => {
      const document = await this.models.identities.findById(identityKey(issuer, subject)).lean();
      if (document === null) return null;
      const { _id: _key, ...rest } = document;
      return rest as SsoIdentity;
    });
  }

  linkSsoIdentity(identity: SsoIdentity): Promise<boolean> {
    return this.run(async () => {
      try {
        await this.models.identities.create({
          _id: identityKey(identity.issuer, identity.subject),
          ...identity,
        });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }
}
