// MongoDB connection strings for tests that run the real CLI: the database is chosen by the
// URI path, so each test run gets its own, dropped afterwards.

import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';

export function uniqueDatabaseUri(uri: string, prefix: string): { uri: string; dbName: string } {
  const dbName = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (match === null) throw new Error(`MONGODB_URI is not a mongodb:// URI: ${uri}`);
  return { uri: `${match[1]}/${dbName}${match[2] ?? ''}`, dbName };
}

export async function dropDatabase(uri: string, dbName: string): Promise<void> {
  const connection = await mongoose
    .createConnection(uri, { serverSelectionTimeoutMS: 3000 })
    .asPromise();
  try {
    await connection.useDb(dbName).dropDatabase();
  } finally {
    await connection.close();
  }
}
