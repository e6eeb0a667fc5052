// The OpenAPI 3.1 document, generated from the route registry and the zod schemas (z.toJSONSchema).
// Free of Deno APIs: scripts/gen-api-docs.ts builds it under Node.
import * as z from 'zod';
import { formatBytes, MAX_BODY_BYTES, openApiPath, problemStatuses, type RouteSpec } from './registry.ts';

export const API_VERSION = '1.0.0';

type Json = Record<string, unknown>;

const TITLES: Record<number, string> = {
  400: 'Malformed request (bad JSON, a key given twice)',
  401: 'Missing or invalid token, or its session has ended (session_expired)',
  403: 'Your role does not allow this',
  404: 'Not found (or not visible to you)',
  405: 'Method not allowed',
  409: 'Conflict (duplicate slug, last owner, concurrent change)',
  412: 'If-Match does not match the current ETag',
  415: 'Body is not JSON',
  422: 'Validation failed',
  429: 'Too many requests (rate limit, requests in flight, sign-in attempts)',
  503: 'Database unavailable (database_unavailable) or too slow (timeout); retry after Retry-After',
};

const HEADER_SPECS: Record<string, Json> = {
  ETag: { description: 'The revision of the brand DNA, for If-Match.', schema: { type: 'string' } },
  Location: { description: 'URL of the created resource.', schema: { type: 'string' } },
  'RateLimit-Limit': { description: 'Requests allowed in the current window.', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in the current window.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: { type: 'integer' } },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
  'WWW-Authenticate': { description: 'Bearer challenge (error="invalid_token" for a bad token).', schema: { type: 'string' } },
  'X-Request-Id': { description: 'The request id (also in problem bodies).', schema: { type: 'string' } },
};

/** Formats say it already; the long date-time and uuid patterns only bloat the document. */
function dropFormatPatterns(ctx: { jsonSchema: Json }): void {
  if (ctx.jsonSchema.format && ctx.jsonSchema.pattern) delete ctx.jsonSchema.pattern;
}

function strip(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function componentRef(schema: z.ZodType): Json {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error('every request and response body schema needs an id in its metadata');
  return { $ref: `#/components/schemas/${id}` };
}

function inlineSchema(schema: z.ZodType): Json {
  return strip(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12', override: dropFormatPatterns }) as Json);
}

function shapeOf(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  if (!schema) return {};
  if (!(schema instanceof z.ZodObject)) throw new Error('params and query schemas must be zod objects');
  return schema.shape as Record<string, z.ZodType>;
}

function parameters(spec: RouteSpec): Json[] {
  const list: Json[] = [];
  for (const [location, schema] of [['path', spec.params], ['query', spec.query]] as const) {
    for (const [name, field] of Object.entries(shapeOf(schema))) {
      const { description, ...fieldSchema } = inlineSchema(field);
      list.push({
        name,
        in: location,
        required: location === 'path' || !field.safeParse(undefined).success,
        ...(description ? { description } : {}),
        schema: fieldSchema,
      });
    }
  }
  if (spec.ifMatch) {
    list.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'The ETag you read; the change is refused with 412 when the brand DNA changed since.',
      schema: { type: 'string' },
    });
  }
  return list;
}

function rateLimitHeaders(): Json {
  return { 'RateLimit-Limit': HEADER_SPECS['RateLimit-Limit'], 'RateLimit-Remaining': HEADER_SPECS['RateLimit-Remaining'], 'RateLimit-Reset': HEADER_SPECS['RateLimit-Reset'], 'X-Request-Id': HEADER_SPECS['X-Request-Id'] };
}

function responses(spec: RouteSpec): Json {
  const out: Json = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    const headers: Json = rateLimitHeaders();
    for (const name of response.headers ?? []) if (name !== 'RateLimit') headers[name] = HEADER_SPECS[name];
    out[status] = {
      description: response.description,
      headers,
      ...(response.schema
        ? { content: { 'application/json': { schema: componentRef(response.schema) } } }
        : response.contentType
          ? { content: { [response.contentType]: { schema: { type: 'string' } } } }
          : {}),
    };
  }
  for (const status of problemStatuses(spec)) {
    const headers: Json = rateLimitHeaders();
    if (status === 429 || status === 503) headers['Retry-After'] = HEADER_SPECS['Retry-After'];
    if (status === 401) headers['WWW-Authenticate'] = HEADER_SPECS['WWW-Authenticate'];
    out[String(status)] = {
      description: status === 413 ? `Body larger than ${formatBytes(spec.maxBodyBytes ?? MAX_BODY_BYTES)}` : (TITLES[status] ?? 'Problem'),
      headers,
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return out;
}

function security(spec: RouteSpec): Json[] {
  if (spec.auth === 'none') return [];
  if (spec.auth === 'optional') return [{}, { bearerAuth: [] }];
  return [{ bearerAuth: [] }];
}

export function buildOpenApiDocument(routes: RouteSpec[]): Json {
  const paths: Record<string, Json> = {};
  for (const spec of routes) {
    const path = `/api${openApiPath(spec.path)}`;
    const item = (paths[path] ??= {});
    if (item[spec.method]) throw new Error(`route ${spec.method.toUpperCase()} ${spec.path} is declared twice`);
    item[spec.method] = {
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      security: security(spec),
      ...(parameters(spec).length > 0 ? { parameters: parameters(spec) } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: componentRef(spec.body) } } } } : {}),
      responses: responses(spec),
    };
  }
  const registry = z.toJSONSchema(z.globalRegistry, {
    uri: (id) => `#/components/schemas/${id}`,
    io: 'output',
    unrepresentable: 'any',
    override: dropFormatPatterns,
  }) as { schemas: Record<string, Json> };
  const schemas = Object.fromEntries(
    Object.entries(registry.schemas)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, schema]) => [id, strip(schema)]),
  );
  const tags = [...new Set(routes.map((r) => r.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tekton Studio API',
      version: API_VERSION,
      description:
        'REST API of Tekton Studio: workspaces and roles, Brand DNA (five personality axes from 0 to 1) with versions, and presets. ' +
        'JSON is camelCase; errors are application/problem+json (RFC 9457) with a stable `code`. Requests run as the caller under ' +
        'row level security: send a Supabase Auth access token as `Authorization: Bearer …` (no token = anon). Brand DNA responses ' +
        'carry an ETag (the revision); send it back in If-Match on PUT/PATCH/DELETE to get 412 instead of overwriting a teammate\'s ' +
        'change. Every response carries RateLimit-Limit/-Remaining/-Reset; 429 comes with Retry-After.',
    },
    servers: [{ url: '/functions/v1', description: 'The `api` Edge Function of the Supabase project serving this document (SUPABASE_URL/functions/v1).' }],
    tags,
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Supabase Auth access token (or the anon / service-role key).' },
      },
    },
  };
}
