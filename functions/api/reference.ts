// A flat reading of the OpenAPI document for humans: operations, parameters and schema fields with
// short type labels. The /docs page (HTML) and docs/API.md (Markdown) are both rendered from it.

type Json = Record<string, unknown>;

export interface FieldView {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

export interface OperationView {
  method: string;
  path: string;
  operationId: string;
  summary: string;
  description: string;
  tag: string;
  auth: string;
  parameters: (FieldView & { in: string })[];
  requestBody: string | null;
  responses: { status: string; description: string; body: string }[];
}

export interface SchemaView {
  name: string;
  description: string;
  type: string;
  fields: FieldView[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function refName(ref: unknown): string | null {
  return typeof ref === 'string' ? ref.replace('#/components/schemas/', '') : null;
}

/** A short type label, e.g. `string (uuid)`, `number 0–1`, `Axes`, `array of string`, `string | null`. */
export function typeLabel(schema: unknown): string {
  if (!schema || typeof schema !== 'object') return 'any';
  const s = schema as Json;
  const ref = refName(s.$ref);
  if (ref) return ref;
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[key])) return (s[key] as unknown[]).map(typeLabel).join(' | ');
  }
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  const type = Array.isArray(s.type) ? (s.type as string[]).join(' | ') : (s.type as string | undefined);
  if (type === 'array') return `array of ${typeLabel(s.items)}`;
  if (type === 'number' || type === 'integer') {
    const min = s.minimum ?? s.exclusiveMinimum;
    const max = s.maximum ?? s.exclusiveMaximum;
    const range = min !== undefined && max !== undefined && Number(max) < 1e15 ? ` ${String(min)}–${String(max)}` : '';
    return `${type}${range}`;
  }
  if (type === 'string') {
    const bits = [s.format, s.maxLength !== undefined ? `≤ ${String(s.maxLength)} chars` : undefined].filter(Boolean);
    return bits.length > 0 ? `string (${bits.join(', ')})` : 'string';
  }
  if (type === 'object' && !s.properties) return 'object';
  return type ?? 'any';
}

function fields(schema: Json): FieldView[] {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    type: typeLabel(property),
    required: required.has(name),
    description: String(property.description ?? ''),
  }));
}

function authLabel(security: unknown): string {
  if (!Array.isArray(security) || security.length === 0) return 'none';
  return security.some((entry) => entry && Object.keys(entry as Json).length === 0) ? 'optional bearer token' : 'bearer token';
}

export function operationsOf(doc: Json): OperationView[] {
  const out: OperationView[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const body = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined;
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: String(op.operationId),
        summary: String(op.summary ?? ''),
        description: String(op.description ?? ''),
        tag: String((op.tags as string[] | undefined)?.[0] ?? ''),
        auth: authLabel(op.security),
        parameters: ((op.parameters ?? []) as Json[]).map((p) => ({
          name: String(p.name),
          in: String(p.in),
          type: typeLabel(p.schema),
          required: p.required === true,
          description: String(p.description ?? ''),
        })),
        requestBody: body ? typeLabel(body.schema) : null,
        responses: Object.entries((op.responses ?? {}) as Record<string, Json>).map(([status, response]) => {
          const content = (response.content ?? {}) as Record<string, Json>;
          const [type, media] = Object.entries(content)[0] ?? [];
          return {
            status,
            description: String(response.description ?? ''),
            body: type ? `${type === 'application/json' || type === 'application/problem+json' ? typeLabel(media?.schema) : type}` : '',
          };
        }),
      });
    }
  }
  return out;
}

export function schemasOf(doc: Json): SchemaView[] {
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  return Object.entries(schemas).map(([name, schema]) => ({
    name,
    description: String(schema.description ?? ''),
    type: schema.properties ? 'object' : typeLabel(schema),
    fields: fields(schema),
  }));
}
