// The Hono app of the API: Hono's own middleware for request ids, security headers, CORS, 405s and
// body limits; ours for who is calling, the limits per caller, problems and one log line; then the
// routes of the registry.
import { corsHeaders } from '@supabase/supabase-js/cors';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { ANON, createAuthenticator, type Authenticator, type Caller } from '../_shared/auth.ts';
import type { FunctionConfig } from '../_shared/config.ts';
import { asCaller, asCallerOnce, createPool, type Pool } from '../_shared/db.ts';
import { logRequest, queryObject, readJsonBody, validate, type RequestLog } from '../_shared/http.ts';
import { ApiError, fromDatabaseError, problem, problemBody } from '../_shared/problems.ts';
import {
  clientAddress,
  createInFlightLimiter,
  createRateLimiter,
  inFlightCaps,
  rateClass,
  rateLimitHeaders,
  rateSubject,
  type RateDecision,
} from '../_shared/rate-limit.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { formatBytes, MAX_BODY_BYTES, type RouteSpec, type Services } from './registry.ts';
import { routes as allRoutes } from './routes/index.ts';

/** What supabase-js sends (its own list, kept in step with the client), plus what this API reads. */
const CORS_ALLOW_HEADERS = [...corsHeaders['Access-Control-Allow-Headers']!.split(',').map((h) => h.trim()), 'if-match', 'if-none-match', 'x-request-id'];
const CORS_EXPOSE_HEADERS = ['ETag', 'Location', 'Retry-After', 'X-Request-Id', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];
const CORS_ALLOW_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** What Deno.serve passes along with a request (the socket's address). */
interface ConnInfo {
  remoteAddr?: { hostname?: string };
}

type AppEnv = {
  Bindings: ConnInfo | undefined;
  Variables: { caller: Caller | undefined; rate: RateDecision | undefined; error: ApiError | undefined };
};

export interface AppOptions {
  config: FunctionConfig;
  /** Defaults to a pool on config.dbUrl. */
  pool?: Pool;
  authenticator?: Authenticator;
  fetch?: typeof fetch;
  routes?: RouteSpec[];
  /** Where the line per request goes (default: stdout, as JSON). */
  log?: (entry: RequestLog) => void;
}

function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : fromDatabaseError(err);
}

/** The problem+json answer, made by the context so that it keeps the headers set so far (X-Request-Id, CORS). */
function problemFor(c: Context<AppEnv>, error: ApiError): Response {
  c.set('error', error);
  return c.body(JSON.stringify(problemBody(error, c.get('requestId'))), error.status as 400, { 'Content-Type': 'application/problem+json', ...error.headers });
}

/** hono/body-limit with our answers: 413 over the limit, 400 for a body that breaks off while it is read (the client's doing, not a 500). */
function limitBody(maxSize: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError({ status: 413, code: 'payload_too_large', detail: `The body is larger than ${formatBytes(maxSize)}.` });
    },
  });
  return (c, next) =>
    limit(c, next).catch((err: unknown) => {
      throw err instanceof ApiError ? err : problem.bodyCutShort();
    });
}

