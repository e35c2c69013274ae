// Customers: the list (a page by name, or those whose name starts with a search), one customer,
// and renaming one (the new name reaches installations in their next key).
import { customerCursor, pageOfRows } from '@licensor/issuer';
import { z } from 'zod';
import { NotFoundError } from '../../http/portal-errors.js';
import { defineRoute } from '../route.js';
import { cursorQuery, pageOf } from '../schemas/answers.js';
import { CustomerSchema } from '../schemas/records.js';

const CustomerIdParams = z.object({ customerId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

export const listCustomers = defineRoute({
  method: 'get',
  path: '/customers',
  operationId: 'listCustomers',
  summary: 'Customers by name, a page at a time; `q` finds those whose name starts with it.',
  tag: 'customers',
  access: 'viewer',
  query: z.object({
    q: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe(
        'Only customers whose name starts with this (ASCII letters case folded): a range on ' +
          'the name index, as cheap as a page.',
      ),
    limit: z.coerce.number().int().min(1).max(1000).default(500),
    cursor: cursorQuery,
  }),
  response: pageOf(CustomerSchema),
  async handle({ query, deps }) {
    const rows = await deps.issuer.listCustomers({
      limit: query.limit + 1,
      ...(query.q === undefined ? {} : { q: query.q }),
      ...(query.cursor === undefined ? {} : { after: query.cursor }),
    });
    return pageOfRows(rows, query.limit, customerCursor);
  },
});

export const getCustomer = defineRoute({
  method: 'get',
  path: '/customers/:customerId',
  operationId: 'getCustomer',
  summary: 'One customer (the name a filter by customer shows).',
  tag: 'customers',
  access: 'viewer',
  errors: [404],
  params: CustomerIdParams,
  response: CustomerSchema,
  async handle({ params, deps }) {
    const customer = await deps.issuer.getCustomer(params.customerId);
    if (customer === null) throw new NotFoundError(`Customer ${params.customerId}`);
    return customer;
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
  errors: [404, 409, 422],
  params: CustomerIdParams,
  body: z.object({ name: z.string().trim().min(1).max(200) }),
  response: CustomerSchema,
  handle({ params, body, deps, session }) {
    return deps.issuer.renameCustomer(params.customerId, body.name, session!.userName);
  },
});
