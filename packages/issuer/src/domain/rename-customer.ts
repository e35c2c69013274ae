// `renameCustomer(customerId, name)`: the vendor's record of the customer. Tokens already issued
// keep the name they were signed with; the next token of each license carries the new one.

import { newId } from '@licensor/token';
import { NameTakenError } from '../catalog/errors.js';
import { CustomerNotFoundError } from '../errors.js';
import type { Customer, Operator, Transaction } from '../records.js';
import { commitWithRetry } from './commit.js';
import { checkOperator, type IssuerContext } from './context.js';
import { normaliseTerms } from './terms.js';

/**
 * Refuses `name` for customer `customerId` when another customer has it, exactly or ignoring
 * case (`ERR_NAME_TAKEN` naming that customer). Renaming and issuing under a new name both ask.
 */
export async function refuseNameOfAnother(
  context: IssuerContext,
  customerId: string,
  name: string,
  detail?: string,
): Promise<void> {
  const namesake = await context.store.findCustomerByName(name, customerId);
  if (namesake !== null) throw new NameTakenError('customer', name, namesake, detail);
}

export async function renameCustomer(
  context: IssuerContext,
  customerId: string,
  name: string,
  operator: Operator,
): Promise<Customer> {
  const who = checkOperator(operator);
  const newName = normaliseTerms({
    customerName: name,
    model: 'perpetual',
    credentials: 1,
  }).customerName;
  const before = await context.store.getCustomer(customerId);
  if (before === null) throw new CustomerNotFoundError(customerId);
  if (before.name === newName) return before;
  // Issuing finds a customer by name: two of one name would leave the second unreachable.
  await refuseNameOfAnother(context, customerId, newName);
  const committed = await commitWithRetry(context, `customer ${customerId}`, async () => {
    const customer = await context.store.getCustomer(customerId);
    if (customer === null) throw new CustomerNotFoundError(customerId);
    return renameTransaction(customer, newName, who, context.now());
  });
  if (committed.status !== 'committed') throw new Error('a rename has no challenge');
  return committed.transaction.customerAfter!;
}

/** The transaction that renames `customer` to `newName` (the store commits it as one write). */
export function renameTransaction(
  customer: Customer,
  newName: string,
  operator: string,
  at: number,
): Transaction {
  return {
    id: newId('txn'),
    kind: 'rename-customer',
    at,
    operator,
    licenseId: null,
    customerId: customer.id,
    installationId: null,
    seq: null,
    revision: null,
    challengeHash: null,
    challengeId: null,
    requestId: null,
    terms: null,
    token: null,
    kid: null,
    reason: `renamed from "${customer.name}"`,
    licenseAfter: null,
    customerAfter: { ...customer, name: newName, version: customer.version + 1, updatedAt: at },
    installationAfter: null,
    applied: false,
  };
}
