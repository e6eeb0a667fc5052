// The one route registry: every route the API serves is declared here once, with its schemas and
// status codes. The Hono app is built from it (app.ts) and so is the OpenAPI document (openapi.ts),
// so the two cannot drift apart.
import * as z from 'zod';
import { IdSchema } from '../../sdk/src/contract.ts';
import type { Caller } from '../_shared/auth.ts';
import type { FunctionConfig } from '../_shared/config.ts';
import type postgres from 'postgres';
import type { OneStatement, Pool, Tx } from '../_shared/db.ts';
import type { RateLimiter } from '../_shared/rate-limit.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Path parameters of the routes on one resource, `…/:id`. */
export const IdParams = z.strictObject({ id: IdSchema });

/** none: public (a token is still verified when sent); optional: anon or a user; user: a signed-in caller (or the service role). */
export type AuthMode = 'none' | 'optional' | 'user';

export type HeaderName = 'ETag' | 'Location' | 'RateLimit';

/** A request body larger than this is refused (413) unless its route allows more (`maxBodyBytes`). */
export const MAX_BODY_BYTES = 64 * 1024;

/** A size in bytes as people say it: `64 KiB`, `2 MiB`. */
export function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

export interface ResponseSpec {
  description: string;
  /** JSON body schema (must carry an `id` in its metadata). */
  schema?: z.ZodType;
  /** Non-JSON body, e.g. text/html. */
  contentType?: string;
  headers?: HeaderName[];
}

export interface Services {
  config: FunctionConfig;
  /** The function's own database connections (not the caller's role: use `db` / `once` for data). */
  pool: Pool;
  rateLimiter: RateLimiter;
  fetch: typeof fetch;
  /** The OpenAPI document (built once, lazily). */
  openapi(): Record<string, unknown>;
}

export interface HandlerContext<P, Q, B> {
  request: Request;
  url: URL;
  requestId: string;
  caller: Caller;
  params: P;
  query: Q;
  body: B;
  services: Services;
  /** Runs `work` in one transaction as the caller (role and claims set first). */
  db<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs one statement in its own transaction as the caller, in a single round trip. */
  once<R extends readonly postgres.MaybeRow[]>(statement: OneStatement<R>): Promise<postgres.RowList<R>>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<P extends z.ZodType | undefined = z.ZodType | undefined, Q extends z.ZodType | undefined = z.ZodType | undefined, B extends z.ZodType | undefined = z.ZodType | undefined> {
  method: Method;
  /** Hono syntax (`/v1/brand-dna/:id`), below the `/api` base path. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: AuthMode;
  /** Path parameters; a value that does not fit is a 404 (the resource cannot exist). */
  params?: P;
  query?: Q;
  body?: B;
  /** The largest body the route reads (413 above it); MAX_BODY_BYTES when not given. */
  maxBodyBytes?: number;
  /** Reads If-Match (documented, and 412 added to the problems). */
  ifMatch?: boolean;
  /** Success responses by status. */
  responses: Record<number, ResponseSpec>;
  /** Problem statuses this route answers besides those implied by auth, params, query and body. */
  problems?: number[];
  handler(ctx: HandlerContext<Out<P>, Out<Q>, Out<B>>): Promise<Response>;
}

/** Declares a route (identity, for type inference). */
export function route<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** Problem statuses of a route: declared ones plus those implied by how it is called. */
export function problemStatuses(spec: RouteSpec): number[] {
  // A bad token is refused on every route (never treated as anon).
  const statuses = new Set<number>([...(spec.problems ?? []), 401]);
  if (spec.params) statuses.add(404);
  if (spec.query) statuses.add(422);
  if (spec.body) for (const s of [400, 413, 415, 422]) statuses.add(s);
  if (spec.ifMatch) statuses.add(412);
  // Rate and concurrency limits, and the database (rate limits live there too) on every route.
  statuses.add(429);
  statuses.add(503);
  return [...statuses].sort((a, b) => a - b);
}

/** `/v1/brand-dna/:id` → `/v1/brand-dna/{id}` */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers } });
}

export function noContent(headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 204, headers });
}
