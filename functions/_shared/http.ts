// What the API reads from requests and writes to its log, beyond Hono's own middleware: JSON bodies
// (media type, UTF-8, duplicate keys) and query strings validated with zod, If-Match, one
// structured log line per request.
import type * as z from 'zod';
import { ApiError, fieldErrors, problem } from './problems.ts';

// ---------------------------------------------------------------------------------------------
// Bodies and query strings
// ---------------------------------------------------------------------------------------------

function isJsonMediaType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Parses and validates a JSON body: 415 not JSON, 400 malformed, 422 invalid. Its size was checked
 * on the way in (hono/body-limit, 413).
 */
export async function readJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  if (!isJsonMediaType(request.headers.get('Content-Type'))) {
    throw new ApiError({ status: 415, code: 'unsupported_media_type', detail: 'Send the body as JSON with `Content-Type: application/json`.', headers: { 'Accept-Post': 'application/json' } });
  }
  let bytes: ArrayBuffer;
  try {
    bytes = await request.arrayBuffer();
  } catch {
    throw problem.bodyCutShort();
  }
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
