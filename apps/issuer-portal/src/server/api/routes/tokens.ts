// API tokens, for admins: make one (its secret is in this answer and nowhere else, ever), list
// them with when each was last used, revoke one (refused from the next request on). Making and
// revoking are in the audit log; a token's own actions are logged under `token:<name>`.
import { z } from 'zod';
import { API_TOKEN_ID_PATTERN, createApiToken, publicToken } from '../../auth/api-tokens.js';
import { NotFoundError } from '../../http/portal-errors.js';
import { auditPortalEvent } from '../deps.js';
import { apiSchemas } from '../openapi.js';
import { defineRoute } from '../route.js';
import { listOf } from '../schemas/answers.js';
import { ms } from '../schemas/records.js';

export const ApiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(['issuer', 'viewer']),
    createdAt: ms(),
    createdBy: z.string(),
    expiresAt: ms().nullable(),
    lastUsedAt: ms().nullable().describe('To the minute.'),
    revokedAt: ms().nullable(),
    revokedBy: z.string().nullable(),
  })
  .register(apiSchemas, { id: 'ApiToken' });

const TokenIdParams = z.object({ tokenId: z.string().regex(API_TOKEN_ID_PATTERN) });

export const listTokens = defineRoute({
  method: 'get',
  path: '/tokens',
  operationId: 'listTokens',
  summary: 'API tokens, newest first, with when each was last used (never their secrets).',
  tag: 'tokens',
  access: 'admin',
  sessionOnly: true,
  response: listOf(ApiTokenSchema),
  async handle({ deps }) {
    const tokens = await deps.issuer.store.automation.listApiTokens();
    return { items: tokens.map(publicToken) };
  },
});

export const createToken = defineRoute({
  method: 'post',
  path: '/tokens',
  operationId: 'createToken',
  summary:
    'Make an API token for automation. The answer carries its secret, shown this once: ' +
    'send it as `Authorization: Bearer <secret>`.',
  tag: 'tokens',
  access: 'admin',
  sessionOnly: true,
  errors: [409],
  status: 201,
  body: z.object({
    name: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/, 'Use 1-64 letters, digits, spaces or . _ @ -'),
    role: z.enum(['issuer', 'viewer']).default('viewer').describe('Never admin.'),
    expiresInDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('Omit for a token that lasts until revoked.'),
  }),
  response: z.object({
    token: ApiTokenSchema,
    secret: z.string().describe('The bearer value; shown once, stored only as a hash.'),
  }),
  async handle({ body, deps, session }) {
    const now = deps.now();
    const expiresAt =
      body.expiresInDays === undefined ? null : now + body.expiresInDays * 86_400_000;
    const { record, secret } = await createApiToken(
      deps.issuer.store,
      { name: body.name, role: body.role, expiresAt, createdBy: session!.userName },
      now,
    );
    await auditPortalEvent(deps, session!.userName, 'token.create', record.id, {
      name: record.name,
      role: record.role,
      expiresAt,
    });
    return { token: publicToken(record), secret };
  },
});

export const revokeToken = defineRoute({
  method: 'post',
  path: '/tokens/:tokenId/revoke',
  operationId: 'revokeToken',
  summary: 'Revoke an API token: refused from the next request on. Revoking twice is harmless.',
  tag: 'tokens',
  access: 'admin',
  sessionOnly: true,
  errors: [404],
  params: TokenIdParams,
  response: ApiTokenSchema,
  async handle({ params, deps, session }) {
    const { automation } = deps.issuer.store;
    if ((await automation.getApiToken(params.tokenId)) === null) {
      throw new NotFoundError(`API token ${params.tokenId}`);
    }
    if (await automation.revokeApiToken(params.tokenId, deps.now(), session!.userName)) {
      const revoked = (await automation.getApiToken(params.tokenId))!;
      await auditPortalEvent(deps, session!.userName, 'token.revoke', revoked.id, {
        name: revoked.name,
      });
    }
    return publicToken((await automation.getApiToken(params.tokenId))!);
  },
});
