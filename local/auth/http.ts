// HTTP plumbing of the Auth stand-in: bounded body reading, Go-like JSON decoding, and responses
// that follow GoTrue's versioned error contract (docs/PLATFORM.md, "Auth errors").
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { AuthError, badRequest, Errors } from './errors.ts';

/** GoTrue buffers whole bodies; we cap them so a client cannot make us hold gigabytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

const API_VERSION_HEADER = 'X-Supabase-Api-Version';
/** The only dated API version GoTrue knows; later request dates fall back to it. */
const API_VERSION_2024 = '2024-01-01';

export interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  query: URLSearchParams;
  /** Closest known API version at or before the requested one (`null` = legacy error shape). */
  apiVersion: string | null;
}

export function toRequest(req: IncomingMessage, res: ServerResponse): Request {
  const url = new URL(req.url ?? '/', 'http://auth.local');
  // chi treats `/user` and `/user/` alike for mounted routes.
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  return { req, res, method: req.method ?? 'GET', path, query: url.searchParams, apiVersion: apiVersion(req) };
}

function apiVersion(req: IncomingMessage): string | null {
  const raw = req.headers[API_VERSION_HEADER.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const date = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(date)) return null;
  return date >= Date.parse(`${API_VERSION_2024}T00:00:00Z`) ? API_VERSION_2024 : null;
}

/**
 * The caller's address: the entry the gateway (our one trusted proxy) appended to X-Forwarded-For,
 * else the socket's. Entries before it were written by the client and prove nothing. Null when it
 * is no IP address (auth.sessions.ip is inet).
 */
export function clientAddress(r: Request): string | null {
  const header = r.req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  const candidate = (forwarded.at(-1)?.trim() || r.req.socket.remoteAddress) ?? '';
  const address = candidate.replace(/^::ffff:/, '');
  return net.isIP(address) ? address : null;
}

/** Reads the body up to MAX_BODY_BYTES; larger bodies are refused without buffering them. */
export async function readBody(r: Request): Promise<string> {
  const declared = Number(r.req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    r.req.resume();
    throw Errors.bodyTooLarge(MAX_BODY_BYTES);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, text?: string) => {
      if (done) return;
      done = true;
      r.req.off('data', onData);
      if (err) reject(err);
      else resolve(text ?? '');
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop buffering and let the rest drain into nothing; the 413 closes the connection.
        finish(Errors.bodyTooLarge(MAX_BODY_BYTES));
        r.req.resume();
        return;
      }
      chunks.push(chunk);
    };
    r.req.on('data', onData);
    r.req.once('end', () => finish(null, Buffer.concat(chunks).toString('utf8')));
    r.req.once('error', (err) => finish(err));
    r.req.once('aborted', () => finish(new Error('request aborted')));
  });
}

function goType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/** Postgres text cannot hold NUL and jsonb refuses lone surrogates; both would surface as a 500. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;
const unstorable = (text: string) => text.includes('\u0000') || UNPAIRED_SURROGATE.test(text);
const MAX_DEPTH = 64;

/** Refuses what the database would choke on, iteratively so that deep nesting cannot overflow. */
export function checkStorable(root: unknown): void {
  const pending: [unknown, number][] = [[root, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop() as [unknown, number];
    if (typeof value === 'string') {
      if (unstorable(value)) throw badRequest('validation_failed', 'Request contains a NUL character or an unpaired surrogate');
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_DEPTH) throw badRequest('validation_failed', `Request body is nested deeper than ${MAX_DEPTH} levels`);
      for (const [key, child] of Object.entries(value)) {
        pending.push([key, depth], [child, depth + 1]);
      }
    }
  }
}

/** A decoded JSON object body; `struct` names GoTrue's params struct for its error texts. */
export class Body {
  constructor(
    readonly data: Record<string, unknown>,
    private readonly struct: string,
  ) {}

  static parse(text: string, struct: string): Body {
    if (text.trim() === '') throw Errors.badJson('unexpected end of JSON input');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw Errors.badJson(err instanceof Error ? err.message : 'invalid JSON');
    }
    if (value === null) return new Body({}, struct);
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw Errors.badJson(`json: cannot unmarshal ${goType(value)} into Go value of type api.${struct}`);
    }
    checkStorable(value);
    return new Body(value as Record<string, unknown>, struct);
  }

  private typeError(key: string, want: string, value: unknown): AuthError {
    return Errors.badJson(`json: cannot unmarshal ${goType(value)} into Go struct field ${this.struct}.${key} of type ${want}`);
  }

  string(key: string): string | undefined {
    const value = this.data[key];
    if (value === undefined || value === null || !Object.hasOwn(this.data, key)) return undefined;
    if (typeof value !== 'string') throw this.typeError(key, 'string', value);
    return value;
  }

  bool(key: string): boolean | undefined {
    const value = this.data[key];
    if (value === undefined || value === null || !Object.hasOwn(this.data, key)) return undefined;
    if (typeof value !== 'boolean') throw this.typeError(key, 'bool', value);
    return value;
  }

  /** A JSON object (Go `map[string]interface {}`); `null` decodes to "not given". */
  object(key: string): Record<string, unknown> | undefined {
    const value = this.data[key];
    if (value === undefined || value === null || !Object.hasOwn(this.data, key)) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.typeError(key, 'map[string]interface {}', value);
    return value as Record<string, unknown>;
  }
}

export async function readJson(r: Request, struct: string): Promise<Body> {
  return Body.parse(await readBody(r), struct);
}

function versionHeaders(r: Request): Record<string, string> {
  return r.apiVersion ? { [API_VERSION_HEADER]: r.apiVersion } : {};
}

export function sendJson(r: Request, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  r.res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    ...versionHeaders(r),
    ...headers,
  });
  r.res.end(text);
}

export function sendNoContent(r: Request): void {
  r.res.writeHead(204, versionHeaders(r));
  r.res.end();
}

/**
 * Renders an error the way GoTrue does: `{code,message}` plus the version header when the request
 * asked for 2024-01-01, else the legacy `{code:<status>,error_code,msg}` (+ `error_id` on 5xx).
 */
export function sendError(r: Request, err: AuthError): void {
  if (r.res.headersSent) {
    r.res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'x-sb-error-code': err.code };
  // A refused oversized upload is not read to its end, so the connection cannot be reused.
  if (err.status === 413) headers.Connection = 'close';
  let body: Record<string, unknown>;
  if (r.apiVersion) {
    body = { code: err.code, message: err.message };
  } else {
    body = { code: err.status, error_code: err.code, msg: err.message };
    if (err.status >= 500) body.error_id = randomUUID();
  }
  if (err.reasons) body.weak_password = { reasons: err.reasons };
  sendJson(r, err.status, body, headers);
}
