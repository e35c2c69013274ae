// Signing keys: see them, rotate (a new active key of a purpose), retire, and the public JWKS
// that every SDK must trust. Rotating and retiring are for admins.
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { listOf } from '../schemas/answers.js';
import { JwksSchema, SigningKeySchema } from '../schemas/records.js';

export const listKeys = defineRoute({
  method: 'get',
  path: '/keys',
  operationId: 'listKeys',
  summary: 'Signing keys (public halves only).',
  tag: 'keys',
  access: 'viewer',
  response: listOf(SigningKeySchema),
  async handle({ deps }) {
    return { items: await deps.issuer.keys.list() };
  },
});

export const exportJwks = defineRoute({
  method: 'get',
  path: '/keys/jwks',
  operationId: 'exportJwks',
  summary:
    'The JWKS of every key not retired: what the SDK trusts. With download=true it comes as ' +
    'an attachment, jwks.json.',
  tag: 'keys',
  access: 'viewer',
  query: z.object({ download: z.enum(['true', 'false']).default('false') }),
  response: JwksSchema,
  async handle({ query, deps, res }) {
    if (query.download === 'true') {
      res.setHeader('Content-Disposition', 'attachment; filename="licensor-jwks.json"');
    }
    return deps.issuer.keys.exportJwks();
  },
});

export const rotateKey = defineRoute({
  method: 'post',
  path: '/keys/rotate',
  operationId: 'rotateKey',
  summary:
    'Make a new active key of a purpose. Older keys stay trusted until retired, so keys ' +
    'already issued keep working; give customers the new JWKS before retiring the old key.',
  tag: 'keys',
  access: 'admin',
  errors: [422, 503],
  body: z.object({
    purpose: z.enum(['license', 'status']),
    hsm: z
      .boolean()
      .default(false)
      .describe(
        'Make the license key inside the HSM the portal is configured with (LICENSOR_PKCS11_*).',
      ),
  }),
  response: SigningKeySchema,
  status: 201,
  handle({ body, deps, session }) {
    return deps.issuer.keys.rotate(body.purpose, session!.userName, { hsm: body.hsm });
  },
});

export const retireKey = defineRoute({
  method: 'post',
  path: '/keys/:kid/retire',
  operationId: 'retireKey',
  summary: 'Retire a key: it signs nothing more and leaves the JWKS.',
  tag: 'keys',
  access: 'admin',
  errors: [404, 409],
  params: z.object({ kid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
  body: z.object({}),
  response: SigningKeySchema,
  handle({ params, deps, session }) {
    return deps.issuer.keys.retire(params.kid, session!.userName);
  },
});
