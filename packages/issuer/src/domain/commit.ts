// Stores a transaction, retrying when another writer took the same position in a license's
// log first: `build` is called again (with the attempt number), reads the records as they are
// now, decides again, and the new transaction is tried.

import { ConcurrentUpdateError } from '../errors.js';
import type { TokenTransaction, Transaction } from '../records.js';
import type { IssuerContext } from './context.js';

const ATTEMPTS = 8;

export type Committed<T extends Transaction> =
  | { status: 'committed'; transaction: T }
  | { status: 'challenge-used'; existing: TokenTransaction };

export async function commitWithRetry<T extends Transaction>(
  context: IssuerContext,
  subject: string,
  build: (attempt: number) => Promise<T>,
): Promise<Committed<T>> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const transaction = await build(attempt);
    const outcome = await context.store.commitTransaction(transaction);
    if (outcome.status === 'committed') {
      return { status: 'committed', transaction: { ...transaction, applied: true } };
    }
    if (outcome.status === 'challenge-used') return outcome;
  }
  throw new ConcurrentUpdateError(subject);
}
