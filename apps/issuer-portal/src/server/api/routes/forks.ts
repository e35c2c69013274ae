// Forks and the audit chain (issue #17): a license's or a plan's fork policy, closing a fork with
// a reason (audited), the audit log's hash chain status and its signed export.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportChunks } from '@licensor/issuer';
import { z } from 'zod';
import { defineRoute } from '../route.js';
import { ForkActionSchema, ForkSchema } from '../schemas/records.js';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const PolicyBody = z.object({
  action: ForkActionSchema.nullable().describe(
    "null: none here (a license then follows its plan's, else the verify service's default, warn).",
  ),
});
const PolicyAnswer = z.object({ forkPolicy: ForkActionSchema.nullable() });

export const setLicenseForkPolicy = defineRoute({
  method: 'put',
  path: '/licenses/:licenseId/fork-policy',
  operationId: 'setLicenseForkPolicy',
  summary: 'What a fork of this license does (audited as license.fork-policy).',
  tag: 'licenses',
  access: 'issuer',
  errors: [404, 422],
  params: z.object({ licenseId: Id }),
  body: PolicyBody,
  response: PolicyAnswer,
  async handle({ params, body, deps, session }) {
    await deps.issuer.forks.setPolicy(params.licenseId, body.action, session!.userName);
    return { forkPolicy: await deps.issuer.forks.getPolicy(params.licenseId) };
  },
});

export const setPlanForkPolicy = defineRoute({
  method: 'put',
  path: '/plans/:plan/fork-policy',
  operationId: 'setPlanForkPolicy',
  summary:
    'What a fork does for every license issued from this plan (id or name) that sets none of its own (audited as plan.fork-policy).',
  tag: 'catalogue',
  access: 'admin',
  errors: [404, 422],
  params: z.object({ plan: z.string().min(1).max(200) }),
  body: PolicyBody,
  response: PolicyAnswer,
  async handle({ params, body, deps, session }) {
    await deps.issuer.forks.setPlanPolicy(params.plan, body.action, session!.userName);
    return { forkPolicy: await deps.issuer.forks.getPlanPolicy(params.plan) };
  },
});

export const getPlanForkPolicy = defineRoute({
  method: 'get',
  path: '/plans/:plan/fork-policy',
  operationId: 'getPlanForkPolicy',
  summary: "A plan's fork policy (null: none, the verify service's default applies).",
  tag: 'catalogue',
  access: 'viewer',
  errors: [404],
  params: z.object({ plan: z.string().min(1).max(200) }),
  response: PolicyAnswer,
  async handle({ params, deps }) {
    return { forkPolicy: await deps.issuer.forks.getPlanPolicy(params.plan) };
  },
});

export const closeFork = defineRoute({
  method: 'post',
  path: '/forks/:forkId/close',
  operationId: 'closeFork',
  summary:
    'Close an open fork (the copy is gone): the chain goes on from the original; the reason goes to the audit log (fork.close).',
  tag: 'licenses',
  access: 'issuer',
  errors: [404, 409, 422],
  params: z.object({ forkId: Id }),
  body: z.object({
    reason: z.string().trim().min(1).max(500).describe('Why (kept in the audit log).'),
  }),
  response: ForkSchema,
  async handle({ params, body, deps, session }) {
    return deps.issuer.forks.close(params.forkId, session!.userName, body.reason);
  },
});

const BreakSchema = z.object({
  seq: z.number().int().describe('The first broken entry (0: the entries before the chain).'),
  id: z.string().nullable(),
  problem: z.enum(['edited', 'link', 'missing', 'order', 'anchor']),
  message: z.string(),
});

export const getAuditChain = defineRoute({
  method: 'get',
  path: '/audit/chain',
  operationId: 'verifyAuditChain',
  summary:
    "Walk the audit log's hash chain from its anchor to the head; names the first edited, deleted or moved entry.",
  tag: 'audit',
  access: 'viewer',
  response: z.object({
    ok: z.boolean(),
    entries: z.number().int(),
    legacy: z.number().int().describe('Entries written before the chain, anchored by entry 1.'),
    head: z.object({ seq: z.number().int(), hash: z.string(), at: z.number().int() }).nullable(),
    anchoredAt: z.number().int().nullable(),
    broken: BreakSchema.nullable(),
    checkedAt: z.number().int(),
  }),
  handle({ deps }) {
    return deps.issuer.audit.verify();
  },
});

export const exportAuditChain = defineRoute({
  method: 'get',
  path: '/audit/chain/export',
  operationId: 'exportAuditChain',
  summary:
    'The audit log as JSON lines closed by a head signed with the active license key (docs/contracts.md §9), ' +
    'for scripts/verify-audit-export.mjs. 409 ERR_AUDIT_CHAIN_BROKEN when the chain is broken.',
  tag: 'audit',
  access: 'viewer',
  errors: [409, 503],
  response: z.string().describe('The file (JSON lines), not JSON.'),
  contentTypes: ['application/x-ndjson'],
  async handle({ deps, res }) {
    // The whole chain is checked and the head signed before the status is sent: a broken chain
    // is a 409 with no byte of the file.
    const exported = await deps.issuer.audit.export();
    const day = new Date(deps.now()).toISOString().slice(0, 10);
    res.status(200);
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="licensor-audit-${day}.jsonl"`);
    // Then the lines as they are read, a page at a time, at the pace the client takes them. An
    // entry changed meanwhile throws before the head line: pipeline destroys the response, the
    // download ends cut short (no terminating chunk) and no verifier accepts what arrived.
    res.flushHeaders();
    try {
      await pipeline(Readable.from(exportChunks(exported)), res);
    } catch (error) {
      // The client went away: nothing to answer.
      if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return '';
      throw error;
    }
    return '';
  },
});
