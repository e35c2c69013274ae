// Webhook endpoints, for admins: register one (URL and the events it wants; the signing secret
// is in this answer and on the endpoint's page for admins), change or disable it, read its
// delivery log (status, attempts, response time, last error) and resend a delivery.
import { randomBytes } from 'node:crypto';
import { WEBHOOK_EVENT_TYPES } from '@licensor/issuer';
import { newId } from '@licensor/token';
import { z } from 'zod';
import { NotFoundError } from '../../http/portal-errors.js';
import { checkWebhookUrl } from '../../webhooks/url-rules.js';
import { auditPortalEvent } from '../deps.js';
import { apiSchemas } from '../openapi.js';
import { defineRoute } from '../route.js';
import { listOf } from '../schemas/answers.js';
import { ms } from '../schemas/records.js';

const EventType = z.enum(WEBHOOK_EVENT_TYPES);

export const WebhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    events: z.array(EventType),
    enabled: z.boolean(),
    createdAt: ms(),
    createdBy: z.string(),
    updatedAt: ms(),
    previousSecretUntil: ms()
      .nullable()
      .optional()
      .describe(
        'After a secret rotation: until then the replaced secret signs too (two signatures).',
      ),
  })
  .register(apiSchemas, { id: 'WebhookEndpoint' });

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    eventId: z.string().describe('The webhook-id header: the same on every attempt and resend.'),
    eventType: EventType,
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    createdAt: ms(),
    nextAttemptAt: ms(),
    lastAttemptAt: ms().nullable(),
    lastStatus: z.number().int().nullable().describe('HTTP status of the last answer.'),
    lastDurationMs: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: ms().nullable(),
  })
  .register(apiSchemas, { id: 'WebhookDelivery' });

const EndpointParams = z.object({ endpointId: z.string().regex(/^whe_[A-Za-z0-9_-]{1,40}$/) });
const Url = z.string().trim().min(1).max(2000);
const Events = z.array(EventType).min(1, 'Choose at least one event.');

/** The endpoint without its secrets (the current one, and the one a rotation replaced). */
function publicEndpoint<T extends { secret: string; previousSecret?: string | null }>(
  endpoint: T,
): Omit<T, 'secret' | 'previousSecret'> {
  const { secret: _secret, previousSecret: _previous, ...rest } = endpoint;
  return rest;
}

/** A new Standard Webhooks signing secret. */
function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export const listWebhookEventTypes = defineRoute({
  method: 'get',
  path: '/webhooks/event-types',
  operationId: 'listWebhookEventTypes',
  summary: 'The event types an endpoint can choose.',
  tag: 'webhooks',
  access: 'admin',
  sessionOnly: true,
  response: z.object({ items: z.array(EventType) }),
  handle() {
    return { items: [...WEBHOOK_EVENT_TYPES] };
  },
});

export const listWebhooks = defineRoute({
  method: 'get',
  path: '/webhooks',
  operationId: 'listWebhooks',
  summary: 'Webhook endpoints.',
  tag: 'webhooks',
  access: 'admin',
  sessionOnly: true,
  response: listOf(WebhookEndpointSchema),
  async handle({ deps }) {
    const endpoints = await deps.issuer.store.automation.listWebhookEndpoints();
    return { items: endpoints.map(publicEndpoint) };
  },
});

export const createWebhook = defineRoute({
  method: 'post',
  path: '/webhooks',
  operationId: 'createWebhook',
  summary:
    'Register an endpoint. Only http(s) URLs that are not this portal; the answer carries the ' +
    'signing secret (whsec_…) a receiver verifies signatures with.',
  tag: 'webhooks',
  access: 'admin',
  sessionOnly: true,
  status: 201,
  errors: [422],
  body: z.object({ url: Url, events: Events, description: z.string().trim().max(200).default('') }),
  response: z.object({ endpoint: WebhookEndpointSchema, secret: z.string() }),
  async handle({ body, deps, session, req }) {
    const url = checkWebhookUrl(body.url, deps.webhookRules(req));
    const now = deps.now();
    const endpoint = {
      id: newId('whe'),
      url,
      description: body.description,
      events: [...new Set(body.events)],
      secret: newSecret(),
      enabled: true,
      createdAt: now,
      createdBy: session!.userName,
      updatedAt: now,
    };
    await deps.issuer.store.automation.insertWebhookEndpoint(endpoint);
    await auditPortalEvent(deps, session!.userName, 'webhook.create', endpoint.id, {
      url,
      events: endpoint.events,
    });
    return { endpoint: publicEndpoint(endpoint), secret: endpoint.secret };
  },
});

export const getWebhookSecret = defineRoute({
  method: 'get',
  path: '/webhooks/:endpointId/secret',
  operationId: 'getWebhookSecret',
  summary: 'The endpoint’s signing secret, for setting up a receiver (each read is audited).',
  tag: 'webhooks',
  access: 'admin',
  sessionOnly: true,
  errors: [404],
  params: EndpointParams,
  response: z.object({ secret: z.string() }),
  async handle({ params, deps, session }) {
    const endpoint = await deps.issuer.store.automation.getWebhookEndpoint(params.endpointId);
    if (endpoint === null) throw new NotFoundError(`Webhook endpoint ${params.endpointId}`);
    await auditPortalEvent(deps, session!.userName, 'webhook.secret-read', endpoint.id, {});
    return { secret: endpoint.secret };
  },
});

