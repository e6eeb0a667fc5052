// The Hono app of the API: cross-cutting concerns (request id, CORS, the caller, rate limits,
// security headers, problems, one log line) around the routes of the registry.
import { Hono, type Context } from 'hono';
import { ANON, createAuthenticator, type Authenticator, type Caller } from '../_shared/auth.ts';
import type { FunctionConfig } from '../_shared/config.ts';
import { asCaller, asCallerOnce, createPool, type Pool } from '../_shared/db.ts';
import {
  createCors,
  logRequest,
  preflight,
  queryObject,
  readJsonBody,
  requestIdFrom,
  setSecurityHeaders,
  validate,
} from '../_shared/http.ts';
import { ApiError, fromDatabaseError, problem, problemResponse } from '../_shared/problems.ts';
import { clientAddress, createInFlightLimiter, createRateLimiter, rateClass, rateLimitHeaders, rateSubject, type RateDecision } from '../_shared/rate-limit.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { pathMatcher, type RouteSpec, type Services } from './registry.ts';
import { routes as allRoutes } from './routes/index.ts';

interface ConnInfo {
  remoteAddr?: { hostname?: string };
}

type AppEnv = {
  Bindings: ConnInfo | undefined;
  Variables: { requestId: string; caller: Caller | null; rate: RateDecision | null; error: ApiError | null };
};

export interface AppOptions {
  config: FunctionConfig;
  /** Defaults to a pool on config.dbUrl. */
  pool?: Pool;
  authenticator?: Authenticator;
  fetch?: typeof fetch;
  routes?: RouteSpec[];
}

function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : fromDatabaseError(err);
}

export function createApp(options: AppOptions) {
  const { config } = options;
  const routes = options.routes ?? allRoutes;
  const pool = options.pool ?? createPool({ url: config.dbUrl, size: config.dbPoolSize, applicationName: config.dbApplicationName });
  const authenticator = options.authenticator ?? createAuthenticator(config);
  const cors = createCors(config.corsOrigins);
  const rateLimiter = createRateLimiter(pool, config.rateLimits);
  const inFlight = createInFlightLimiter();
  let document: Record<string, unknown> | undefined;
  const services: Services = {
    config,
    pool,
    rateLimiter,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    openapi: () => (document ??= buildOpenApiDocument(routes)),
  };
  const matchers = routes.map((spec) => ({ spec, regex: pathMatcher(`/api${spec.path}`) }));

  // Middleware, 404/405 and errors live on the root, so that they also cover paths outside /api;
  // the routes are registered under the /api base path (sharing the root's router).
  const root = new Hono<AppEnv>();
  root.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const allowed = new Set<string>();
    for (const { spec, regex } of matchers) if (regex.test(path)) allowed.add(spec.method.toUpperCase());
    if (allowed.size === 0) throw problem.notFound(`There is no route ${path.slice(0, 200)}.`, 'not_found');
    if (allowed.has('GET')) allowed.add('HEAD');
    allowed.add('OPTIONS');
    const allow = [...allowed].join(', ');
    if (c.req.method === 'OPTIONS') return new Response(null, { status: 204, headers: { Allow: allow } });
    throw new ApiError({ status: 405, code: 'method_not_allowed', detail: `${c.req.method} is not allowed here; use ${allow}.`, headers: { Allow: allow } });
  });

  root.onError((err, c) => {
    const error = toApiError(err);
    c.set('error', error);
    return problemResponse(error, c.get('requestId') ?? requestIdFrom(null));
  });

  root.use('*', async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header('X-Request-Id'));
    c.set('requestId', requestId);
    c.set('caller', null);
    c.set('rate', null);
    c.set('error', null);
    const path = new URL(c.req.url).pathname;
    let response: Response | null = null;
    try {
      const pre = preflight(c.req.raw, cors);
      if (pre instanceof ApiError) throw pre;
      if (pre) {
        response = pre;
      } else {
        const ip = clientAddress(c.req.header('X-Forwarded-For'), c.env?.remoteAddr?.hostname, config.trustedProxyHops);
        const klass = rateClass(c.req.method, path);
        let caller: Caller | null = null;
        let authError: unknown = null;
        try {
          caller = await authenticator.identify(c.req.header('Authorization'));
          c.set('caller', caller);
        } catch (err) {
          authError = err;
        }
        // Even requests with a bad token count (against the client address).
        const subject = rateSubject(caller, ip, klass);
        // Caps on requests in flight: per user or address, and for anonymous callers together (from
        // however many addresses), so that signed-in users always find connections. The service
        // role is the project's own backend: not capped. Sign-ins hold no connection: they do not
        // wait behind anonymous floods.
        const caps: Record<string, number> = {};
        if (caller?.role !== 'service_role') caps[subject] = config.maxConcurrentPerClient;
        if (!caller?.userId && caller?.role !== 'service_role' && klass !== 'auth') caps.anonymous = config.maxConcurrentAnonymous;
        const release = inFlight.enter(caps);
        if (!release) {
          throw new ApiError({
            status: 429,
            code: 'too_many_concurrent_requests',
            detail: 'Too many requests at once; retry when one has finished.',
            headers: { 'Retry-After': '1' },
          });
        }
        try {
          const rate = await rateLimiter.take(subject, klass);
          c.set('rate', rate);
          if (!rate.allowed) {
            throw new ApiError({
              status: 429,
              code: 'rate_limited',
              detail: `Too many requests; retry in ${rate.resetSeconds} s.`,
              headers: { 'Retry-After': String(rate.resetSeconds) },
            });
          }
          if (authError) throw authError;
          await next();
        } finally {
          release();
        }
      }
    } catch (err) {
      const error = toApiError(err);
      c.set('error', error);
      response = problemResponse(error, requestId);
    }
    if (response) c.res = response;

    const headers = c.res.headers;
    setSecurityHeaders(headers, headers.get('Content-Security-Policy') ?? undefined);
    headers.set('X-Request-Id', requestId);
    const rate = c.get('rate');
    if (rate) for (const [name, value] of Object.entries(rateLimitHeaders(rate))) headers.set(name, value);
    cors.apply(headers, c.req.header('Origin'));

    const caller = c.get('caller');
    const error = c.get('error');
    logRequest({
      requestId,
      method: c.req.method,
      path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      userId: caller?.userId ?? null,
      role: caller?.role ?? 'unknown',
      ...(error ? { code: error.code } : {}),
      ...(error && error.status >= 500 && error.cause ? { error: String((error.cause as Error).message ?? error.cause).slice(0, 300) } : {}),
    });
  });

  const app = root.basePath('/api');
  for (const spec of routes) {
    app.on(spec.method.toUpperCase(), spec.path, async (c: Context<AppEnv>) => {
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
