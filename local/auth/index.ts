// Supabase Auth (GoTrue) stand-in, served by the gateway under /auth/v1 (docs/PLATFORM.md, "Auth"): the
// routes supabase-js 2.119 uses, on the real auth.* tables, with GoTrue's answers and error codes.
//
//   http.ts      body limits, JSON decoding, versioned error rendering
//   errors.ts    the status/code/message table of Auth's errors
//   guard.ts     Bearer tokens → caller (user routes) or admin
//   signup.ts    POST /signup
//   token.ts     POST /token (password, refresh_token with rotation + reuse detection)
//   account.ts   GET/PUT /user, POST /logout
//   admin.ts     /admin/users[/id]
//   users.ts     auth.users + auth.identities rows and their JSON
//   sessions.ts  auth.sessions, auth.refresh_tokens, auth.mfa_amr_claims, access tokens
//   passwords.ts bcrypt on a worker pool
//   limits.ts    [auth.rate_limit]: per-address token buckets, project-wide e-mail count
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { apiUrl, type LocalConfig } from '../config.ts';
import type { HttpService } from '../gateway.ts';
import type { KeyRing } from '../jwt.ts';
import { getUser, logout, updateSelf } from './account.ts';
import { adminRoute } from './admin.ts';
import type { AuthContext } from './context.ts';
import { AuthError, DatabaseError, Errors } from './errors.ts';
import { sendError, sendJson, toRequest, type Request } from './http.ts';
import { createRateLimiter } from './limits.ts';
import { createPasswordHasher, type PasswordHasher } from './passwords.ts';
import { signup } from './signup.ts';
import { token } from './token.ts';

export interface AuthService extends HttpService {
  close(): Promise<void>;
}

export interface AuthOptions {
  config: LocalConfig;
  /** The database, logged in as supabase_auth_admin (serviceDbUrls(...).auth). */
  dbUrl: string;
  keys: KeyRing;
  /** Replaces the bcrypt worker pool (tests record its calls). */
  passwords?: PasswordHasher;
}

type Handler = (ctx: AuthContext, r: Request) => Promise<void>;

/** Path → method → handler; a known path with another method is a 405. */
const ROUTES: Record<string, Record<string, Handler>> = {
  '/signup': { POST: signup },
  '/token': { POST: token },
  '/logout': { POST: logout },
  '/user': { GET: getUser, PUT: updateSelf },
  '/admin/users': { GET: (ctx, r) => adminRoute(ctx, r, null), POST: (ctx, r) => adminRoute(ctx, r, null) },
  '/.well-known/jwks.json': { GET: jwks },
  '/health': { GET: health },
  '/settings': { GET: settings },
};

const ADMIN_USER_PATH = /^\/admin\/users\/([^/]+)$/;
const ADMIN_USER_METHODS = new Set(['GET', 'PUT', 'DELETE']);

function route(r: Request): Handler | AuthError {
  const byMethod = ROUTES[r.path];
  if (byMethod) return byMethod[r.method] ?? Errors.methodNotAllowed();
  const admin = ADMIN_USER_PATH.exec(r.path);
  if (admin) {
    if (!ADMIN_USER_METHODS.has(r.method)) return Errors.methodNotAllowed();
    const id = admin[1] ?? '';
    // `%`-escapes never make a valid UUID, so the raw segment is checked as it is.
    return (ctx, req) => adminRoute(ctx, req, id);
  }
  return Errors.routeNotFound();
}

async function jwks(ctx: AuthContext, r: Request): Promise<void> {
  sendJson(r, 200, ctx.keys.jwks, { 'Cache-Control': 'public, max-age=600' });
}

async function health(_ctx: AuthContext, r: Request): Promise<void> {
  sendJson(r, 200, { version: 'local', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' });
}

/** GET /settings: what the CLI's defaults enable (docs/PLATFORM.md, "Auth settings"). */
async function settings(ctx: AuthContext, r: Request): Promise<void> {
  const { auth } = ctx.config;
  sendJson(r, 200, {
    external: { anonymous_users: false, email: true, phone: false },
    disable_signup: !auth.enableSignup,
    mailer_autoconfirm: !auth.enableConfirmations,
    phone_autoconfirm: true,
    sms_provider: '',
    saml_enabled: false,
  });
}

/**
 * GoTrue logs in as supabase_auth_admin, so triggers on auth.users run as that role; `dbUrl` logs in
 * as it too (local/db.ts, serviceDbUrls), so that a trigger which would fail under the real Auth
 * fails here.
 */
async function openPool(dbUrl: string) {
  const sql = postgres(dbUrl, { onnotice: () => {}, max: 6, idle_timeout: 30, connection: { application_name: 'tekton-local-auth' } });
  // A login that does not work fails the start, not the first request.
  await sql`select 1`.catch(async (err: unknown) => {
    await sql.end();
    throw err;
  });
  return sql;
}

export async function createAuthService({ config, dbUrl, keys, passwords }: AuthOptions): Promise<AuthService> {
  const sql = await openPool(dbUrl);
  const hasher = passwords ?? createPasswordHasher();
  const decoyHash = hasher.hash(randomBytes(32).toString('base64url'));
  decoyHash.catch(() => {}); // awaited where used; a closed hasher must not crash the process meanwhile
  const ctx: AuthContext = {
    config,
    sql,
    keys,
    passwords: hasher,
    decoyHash,
    limits: createRateLimiter(config.auth.rateLimits),
    issuer: config.auth.issuer ?? `${apiUrl(config)}/auth/v1`,
    aud: 'authenticated',
    adminRoles: ['service_role', 'supabase_admin'],
    log: (message, err) => console.error(`[auth] ${message}`, err ?? ''),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = toRequest(req, res);
    try {
      const handler = route(r);
      if (handler instanceof AuthError) throw handler;
      await handler(ctx, r);
    } catch (err) {
      // A client that hung up gets no answer and is not worth a log line.
      if (req.destroyed && !(err instanceof AuthError)) return;
      if (err instanceof DatabaseError) ctx.log(`${r.method} ${r.path}: ${err.message}`, err.cause);
      else if (!(err instanceof AuthError)) ctx.log(`${r.method} ${r.path} failed`, err);
      // Whatever went wrong, the client gets the JSON error shape and never our internals.
      if (!res.writableEnded) sendError(r, err instanceof AuthError ? err : Errors.unexpected());
    }
  }

  return {
    handle,
    async close() {
      await Promise.allSettled([sql.end({ timeout: 5 }), ctx.passwords.close()]);
    },
  };
}
