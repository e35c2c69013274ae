// A customer name written straight to the store, past the issuer's uniqueness check: what a
// store written before customer names were unique ignoring case may hold ("Acme" beside "acme").

import { renameTransaction } from '../../src/domain/rename-customer.js';
import type { Customer } from '../../src/records.js';
import type { LicensorStore } from '../../src/store/ports.js';

export async function writeCustomerName(
  store: LicensorStore,
  customerId: string,
  name: string,
  at: number,
): Promise<Customer> {
  const customer = await store.getCustomer(customerId);
  if (customer === null) throw new Error(`no customer ${customerId}`);
  const transaction = renameTransaction(customer, name, 'test', at);
  const outcome = await store.commitTransaction(transaction);
  if (outcome.status !== 'committed') throw new Error(`not committed: ${outcome.status}`);
  return transaction.customerAfter!;
}
