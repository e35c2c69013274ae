// Stores a transaction, retrying when another writer took the same position in a license's
// log first: the transaction is rebuilt from the records as they are now and tried again.

import { ConcurrentUpdateError } from '../errors.js';
import type { Transaction } from '../types.js';
import type { IssuerContext } from './context.js';

const ATTEMPTS = 8;

export type Committed =
  | { status: 'committed'; transaction: Transaction }
  | { status: 'challenge-used'; existing: Transaction };

export async function commitWithRetry(
  context: IssuerContext,
  subject: string,
  build: () => Promise<Transaction>,
): Promise<Committed> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const transaction = await build();
    const outcome = await context.store.commitTransaction(transaction);
    if (outcome.status === 'committed') {
      return { status: 'committed', transaction: { ...transaction, applied: true } };
    }
    if (outcome.status === 'challenge-used') return outcome;
  }
  throw new ConcurrentUpdateError(subject);
}