export const rotateWebhookSecret = defineRoute({
  method: 'post',
  path: '/webhooks/:endpointId/secret/rotate',
  operationId: 'rotateWebhookSecret',
  summary:
    'A new signing secret. For overlapHours (default 24, 0 to 168) the replaced one signs too: ' +
    'each delivery carries both signatures, so the receiver can switch without a gap.',
  tag: 'webhooks',
  access: 'admin',
  sessionOnly: true,
  errors: [404],
  params: EndpointParams,
  body: z.object({
    overlapHours: z.number().int().min(0).max(168).default(24),
  }),
  response: z.object({ secret: z.string(), previousSecretUntil: ms().nullable() }),
  async handle({ params, body, deps, session }) {
    const { automation } = deps.issuer.store;
    const endpoint = await automation.getWebhookEndpoint(params.endpointId);
    if (endpoint === null) throw new NotFoundError(`Webhook endpoint ${params.endpointId}`);
    const now = deps.now();
    const until = body.overlapHours === 0 ? null : now + body.overlapHours * 3_600_000;
    const secret = newSecret();
    await automation.updateWebhookEndpoint(endpoint.id, {
      secret,
      previousSecret: until === null ? null : endpoint.secret,
      previousSecretUntil: until,
      updatedAt: now,
    });
    await auditPortalEvent(deps, session!.userName, 'webhook.secret-rotate', endpoint.id, {
      overlapHours: body.overlapHours,
    });
    return { secret, previousSecretUntil: until };
  },
});

export const updateWebhook = defineRoute({
  method: 'patch',
  path: '/webhooks/:endpointId',
  operationId: 'updateWebhook',
  summary: 'Change an endpoint’s URL, events or description, or disable / enable it.',
  tag: 'webhooks',
  access: 'admin',
  sessionOnly: true,
  errors: [404, 422],
  params: EndpointParams,
  body: z
    .object({
      url: Url.optional(),
      events: Events.optional(),
      description: z.string().trim().max(200).optional(),
      enabled: z.boolean().optional(),
    })
    .refine((b) => Object.values(b).some((v) => v !== undefined), {
      message: 'Send url, events, description or enabled.',
    }),
  response: WebhookEndpointSchema,
  async handle({ params, body, deps, session, req }) {
    const { automation } = deps.issuer.store;
    if ((await automation.getWebhookEndpoint(params.endpointId)) === null) {
      throw new NotFoundError(`Webhook endpoint ${params.endpointId}`);
    }
    const url =
      body.url === undefined ? undefined : checkWebhookUrl(body.url, deps.webhookRules(req));
    const patch = {
      updatedAt: deps.now(),
      ...(url === undefined ? {} : { url }),
      ...(body.events === undefined ? {} : { events: [...new Set(body.events)] }),
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
    };
    await automation.updateWebhookEndpoint(params.endpointId, patch);
    const { updatedAt: _at, ...changed } = patch;
    await auditPortalEvent(deps, session!.userName, 'webhook.update', params.endpointId, changed);
    return publicEndpoint((await automation.getWebhookEndpoint(params.endpointId))!);
  },
});

export const listWebhookDeliveries = defineRoute({
  method: 'get',
  path: '/webhooks/:endpointId/deliveries',
  operationId: 'listWebhookDeliveries',
  summary:
    'The endpoint’s delivery log, newest first: status, attempts, response time, last error.',
  tag: 'webhooks',
  access: 'admin',
  sessionOnly: true,
  errors: [404],
  params: EndpointParams,
  query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
  response: listOf(WebhookDeliverySchema),
  async handle({ params, query, deps }) {
    const { automation } = deps.issuer.store;
    if ((await automation.getWebhookEndpoint(params.endpointId)) === null) {
      throw new NotFoundError(`Webhook endpoint ${params.endpointId}`);
    }
    return { items: await automation.listDeliveries(params.endpointId, query.limit) };
  },
});

export const resendWebhookDelivery = defineRoute({
  method: 'post',
  path: '/webhooks/:endpointId/deliveries/:deliveryId/resend',
  operationId: 'resendWebhookDelivery',
  summary:
    'Send a delivery again now (same webhook-id), whatever its status; 409 while an attempt is sending it.',
  tag: 'webhooks',
  access: 'admin',
  sessionOnly: true,
  errors: [404, 409],
  params: EndpointParams.extend({ deliveryId: z.string().regex(/^dlv_[A-Za-z0-9_-]{1,40}$/) }),
  response: WebhookDeliverySchema,
  async handle({ params, deps, session }) {
    const { automation } = deps.issuer.store;
    const delivery = await automation.getDelivery(params.deliveryId);
    if (delivery === null || delivery.endpointId !== params.endpointId) {
      throw new NotFoundError(`Delivery ${params.deliveryId}`);
    }
    await automation.resendDelivery(delivery.id, deps.now());
    await auditPortalEvent(deps, session!.userName, 'webhook.resend', params.endpointId, {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
    });
    return (await automation.getDelivery(delivery.id))!;
  },
});
