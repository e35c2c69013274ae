// Liveness for load balancers and the start script: answers 200 when the store answers.
import { z } from 'zod';
import { defineRoute } from '../route.js';

export const health = defineRoute({
  method: 'get',
  path: '/health',
  operationId: 'health',
  summary: 'The portal and its store are up.',
  tag: 'meta',
  access: 'public',
  errors: [503],
  response: z.object({ status: z.literal('ok'), store: z.enum(['sqlite', 'mongo']) }),
  async handle({ deps }) {
    await deps.issuer.store.ping();
    return { status: 'ok' as const, store: deps.issuer.store.kind };
  },
});
