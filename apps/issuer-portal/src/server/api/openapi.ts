// Builds the OpenAPI 3.1 document from the route declarations. JSON Schema comes from zod 4's
// z.toJSONSchema on the very schemas the handlers validate with. Schemas registered in
// `apiSchemas` under an id become shared components; everything else is inlined.

import { z } from 'zod';
import { COOKIE_NAME, SECURE_COOKIE_NAME } from '../session/session-manager.js';
import type { RouteSpec } from './route.js';

export const apiSchemas = z.registry<{ id: string; description?: string }>();

type JsonObject = Record<string, unknown>;

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable error code, e.g. ERR_FORBIDDEN or ERR_SIGNATURE_INVALID.'),
      message: z.string().describe('What went wrong and what to do, for a person.'),
      requestId: z.string().describe('Quote it when reporting a problem; it is in the log.'),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      field: z
        .string()
        .optional()
        .describe(
          'The input field a refusal names (ERR_TERMS_INVALID, ERR_PLAN_INVALID, ERR_PRODUCT_INVALID, ERR_INPUT_INVALID): graceDays, credentials.max, addOns[1], …',
        ),
    }),
  })
  .register(apiSchemas, { id: 'Error' });

const STATUS_TEXT: Record<number, string> = {
  400: 'The request does not match the schema (ERR_REQUEST_INVALID).',
  401: 'Not logged in, the session expired, or the API token is not valid (ERR_UNAUTHENTICATED, ERR_SESSION_EXPIRED, ERR_TOKEN_INVALID).',
  403: 'Wrong role, an API token on a route for logged-in users, or a state change without the CSRF token (ERR_FORBIDDEN, ERR_CSRF_INVALID).',
  404: 'No such object.',
  409: 'The object is not in a state that allows this.',
  413: 'Input too large.',
  415: 'State changes must send application/json.',
  422: 'The input was understood and refused, e.g. a challenge that does not verify.',
  429: 'Too many attempts (login rate limit).',
  500: 'Unexpected server error; nothing internal is echoed.',
  503: 'The store is unavailable, the HSM holding the license key cannot sign (ERR_HSM_*), or the portal lacks a secret the operation needs (ERR_PASSPHRASE_REQUIRED: a status key is sealed under LICENSOR_STATUS_KEY_PASSPHRASE); nothing was stored.',
};

export function buildOpenApiDocument(routes: readonly RouteSpec[], version: string): JsonObject {
  // The error body is the component `Error` every error answer refers to.
  const errorDefs = new Map<string, unknown>();
  const error = convert(ErrorBodySchema, 'output', errorDefs);
  const components: Record<string, unknown> = Object.fromEntries(errorDefs);
  if (components.Error === undefined) components.Error = error;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const operation = operationOf(route, components);
    paths[path] = { ...paths[path], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Licensor issuer portal API',
      version,
      description:
        'The REST API behind the issuer portal. Two ways in: an API token an admin made ' +
        '(`Authorization: Bearer lpt_…`, role issuer or viewer, no CSRF token needed), or ' +
        'POST /auth/login (a session cookie) with the returned csrfToken in the X-CSRF-Token ' +
        'header on every POST, PATCH or DELETE. Each operation names the role it needs ' +
        '(x-required-role). A malformed, unknown, expired or revoked token is 401 ' +
        'ERR_TOKEN_INVALID. Errors share one body: {"error":{"code","message","requestId"}}. ' +
        'An empty query parameter (`?since=`) counts as absent.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      schemas: components,
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: COOKIE_NAME,
          description: `The session cookie set at login: ${COOKIE_NAME} over plain HTTP, ${SECURE_COOKIE_NAME} over TLS (Secure, the __Host- prefix). A browser sends whichever it holds.`,
        },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (role issuer or viewer) made by an admin under /tokens.',
        },
      },
    },
    paths,
  };
}

function operationOf(route: RouteSpec, components: Record<string, unknown>): JsonObject {
  const defs = new Map<string, unknown>();
  const parameters = [
    ...parametersOf(route.params, 'path', defs),
    ...parametersOf(route.query, 'query', defs),
  ];
  const success = String(route.status ?? 200);
  const errorStatuses = new Set<number>([500, ...(route.errors ?? [])]);
  if (route.params || route.query || route.body) errorStatuses.add(400);
  if (route.access !== 'public') {
    errorStatuses.add(401);
    errorStatuses.add(403);
  }
  const responses: Record<string, unknown> = {
    [success]: {
      description: 'Success.',
      content: Object.fromEntries(
        (route.contentTypes ?? ['application/json']).map((type) => [
          type,
          { schema: convert(route.response, 'output', defs) },
        ]),
      ),
    },
  };
  for (const status of [...errorStatuses].sort()) {
    responses[String(status)] = {
      description: STATUS_TEXT[status] ?? 'Error.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const operation: JsonObject = {
    operationId: route.operationId,
    summary: route.summary,
    description:
      route.access === 'public'
        ? 'No authentication.'
        : `Role: ${route.access} or above${route.sessionOnly ? ', logged in (not an API token)' : ''}.`,
    tags: [route.tag],
    'x-required-role': route.access,
    responses,
  };
  if (parameters.length > 0) operation.parameters = parameters;
  if (route.body) {
    operation.requestBody = {
      required: true,
      content: { 'application/json': { schema: convert(route.body, 'input', defs) } },
    };
  }
  const session = route.method === 'get' ? { session: [] } : { session: [], csrf: [] };
  operation.security =
    route.access === 'public' ? [] : route.sessionOnly ? [session] : [session, { bearer: [] }];
  for (const [id, schema] of defs) components[id] = schema;
  return operation;
}

function parametersOf(
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  defs: Map<string, unknown>,
): JsonObject[] {
  if (!schema) return [];
  const json = convert(schema, 'input', defs) as {
    properties?: Record<string, JsonObject>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    const parameter: JsonObject = {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      schema: rest,
    };
    if (typeof description === 'string') parameter.description = description;
    return parameter;
  });
}

/** One schema to JSON Schema, with named sub-schemas hoisted into the components. */
function convert(schema: z.ZodType, io: 'input' | 'output', defs: Map<string, unknown>): unknown {
  const json = z.toJSONSchema(schema, {
    io,
    metadata: apiSchemas,
    unrepresentable: 'any',
  }) as JsonObject;
  // The input side of a named schema is a component of its own (`Terms` / `TermsInput`); a
  // schema named for input already (`ProductInput`) keeps its name.
  const nameOf = (id: string) => (io === 'input' && !id.endsWith('Input') ? `${id}Input` : id);
  const local = (json.$defs ?? {}) as Record<string, unknown>;
  delete json.$defs;
  delete json.$schema;
  const rewrite = (value: unknown): unknown =>
    JSON.parse(
      JSON.stringify(value).replace(
        /"#\/\$defs\/([A-Za-z0-9_]+)"/g,
        (_m, id: string) => `"#/components/schemas/${nameOf(id)}"`,
      ),
    );
  for (const [id, def] of Object.entries(local)) defs.set(nameOf(id), rewrite(def));
  const top = rewrite(json) as JsonObject;
  const id = apiSchemas.get(schema)?.id;
  if (id) {
    const ref = `#/components/schemas/${nameOf(id)}`;
    // zod gives a named top-level schema as a $ref to its own entry in $defs (set above); an
    // older zod gave the schema itself. Either way the component is the definition, never a
    // $ref to itself.
    if (top.$ref !== ref) {
      const { id: _ignored, ...rest } = top;
      defs.set(nameOf(id), rest);
    }
    return { $ref: ref };
  }
  return top;
}
