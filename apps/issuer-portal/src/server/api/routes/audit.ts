// The audit log, read-only, with the filters a support engineer reaches for.
import { z } from 'zod';
import { definedOnly } from '../deps.js';
import { defineRoute } from '../route.js';
import { listOf } from '../schemas/answers.js';
import { AuditEventSchema } from '../schemas/records.js';

export const listAuditEvents = defineRoute({
  method: 'get',
  path: '/audit',
  operationId: 'listAuditEvents',
  summary: 'Audit events, newest first.',
  tag: 'audit',
  access: 'viewer',
  query: z.object({
    actor: z.string().max(100).optional().describe('User name (or cli:… for the CLI).'),
    action: z.string().max(100).optional().describe('e.g. license.issue, key.rotate.'),
    subjectId: z.string().max(64).optional().describe('License, customer, key or user id.'),
    since: z.coerce.number().int().min(0).optional().describe('Milliseconds since the epoch.'),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  }),
  response: listOf(AuditEventSchema),
  async handle({ query, deps }) {
    return { items: await deps.issuer.listAuditEvents(definedOnly(query)) };
  },
});
