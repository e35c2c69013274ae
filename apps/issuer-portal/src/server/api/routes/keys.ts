// Signing keys through their states: see them, rotate (a next key of a purpose, published before
// it signs), activate it, retire, revoke; the public JWKS and the signed key set versions that
// every SDK follows. Changing keys is for admins.
import { ProductNotFoundError } from '@licensor/issuer';
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { listOf } from '../schemas/answers.js';
import {
  JwksSchema,
  KeyActivationSchema,
  KeyRevocationSchema,
  KeysetSchema,
  KeyUsageSchema,
  SigningKeySchema,
  SigningKeyUsageSchema,
} from '../schemas/records.js';

/** A catalogue product by id or name (a product's own license keys, #12.1). */
const ProductParam = z.string().trim().min(1).max(100);

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
    "The JWKS of every key of the vendor's not revoked: what the SDK ships with; with product " +
    "(id or name), that product's own license keys too, marked with its name (what a build of " +
    'that product ships with). With download=true it comes as an attachment, jwks.json.',
  tag: 'keys',
  access: 'viewer',
  errors: [404],
  query: z.object({
    download: z.enum(['true', 'false']).default('false'),
    product: ProductParam.optional(),
  }),
  response: JwksSchema,
  async handle({ query, deps, res }) {
    const jwks = await deps.issuer.keys.exportJwks(query.product);
    if (query.download === 'true') {
      res.setHeader('Content-Disposition', 'attachment; filename="licensor-jwks.json"');
    }
    return jwks;
  },
});

export const rotateKey = defineRoute({
  method: 'post',
  path: '/keys/rotate',
  operationId: 'rotateKey',
  summary:
    'Make a next key of a purpose: published in the signed key set (installations pick it up ' +
    'at their next check) and trusted, not signing until activated.',
  tag: 'keys',
  access: 'admin',
  errors: [404, 422, 503],
  body: z.object({
    purpose: z.enum(['license', 'status']),
    hsm: z
      .boolean()
      .default(false)
      .describe(
        'Make the license key inside the HSM the portal is configured with (LICENSOR_PKCS11_*).',
      ),
    product: ProductParam.optional().describe(
      "A license key of that product's own (catalogue id or name): it signs the licenses that cover that product alone.",
    ),
  }),
  response: SigningKeySchema,
  status: 201,
  handle({ body, deps, session }) {
    return deps.issuer.keys.rotate(body.purpose, session!.userName, {
      hsm: body.hsm,
      ...(body.product === undefined ? {} : { product: body.product }),
    });
  },
});

const KidParams = z.object({ kid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

export const activateKey = defineRoute({
  method: 'post',
  path: '/keys/:kid/activate',
  operationId: 'activateKey',
  summary:
    'The next key signs from now on; the key it replaces is retired (still trusted for what ' +
    'it signed). A license key re-signs every license in force for online delivery. Repeated, ' +
    'it finishes an interrupted activation; once complete (alreadyActive) it only re-signs the ' +
    'licenses the retired key still signs. resigned counts the licenses re-signed.',
  tag: 'keys',
  access: 'admin',
  // 503: a key in an HSM that cannot sign now (ERR_HSM_*) is not activated.
  errors: [404, 409, 503],
  params: KidParams,
  body: z.object({}),
  response: KeyActivationSchema,
  handle({ params, deps, session }) {
    return deps.issuer.keys.activate(params.kid, session!.userName);
  },
});

export const revokeKey = defineRoute({
  method: 'post',
  path: '/keys/:kid/revoke',
  operationId: 'revokeKey',
  summary:
    'Revoke a key (after a compromise): trusted by nobody from the next key set on. The answer ' +
    'lists the licenses whose installations may still depend on it, and how each gets a new key.',
  tag: 'keys',
  access: 'admin',
  errors: [404, 409],
  params: KidParams,
  body: z.object({ reason: z.string().max(1000).optional() }),
  response: KeyRevocationSchema,
  handle({ params, body, deps, session }) {
    return deps.issuer.keys.revoke(params.kid, session!.userName, body.reason);
  },
});

export const listKeysets = defineRoute({
  method: 'get',
  path: '/keys/keysets',
  operationId: 'listKeysets',
  summary:
    "Every version of the signed key set (licensor-keyset+jwt), oldest first; with product (its name), the versions that product's installations walk (its own set where it has one).",
  tag: 'keys',
  access: 'viewer',
  errors: [404],
  query: z.object({ product: ProductParam.optional() }),
  response: listOf(KeysetSchema),
  async handle({ query, deps }) {
    if (query.product === undefined) return { items: await deps.issuer.keys.keysets() };
    // By id or by name in any case, as /keys/jwks and /keys/rotate take it: the versions are
    // kept under the product's stored name, and an unknown product is a 404, not the vendor's.
    const product = await deps.issuer.products.get(query.product);
    if (product === null) throw new ProductNotFoundError(query.product);
    return { items: await deps.issuer.keys.keysets(product.name) };
  },
});

export const keyUsage = defineRoute({
  method: 'get',
  path: '/keys/usage',
  operationId: 'keyUsage',
  summary:
    'What each key signed (license tokens, licenses) and how many installations trust each ' +
    'signed key set version, as their newest check or challenge reported it.',
  tag: 'keys',
  access: 'viewer',
  response: KeyUsageSchema,
  handle({ deps }) {
    return deps.issuer.keys.usage();
  },
});

export const keyUsageOf = defineRoute({
  method: 'get',
  path: '/keys/:kid/usage',
  operationId: 'keyUsageOf',
  summary: 'One key with the license tokens and licenses it signed.',
  tag: 'keys',
  access: 'viewer',
  errors: [404],
  params: KidParams,
  response: SigningKeyUsageSchema,
  handle({ params, deps }) {
    return deps.issuer.keys.usageOf(params.kid);
  },
});

export const retireKey = defineRoute({
  method: 'post',
  path: '/keys/:kid/retire',
  operationId: 'retireKey',
  summary:
    'Confirm a key is retired (activating its successor retires it): it signs nothing more ' +
    'and stays trusted for what it signed until revoked.',
  tag: 'keys',
  access: 'admin',
  errors: [404, 409],
  params: KidParams,
  body: z.object({}),
  response: SigningKeySchema,
  handle({ params, deps, session }) {
    return deps.issuer.keys.retire(params.kid, session!.userName);
  },
});
