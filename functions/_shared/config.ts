// Configuration of a function from its environment: what Supabase gives every function, plus the
// API's own settings. Takes a getter instead of reading Deno.env, so that Node tools (the OpenAPI
// generator) can load the modules that use it.
import type { DatabaseRole } from './auth.ts';

export interface RateLimits {
  /** Requests per window for reads and writes, per user (or per client address for anon). */
  read: number;
  write: number;
  /** Requests per window to the /auth routes, per client address (whatever token comes along). */
  auth: number;
  windowSeconds: number;
  /** Sign-in attempts per account (e-mail) without a success, in their own window. */
  signInPerAccount: number;
  signInWindowSeconds: number;
}

export interface FunctionConfig {
  supabaseUrl: string;
  dbUrl: string;
  anonKey: string;
  jwtSecret?: string;
  /** SUPABASE_JWKS: public keys (and possibly the JWT secret as an `oct` key). */
  jwks?: { keys: Record<string, unknown>[] };
  publishableKeys: string[];
  secretKeys: string[];
  corsOrigins: string[];
  rateLimits: RateLimits;
  dbPoolSize: number;
  /** Requests one user (or client address) may have in flight in one isolate; more get 429. */
  maxConcurrentPerClient: number;
  /** Requests all anonymous callers together may have in flight in one isolate (default: half the pool). */
  maxConcurrentAnonymous: number;
  /** Proxies in front of the function that append to X-Forwarded-For (the client address is the entry that many from the right). */
  trustedProxyHops: number;
  /** `application_name` of the function's database connections (PGAPPNAME), to find them in pg_stat_activity. */
  dbApplicationName: string;
  /**
   * Per-statement limit inside a request, by the role the request runs as, milliseconds. As on
   * Supabase: anon 3 s, authenticated 8 s; the service role 8 s (PostgREST's authenticator limit).
   */
  statementTimeouts: Record<DatabaseRole, number>;
}

type Getter = (name: string) => string | undefined;

function positiveInt(value: string | undefined, fallback: number, min = 1): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isInteger(n) && n >= min ? n : fallback;
}

/** `{"default":"sb_…", …}` (SUPABASE_PUBLISHABLE_KEYS / SUPABASE_SECRET_KEYS) → the keys. */
function keyList(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const parsed = JSON.parse(value) as unknown;
    if (parsed && typeof parsed === 'object') return Object.values(parsed).filter((v): v is string => typeof v === 'string' && v !== '');
  } catch {
    // a bare key
  }
  return [value];
}

function jwksFrom(value: string | undefined): FunctionConfig['jwks'] {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as { keys?: unknown };
    if (Array.isArray(parsed.keys)) return { keys: parsed.keys.filter((k): k is Record<string, unknown> => !!k && typeof k === 'object') };
  } catch {
    // ignored: fetched from Auth instead
  }
  return undefined;
}

export function readConfig(get: Getter): FunctionConfig {
  const supabaseUrl = (get('SUPABASE_URL') ?? 'http://127.0.0.1:54321').replace(/\/+$/, '');
  const jwtSecret = get('SUPABASE_JWT_SECRET') || undefined;
  const dbPoolSize = positiveInt(get('DB_POOL_SIZE'), 8);
  return {
    supabaseUrl,
    dbUrl: get('SUPABASE_DB_URL') ?? 'postgresql://postgres:postgres@127.0.0.1:54322/postgres',
    anonKey: get('SUPABASE_ANON_KEY') ?? '',
    ...(jwtSecret ? { jwtSecret } : {}),
    jwks: jwksFrom(get('SUPABASE_JWKS')),
    publishableKeys: keyList(get('SUPABASE_PUBLISHABLE_KEYS')),
    secretKeys: keyList(get('SUPABASE_SECRET_KEYS')),
    corsOrigins: (get('CORS_ALLOWED_ORIGINS') ?? '*')
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    rateLimits: {
      read: positiveInt(get('RATE_LIMIT_READ_PER_MINUTE'), 1200),
      write: positiveInt(get('RATE_LIMIT_WRITE_PER_MINUTE'), 300),
      auth: positiveInt(get('RATE_LIMIT_AUTH_PER_MINUTE'), 30),
      windowSeconds: positiveInt(get('RATE_LIMIT_WINDOW_SECONDS'), 60),
      signInPerAccount: positiveInt(get('RATE_LIMIT_SIGN_IN_PER_ACCOUNT'), 10),
      signInWindowSeconds: positiveInt(get('RATE_LIMIT_SIGN_IN_WINDOW_SECONDS'), 900),
    },
    dbPoolSize,
    maxConcurrentPerClient: positiveInt(get('MAX_CONCURRENT_REQUESTS_PER_CLIENT'), 4),
    maxConcurrentAnonymous: positiveInt(get('MAX_CONCURRENT_ANONYMOUS_REQUESTS'), Math.max(1, Math.floor(dbPoolSize / 2))),
    // One: Supabase's gateway in front of Edge Functions, or the local stack's. 0: no proxy, the socket's address.
    trustedProxyHops: positiveInt(get('TRUSTED_PROXY_HOPS'), 1, 0),
    dbApplicationName: get('PGAPPNAME') || 'tekton-api',
    statementTimeouts: {
      anon: positiveInt(get('DB_STATEMENT_TIMEOUT_ANON_MS'), 3000),
      authenticated: positiveInt(get('DB_STATEMENT_TIMEOUT_AUTHENTICATED_MS'), 8000),
      service_role: positiveInt(get('DB_STATEMENT_TIMEOUT_SERVICE_ROLE_MS'), 8000),
    },
  };
}
