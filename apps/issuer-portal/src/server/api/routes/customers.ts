// Customers: the list, and renaming one (the new name reaches installations in their next key).
import { customerCursor, pageOfRows } from '@licensor/issuer';
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { cursorQuery, pageOf } from '../schemas/answers.js';
import { CustomerSchema } from '../schemas/records.js';

export const listCustomers = defineRoute({
  method: 'get',
  path: '/customers',
  operationId: 'listCustomers',
  summary: 'Customers by name, a page at a time.',
  tag: 'customers',
  access: 'viewer',
  query: z.object({
    limit: z.coerce.number().int().min(1).max(1000).default(500),
    cursor: cursorQuery,
  }),
  response: pageOf(CustomerSchema),
  async handle({ query, deps }) {
    const rows = await deps.issuer.listCustomers({
      limit: query.limit + 1,
      ...(query.cursor === undefined ? {} : { after: query.cursor }),
    });
    return pageOfRows(rows, query.limit, customerCursor);
  },
});

export const renameCustomer = defineRoute({
  method: 'patch',
  path: '/customers/:customerId',
  operationId: 'renameCustomer',
  summary:
    "Rename a customer in the vendor's records. Licenses and keys already issued keep the name " +
    'they were signed with, and the CMS shows it, until the next key of each license.',
  tag: 'customers',
  access: 'issuer',
  errors: [404, 409],
  params: z.object({ customerId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
  body: z.object({ name: z.string().trim().min(1).max(200) }),
  response: CustomerSchema,
  handle({ params, body, deps, session }) {
    return deps.issuer.renameCustomer(params.customerId, body.name, session!.userName);
  },
});
