import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, makePortal } from '../../../test/helpers.js';
import { buildOpenApiDocument } from './openapi.js';
import { API_ROUTES } from './routes.js';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        security: unknown[];
        responses: Record<string, unknown>;
        requestBody?: { content: { 'application/json': { schema: unknown } } };
        parameters?: { name: string; in: string }[];
      }
    >
  >;
  components: { schemas: Record<string, unknown> };
};

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument(API_ROUTES, 'test') as unknown as Doc;

  it('is OpenAPI 3.1 and lists every route with its method', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const route of API_ROUTES) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      expect(doc.paths[path]?.[route.method], `${route.method} ${path}`).toBeDefined();
    }
  });

  it('documents the CSRF header on every session state change, and 401/403 answers', () => {
    for (const route of API_ROUTES.filter((r) => r.access !== 'public' && r.method !== 'get')) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const operation = doc.paths[path]![route.method]!;
      expect(operation.security[0]).toEqual({ session: [], csrf: [] });
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('declares both security schemes, and for every operation its role and whether a token may call it', () => {
    const schemes = (doc as unknown as { components: { securitySchemes: Record<string, unknown> } })
      .components.securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.session).toMatchObject({ type: 'apiKey', in: 'cookie' });
    // One cookie name per scheme in OpenAPI: the description names the one used over TLS too.
    expect(schemes.session).toMatchObject({ name: 'licensor_portal_sid' });
    expect((schemes.session as { description: string }).description).toContain(
      '__Host-licensor_portal_sid',
    );
    for (const route of API_ROUTES) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const operation = doc.paths[path]![route.method]! as unknown as {
        security: Record<string, unknown>[];
        'x-required-role': string;
      };
      expect(operation['x-required-role'], `${route.method} ${path}`).toBe(route.access);
      const bearer = operation.security.some((s) => 'bearer' in s);
      expect(bearer, `${route.method} ${path}`).toBe(
        route.access !== 'public' && !route.sessionOnly,
      );
    }
    expect(doc.paths['/challenges/issue']!.post!.security).toContainEqual({ bearer: [] });
    expect(doc.paths['/tokens']!.post!.security).not.toContainEqual({ bearer: [] });
  });

  it('derives request bodies and parameters from the validating schemas', () => {
    const issue = doc.paths['/challenges/issue']!.post!;
    expect(issue.requestBody!.content['application/json'].schema).toMatchObject({
      properties: { terms: { $ref: '#/components/schemas/TermsInput' } },
    });
    expect(doc.components.schemas.TermsInput).toMatchObject({
      properties: { credentials: { type: 'integer', minimum: 1 } },
      required: expect.arrayContaining(['customerName', 'model', 'credentials']),
    });
    const licenses = doc.paths['/licenses']!.get!;
    expect(licenses.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['query:state', 'query:model', 'query:expiringWithinDays']),
    );
    const license = doc.paths['/licenses/{licenseId}']!.get!;
    expect(license.parameters).toEqual([
      expect.objectContaining({ name: 'licenseId', in: 'path' }),
    ]);
  });

  it('states the rules the server enforces on product versions and on usage days', () => {
    expect(doc.components.schemas.ProductInput).toMatchObject({
      properties: {
        versions: {
          anyOf: expect.arrayContaining([
            expect.objectContaining({
              type: 'array',
              minItems: 1,
              maxItems: 64,
              items: expect.objectContaining({ type: 'string', pattern: expect.any(String) }),
            }),
          ]),
        },
      },
    });
    const usage = doc.paths['/licenses/{licenseId}/usage']!.get!;
    const from = usage.parameters!.find((p) => p.name === 'from');
    expect(from).toMatchObject({ schema: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } });
  });

  it('has no dangling $ref', () => {
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[A-Za-z0-9_]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const id = ref.slice('"#/components/schemas/'.length, -1);
      expect(doc.components.schemas[id], id).toBeDefined();
    }
  });

  it('defines every component: none is a $ref to itself, none a chain of $refs that ends nowhere', () => {
    const schemas = doc.components.schemas as Record<string, Record<string, unknown>>;
    for (const [id, schema] of Object.entries(schemas)) {
      const seen = new Set<string>([id]);
      let at = schema;
      while (typeof at.$ref === 'string') {
        const next = at.$ref.slice('#/components/schemas/'.length);
        expect(seen.has(next), `${id} refers back to ${next}`).toBe(false);
        seen.add(next);
        at = schemas[next]!;
      }
      const defines = ['type', 'anyOf', 'oneOf', 'allOf', 'enum', 'const'].some((k) => k in at);
      expect(defines, `${id} defines nothing: ${JSON.stringify(schema)}`).toBe(true);
    }
    // What a client reads first: the error body every error answer refers to, and the bodies
    // of POST /products and POST /plans (named for input already: no InputInput).
    expect(schemas.Error).toMatchObject({
      type: 'object',
      properties: {
        error: {
          type: 'object',
          required: expect.arrayContaining(['code', 'message', 'requestId']),
        },
      },
    });
    expect(doc.paths['/products']!.post!.requestBody!.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ProductInput',
    });
    expect(schemas.ProductInput).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['name']),
    });
    expect(schemas.PlanInput).toMatchObject({ type: 'object' });
    expect(Object.keys(schemas).filter((id) => id.endsWith('InputInput'))).toEqual([]);
    // The exports say what they stream, not JSON.
    const types = (path: string) =>
      Object.keys(
        (doc.paths[path]!.get!.responses['200'] as { content: Record<string, unknown> }).content,
      );
    expect(types('/licenses/export')).toEqual(['text/csv', 'application/x-ndjson']);
    expect(types('/audit/export')).toEqual(['text/csv', 'application/x-ndjson']);
    expect(types('/audit/chain/export')).toEqual(['application/x-ndjson']);
    expect(types('/licenses')).toEqual(['application/json']);
  });
});

describe('GET /api/v1/openapi.json', () => {
  let fixture: Fixture;
  beforeEach(async () => {
    fixture = await makePortal();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('serves the document without a session', async () => {
    const response = await request(fixture.app).get('/api/v1/openapi.json').expect(200);
    expect(response.body.info.title).toBe('Licensor issuer portal API');
  });
});
