// Approval requests: challenges the vendor must approve before a key is issued (a model
// switch, a move to another installation). Approving signs the key; rejecting records why.
import { z } from 'zod';
import { NotFoundError } from '../../http/portal-errors.js';
import { definedOnly } from '../deps.js';
import { defineRoute } from '../route.js';
import { IssueAnswerSchema, listOf } from '../schemas/answers.js';
import {
  ApprovalRequestSchema,
  CredentialsSchema,
  GraceDaysSchema,
  TermDaysSchema,
  TermsSchema,
} from '../schemas/records.js';
import { issueAnswer } from './challenges.js';

const RequestIdParams = z.object({ requestId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

export const listRequests = defineRoute({
  method: 'get',
  path: '/requests',
  operationId: 'listRequests',
  summary: 'Approval requests, newest first; by default the pending ones.',
  tag: 'requests',
  access: 'viewer',
  query: z.object({
    status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending'),
    licenseId: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  }),
  response: listOf(ApprovalRequestSchema),
  async handle({ query, deps }) {
    const { status, ...rest } = query;
    const items = await deps.issuer.listRequests(
      definedOnly({ ...rest, status: status === 'all' ? undefined : status }),
    );
    return { items };
  },
});

export const getRequest = defineRoute({
  method: 'get',
  path: '/requests/:requestId',
  operationId: 'getRequest',
  summary: 'One approval request.',
  tag: 'requests',
  access: 'viewer',
  errors: [404],
  params: RequestIdParams,
  response: ApprovalRequestSchema,
  async handle({ params, deps }) {
    const request = await deps.issuer.getRequest(params.requestId);
    if (!request) throw new NotFoundError(`Request ${params.requestId}`);
    return request;
  },
});

export const approveRequest = defineRoute({
  method: 'post',
  path: '/requests/:requestId/approve',
  operationId: 'approveRequest',
  summary:
    "Approve a pending request: signs the key that completes it, with the license's plan and " +
    "entitlements or the plan, add-ons and limits given (within the plan's bounds).",
  tag: 'requests',
  access: 'issuer',
  errors: [404, 409, 422, 503],
  params: RequestIdParams,
  body: z.object({
    credentials: CredentialsSchema.optional(),
    termDays: TermDaysSchema.optional(),
    graceDays: GraceDaysSchema.optional(),
    // The plan and entitlements, as on issue: checked against the plan's bounds by the issuer
    // (422 ERR_TERMS_INVALID naming the field, nothing stored). Left out: the license's own.
    ...TermsSchema.pick({ plan: true, features: true, limits: true }).shape,
  }),
  response: IssueAnswerSchema,
  status: 201,
  async handle({ params, body, deps, session }) {
    const result = await deps.issuer.approveRequest(
      params.requestId,
      session!.userName,
      definedOnly(body),
    );
    return {
      ...issueAnswer(result.token, result.transaction.id, result.keysets),
      license: result.license,
      replayed: result.replayed,
      request: result.request,
    };
  },
});

export const rejectRequest = defineRoute({
  method: 'post',
  path: '/requests/:requestId/reject',
  operationId: 'rejectRequest',
  summary: 'Reject a pending request, with a reason the customer can be told.',
  tag: 'requests',
  access: 'issuer',
  errors: [404, 409],
  params: RequestIdParams,
  body: z.object({ reason: z.string().trim().max(500).optional() }),
  response: ApprovalRequestSchema,
  handle({ params, body, deps, session }) {
    return deps.issuer.rejectRequest(params.requestId, session!.userName, body.reason);
  },
});
