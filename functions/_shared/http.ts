// HTTP plumbing shared by functions: request ids, security headers, CORS, bounded JSON bodies,
// query strings and validation with zod, If-Match, and one structured log line per request.
import type * as z from 'zod';
import { ApiError, fieldErrors, problem } from './problems.ts';

export const MAX_BODY_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Request ids
// ---------------------------------------------------------------------------------------------

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The client's X-Request-Id when it is a sane token, else a new UUID. */
export function requestIdFrom(header: string | null | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

// ---------------------------------------------------------------------------------------------
// Security headers and CORS
// ---------------------------------------------------------------------------------------------

export const JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function setSecurityHeaders(headers: Headers, csp = JSON_CSP): void {
  headers.set('X-Content-Type-Options', 'nosniff');
  headers.set('Referrer-Policy', 'no-referrer');
  headers.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
  headers.set('X-Frame-Options', 'DENY');
  headers.set('Content-Security-Policy', csp);
  headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
  headers.delete('X-Powered-By');
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
}

/** What supabase-js sends, plus what this API reads. */
export const CORS_ALLOW_HEADERS =
  'authorization, x-client-info, apikey, content-type, x-retry-count, traceparent, tracestate, baggage, if-match, if-none-match, x-request-id';
export const CORS_EXPOSE_HEADERS =
  'ETag, Location, Retry-After, X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset';
export const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

export interface Cors {
  /** The Access-Control-Allow-Origin value for this Origin, or null when it is not allowed. */
  allowOrigin(origin: string | null | undefined): string | null;
  apply(headers: Headers, origin: string | null | undefined): void;
}

export function createCors(allowed: string[]): Cors {
  const any = allowed.includes('*');
  const origins = new Set(allowed);
  const allowOrigin = (origin: string | null | undefined) => (any ? '*' : origin && origins.has(origin) ? origin : null);
  return {
    allowOrigin,
    apply(headers, origin) {
      if (!any) headers.append('Vary', 'Origin');
      const value = allowOrigin(origin);
      if (!origin || !value) return;
      headers.set('Access-Control-Allow-Origin', value);
      headers.set('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
    },
  };
}

/** The answer to a CORS preflight (null when the request is not one). */
export function preflight(request: Request, cors: Cors): Response | ApiError | null {
  const origin = request.headers.get('Origin');
  if (request.method !== 'OPTIONS' || !origin || !request.headers.get('Access-Control-Request-Method')) return null;
  const allowOrigin = cors.allowOrigin(origin);
  if (!allowOrigin) return problem.forbidden(`Origin ${origin.slice(0, 200)} is not allowed to call this API.`, 'origin_not_allowed');
  return new Response(null, {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': allowOrigin,
      'Access-Control-Allow-Methods': CORS_ALLOW_METHODS,
      'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
      'Access-Control-Max-Age': '600',
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Bodies and query strings
// ---------------------------------------------------------------------------------------------

function isJsonMediaType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

const tooLarge = () =>
  new ApiError({ status: 413, code: 'payload_too_large', detail: `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.` });

/** 413 when the declared Content-Length is over the limit (before reading anything); 400 when it is not a number. */
function checkDeclaredLength(request: Request): void {
  const declared = request.headers.get('Content-Length');
  if (declared === null) return;
  if (!/^\d+$/.test(declared.trim())) throw problem.badRequest('malformed_request', 'The Content-Length header is not a number.');
  if (Number(declared) > MAX_BODY_BYTES) throw tooLarge();
}

/** Reads the body, stopping with 413 as soon as more than MAX_BODY_BYTES arrived (whatever was declared). */
async function readBounded(request: Request): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      throw problem.badRequest('malformed_request', 'The body could not be read to its end.');
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Parses and validates a JSON body: 413 too large, 415 not JSON, 400 malformed, 422 invalid. */
export async function readJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  checkDeclaredLength(request);
  if (!isJsonMediaType(request.headers.get('Content-Type'))) {
    throw new ApiError({ status: 415, code: 'unsupported_media_type', detail: 'Send the body as JSON with `Content-Type: application/json`.', headers: { 'Accept-Post': 'application/json' } });
  }
  const bytes = await readBounded(request);
  let textBody: string;
  try {
    textBody = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw problem.badRequest('malformed_json', 'The body is not valid UTF-8.');
  }
  if (textBody.trim() === '') throw problem.badRequest('malformed_json', 'The body is empty; send a JSON object.');
  let value: unknown;
  try {
    value = JSON.parse(textBody);
  } catch {
    throw problem.badRequest('malformed_json', 'The body is not valid JSON.');
  }
  const duplicate = firstDuplicateKey(textBody);
  if (duplicate !== null) {
    throw problem.badRequest('duplicate_json_key', `The key ${JSON.stringify(duplicate.slice(0, 100))} appears twice in one object; send each key once.`);
  }
  // Arrays go on to the schema: object schemas refuse them, the brand DNA import takes them.
  if (value === null || typeof value !== 'object') {
    throw problem.validation([{ path: '(body)', message: 'must be a JSON object' }]);
  }
  return validate(schema, value, '(body)');
}

/**
 * The first key that occurs twice in one object of `json` (text that JSON.parse accepted), compared
 * after unescaping; null when there is none. JSON.parse keeps the last silently, so a body could
 * read one way to whatever checked it and another way to us.
 */
export function firstDuplicateKey(json: string): string | null {
  // One entry per open object (its keys so far) or array (null).
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const keys = open.at(-1);
      if (expectKey && keys) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      expectKey = false;
      i = end;
    } else if (ch === '{' || ch === '[') {
      open.push(ch === '{' ? new Set() : null);
      expectKey = ch === '{';
    } else if (ch === '}' || ch === ']') {
      open.pop();
    } else if (ch === ',') {
      expectKey = !!open.at(-1);
    }
  }
  return null;
}

/** Validates with zod; failures become a 422 with field errors. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, root: string): z.output<S> {
  let result;
  try {
    result = schema.safeParse(value);
  } catch {
    // e.g. a pathological value that blows a limit inside a refinement
    throw problem.validation([{ path: root, message: 'is not valid' }]);
  }
  if (!result.success) throw problem.validation(fieldErrors(result.error, root));
  return result.data;
}

/** The query string as an object; a parameter given twice is an error. */
export function queryObject(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (Object.prototype.hasOwnProperty.call(query, key)) {
      throw problem.validation([{ path: key.slice(0, 100), message: 'must be given at most once' }]);
    }
    query[key] = value;
  }
  return query;
}

// ---------------------------------------------------------------------------------------------
// ETags
// ---------------------------------------------------------------------------------------------

export function etagOf(revision: number): string {
  return `"${revision}"`;
}

/**
 * The revisions an If-Match header accepts: null when absent, 'any' for `*`, else the list of
 * revisions in strong ETags (weak or foreign tags match nothing, so they give 412).
 */
export function ifMatchRevisions(header: string | null | undefined): number[] | 'any' | null {
  if (header === null || header === undefined) return null;
  if (header.trim() === '*') return 'any';
  const revisions: number[] = [];
  for (const part of header.split(',').slice(0, 20)) {
    const m = /^\s*"(\d{1,10})"\s*$/.exec(part);
    if (m && Number(m[1]) <= 2147483647) revisions.push(Number(m[1]));
  }
  return revisions;
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  userId: string | null;
  role: string;
  code?: string;
  error?: string;
}

/** One JSON line per request. Never tokens, passwords or bodies. */
export function logRequest(entry: RequestLog): void {
  console.log(JSON.stringify({ level: entry.status >= 500 ? 'error' : 'info', msg: 'request', time: new Date().toISOString(), ...entry }));
}

/**
 * Keeps the function serving when something fails outside any request (an error thrown from a timer,
 * a promise nobody awaited): logs it instead of letting the runtime end the process. Call it once,
 * at the entry point.
 */
export function keepServingOnUnhandledErrors(): void {
  const report = (kind: string, error: unknown) =>
    console.error(JSON.stringify({ level: 'error', msg: kind, time: new Date().toISOString(), error: String((error as Error)?.stack ?? error).slice(0, 2000) }));
  globalThis.addEventListener('error', (event) => {
    event.preventDefault();
    report('uncaught error', event.error);
  });
  globalThis.addEventListener('unhandledrejection', (event) => {
    event.preventDefault();
    report('unhandled rejection', event.reason);
  });
}
