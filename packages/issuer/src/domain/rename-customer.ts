// `renameCustomer(customerId, name)`: the vendor's record of the customer. Tokens already issued
// keep the name they were signed with; the next token of each license carries the new one.

import { newId } from '@licensor/token';
import { NameTakenError } from '../catalog/errors.js';
import { CustomerNotFoundError } from '../errors.js';
import type { Customer, Operator } from '../records.js';
import { commitWithRetry } from './commit.js';
import { checkOperator, type IssuerContext } from './context.js';
import { normaliseTerms } from './terms.js';

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
  const namesake = await context.store.findCustomerByName(newName);
  if (namesake !== null && namesake.id !== customerId)
    throw new NameTakenError('customer', newName);
  const committed = await commitWithRetry(context, `customer ${customerId}`, async () => {
    const customer = await context.store.getCustomer(customerId);
    if (customer === null) throw new CustomerNotFoundError(customerId);
    const at = context.now();
    const customerAfter: Customer = {
      ...customer,
      name: newName,
      version: customer.version + 1,
      updatedAt: at,
    };
    return {
      id: newId('txn'),
      kind: 'rename-customer',
      at,
      operator: who,
      licenseId: null,
      customerId,
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
      customerAfter,
      installationAfter: null,
      applied: false,
    };
  });
  if (committed.status !== 'committed') throw new Error('a rename has no challenge');
  return committed.transaction.customerAfter!;
}