export function createApp(options: AppOptions) {
  const { config } = options;
  const routes = options.routes ?? allRoutes;
  const pool = options.pool ?? createPool({ url: config.dbUrl, size: config.dbPoolSize, applicationName: config.dbApplicationName });
  const authenticator = options.authenticator ?? createAuthenticator(config);
  const rateLimiter = createRateLimiter(pool, config.rateLimits);
  const inFlight = createInFlightLimiter();
  const log = options.log ?? logRequest;
  let document: Record<string, unknown> | undefined;
  const services: Services = {
    config,
    pool,
    rateLimiter,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    openapi: () => (document ??= buildOpenApiDocument(routes)),
  };

  // Middleware, 404/405 and errors live on the root, so that they also cover paths outside /api;
  // the routes are registered under the /api base path (sharing the root's router).
  const root = new Hono<AppEnv>();

  root.onError((err, c) => problemFor(c, toApiError(err)));
  root.notFound((c) => problemFor(c, problem.notFound(`There is no route ${new URL(c.req.url).pathname.slice(0, 200)}.`, 'not_found')));

  root.use(requestId({ limitLength: 128 }));

  // Ours, on the way out of everything: the log line, RateLimit-* headers, no caching by default.
  root.use(async (c, next) => {
    const started = performance.now();
    await next();
    const headers = c.res.headers;
    if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
    const rate = c.get('rate');
    if (rate) for (const [name, value] of Object.entries(rateLimitHeaders(rate))) headers.set(name, value);
    const caller = c.get('caller');
    const error = c.get('error');
    log({
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      userId: caller?.userId ?? null,
      role: caller?.role ?? 'unknown',
      ...(error ? { code: error.code } : {}),
      ...(error && error.status >= 500 && error.cause ? { error: String((error.cause as Error).message ?? error.cause).slice(0, 300) } : {}),
    });
  });

  root.use(
    secureHeaders({
      // The docs page brings a CSP of its own.
      overwrite: false,
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
      // Pages on other origins may read the API (CORS decides which).
      crossOriginResourcePolicy: 'cross-origin',
      strictTransportSecurity: 'max-age=63072000; includeSubDomains',
      xFrameOptions: 'DENY',
      // Hono's other defaults are for HTML pages; the API sends the set above, as it always has.
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
  );

  // CORS with the configured allow-list. Ours: a preflight from an origin that is not on the list
  // is a 403 problem (hono/cors would answer 204 without Allow-Origin), and an OPTIONS request that
  // is no preflight is answered like any other method (204 with Allow, below).
  const anyOrigin = config.corsOrigins.includes('*');
  const applyCors = cors({
    origin: anyOrigin ? '*' : config.corsOrigins,
    allowHeaders: CORS_ALLOW_HEADERS,
    allowMethods: CORS_ALLOW_METHODS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: 600,
  });
  root.use(async (c, next) => {
    if (c.req.method !== 'OPTIONS') return applyCors(c, next);
    const origin = c.req.header('Origin');
    if (!origin || !c.req.header('Access-Control-Request-Method')) return next();
    if (!anyOrigin && !config.corsOrigins.includes(origin)) {
      throw problem.forbidden(`Origin ${origin.slice(0, 200)} is not allowed to call this API.`, 'origin_not_allowed');
    }
    return applyCors(c, next);
  });

  // Who is calling, and the limits per caller. Even requests with a bad token count (against the
  // client address). Caps on requests in flight (per user or address, and for anonymous callers
  // together) keep the pool's connections for everybody; the rate limits live in Postgres.
  root.use(async (c, next) => {
    const klass = rateClass(c.req.method, c.req.path);
    let caller: Caller | undefined;
    let authError: unknown = null;
    try {
      caller = await authenticator.identify(c.req.header('Authorization'));
      c.set('caller', caller);
    } catch (err) {
      authError = err;
    }
    const subject = rateSubject(caller ?? null, clientAddress(c.req.header('X-Forwarded-For'), c.env?.remoteAddr?.hostname, config.trustedProxyHops), klass);
    const release = inFlight.enter(inFlightCaps(caller ?? null, subject, klass, config));
    if (!release) {
      throw new ApiError({ status: 429, code: 'too_many_concurrent_requests', detail: 'Too many requests at once; retry when one has finished.', headers: { 'Retry-After': '1' } });
    }
    try {
      const rate = await rateLimiter.take(subject, klass);
      c.set('rate', rate);
      if (!rate.allowed) {
        throw new ApiError({ status: 429, code: 'rate_limited', detail: `Too many requests; retry in ${rate.resetSeconds} s.`, headers: { 'Retry-After': String(rate.resetSeconds) } });
      }
      if (authError) throw authError;
      await next();
    } finally {
      release();
    }
  });

  // 405 with Allow for a path that exists with other methods; a plain OPTIONS gets the Allow alone.
  root.use(
    methodNotAllowed({
      app: root,
      onMethodNotAllowed(c, methods) {
        const allow = [...methods, 'OPTIONS'].join(', ');
        if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allow });
        return problemFor(c, new ApiError({ status: 405, code: 'method_not_allowed', detail: `${c.req.method} is not allowed here; use ${allow}.`, headers: { Allow: allow } }));
      },
    }),
  );

  const app = root.basePath('/api');
  for (const spec of routes) {
    app.on(spec.method.toUpperCase(), spec.path, limitBody(spec.maxBodyBytes ?? MAX_BODY_BYTES), async (c: Context<AppEnv>) => {
      const caller = c.get('caller') ?? ANON;
      if (spec.auth === 'user' && caller.role === 'anon') throw problem.unauthorized();
      const url = new URL(c.req.url);
      let params: unknown = {};
      if (spec.params) {
        const parsed = spec.params.safeParse(c.req.param());
        if (!parsed.success) throw problem.notFound();
        params = parsed.data;
      }
      const query = spec.query ? validate(spec.query, queryObject(url), '(query)') : undefined;
      const body = spec.body ? await readJsonBody(c.req.raw, spec.body) : undefined;
      const requestInfo = { method: c.req.method, path: url.pathname, statementTimeouts: config.statementTimeouts };
      return spec.handler({
        request: c.req.raw,
        url,
        requestId: c.get('requestId'),
        caller,
        params,
        query,
        body,
        services,
        db: (work) => asCaller(pool, caller, requestInfo, work),
        once: (statement) => asCallerOnce(pool, caller, requestInfo, statement),
      });
    });
  }

  return root;
}
