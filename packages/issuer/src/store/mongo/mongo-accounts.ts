// Vendor users on MongoDB: the records beside the transaction log.

import type { VendorUser } from '../../records.js';
import type { MongoModels } from './schemas.js';

type Doc = Record<string, unknown>;

export type UserPatch = Partial<Pick<VendorUser, 'role' | 'disabled' | 'updatedAt'>> & {
  passwordHash?: string;
  passwordOneTime?: boolean;
};

/** A stored user as the record: `passwordOneTime` only when it is set. */
function userOf(document: Doc): Doc {
  const { _id, nameKey: _key, passwordOneTime, ...rest } = document;
  return { id: _id, ...rest, ...(passwordOneTime === true ? { passwordOneTime: true } : {}) };
}

export async function insertUser(
  models: MongoModels,
  user: VendorUser,
  passwordHash: string,
): Promise<void> {
  const { id, ...rest } = user;
  await models.users.create({ _id: id, ...rest, nameKey: user.name.toLowerCase(), passwordHash });
}

export async function getUserByName(
  models: MongoModels,
  name: string,
): Promise<(VendorUser & { passwordHash: string }) | null> {
  const document = await models.users.findOne({ nameKey: name.toLowerCase() }).lean();
  if (document === null) return null;
  return userOf(document as Doc) as unknown as VendorUser & { passwordHash: string };
}

export async function listUsers(models: MongoModels): Promise<VendorUser[]> {
  const documents = await models.users.find({}, { passwordHash: 0, nameKey: 0 }).lean();
  return documents
    .map((d) => userOf(d as Doc) as unknown as VendorUser)
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
}

export async function updateUser(models: MongoModels, id: string, patch: UserPatch): Promise<void> {
  const set: Doc = {};
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) set[key] = value;
  if (Object.keys(set).length > 0) await models.users.updateOne({ _id: id }, { $set: set });
}
