// The dashboard's read on MongoDB (usage-watch-port.ts): one aggregation over the window's raw
// checks (index `at`), newest first, grouped by license keeping the first of each. FerretDB (the
// tests' MongoDB) lacks $first: there the window's records are read in time order instead.

import type { CheckOutcome } from '@licensor/token';
import type { MongoModels } from './schemas.js';

export interface NewestCheck {
  licenseId: string;
  at: number;
  credentialsInUse: number;
  outcome: CheckOutcome;
}

const FIELDS = { _id: 0, licenseId: 1, at: 1, credentialsInUse: 1, outcome: 1 } as const;

/** MongoDB's NotImplemented (FerretDB answers it for $group accumulators it lacks). */
const NOT_IMPLEMENTED = 238;

export async function newestChecks(models: MongoModels, since: number): Promise<NewestCheck[]> {
  try {
    const groups = await models.checks.aggregate<NewestCheck & { _id: string }>([
      { $match: { at: { $gte: since } } },
      { $sort: { at: -1 } },
      {
        $group: {
          _id: '$licenseId',
          licenseId: { $first: '$licenseId' },
          at: { $first: '$at' },
          credentialsInUse: { $first: '$credentialsInUse' },
          outcome: { $first: '$outcome' },
        },
      },
    ]);
    return groups.map(({ _id, ...newest }) => newest);
  } catch (error) {
    if ((error as { code?: unknown }).code !== NOT_IMPLEMENTED) throw error;
  }
  // A server without $first (FerretDB): the window's records in time order, the newest kept.
  const newest = new Map<string, NewestCheck>();
  const cursor = models.checks
    .find({ at: { $gte: since } }, FIELDS)
    .sort({ at: 1 })
    .lean()
    .cursor();
  for await (const record of cursor) {
    const check = record as unknown as NewestCheck;
    newest.set(check.licenseId, check);
  }
  return [...newest.values()];
}
