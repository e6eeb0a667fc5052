// Configuration of a function from its environment: what Supabase gives every function, plus the
// API's own settings, parsed with zod. A value that does not parse stops the function at boot with
// the variable's name (nothing falls back silently). Takes a getter instead of reading Deno.env, so
// that Node tools (the OpenAPI generator, the in-process tests) can load the modules that use it.
import * as z from 'zod';
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

/** Old names of settings, still read when the new one is not set (and reported at boot). */
const DEPRECATED_NAMES: Record<string, string> = {
  RATE_LIMIT_READ_PER_MINUTE: 'RATE_LIMIT_READ_PER_WINDOW',
  RATE_LIMIT_WRITE_PER_MINUTE: 'RATE_LIMIT_WRITE_PER_WINDOW',
  RATE_LIMIT_AUTH_PER_MINUTE: 'RATE_LIMIT_AUTH_PER_WINDOW',
};

const count = (min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.int().min(min, `must be at least ${min}`).max(2147483647));

function parseJson(text: string, ctx: z.RefinementCtx): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON' });
    return z.NEVER;
  }
}

/** `{"default":"sb_…", …}` (SUPABASE_PUBLISHABLE_KEYS / SUPABASE_SECRET_KEYS), or one bare key. */
const KeyList = z
  .string()
  .transform((text, ctx) => (text.trim().startsWith('{') ? parseJson(text, ctx) : { default: text }))
  .pipe(z.record(z.string(), z.string(), 'must be a JSON object of keys'))
  .transform((keys) => Object.values(keys).filter(Boolean));

const Jwks = z.string().transform(parseJson).pipe(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }, 'must be a JWK set ({"keys":[…]})'));

/** `*` or a list of origins (`https://studio.example`): anything else could never match a browser's Origin. */
function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
}
const Origins = z
  .string()
  .transform((list) => list.split(',').map((origin) => origin.trim().replace(/\/+$/, '')).filter(Boolean))
  .pipe(z.array(z.string().refine((o) => o === '*' || isOrigin(o), 'must be * or an origin such as https://studio.example')).min(1));

const Environment = z.object({
  SUPABASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((url) => url.replace(/\/+$/, '')).default('http://127.0.0.1:54321'),
  SUPABASE_DB_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' }).default('postgresql://postgres:postgres@127.0.0.1:54322/postgres'),
  SUPABASE_ANON_KEY: z.string().default(''),
  SUPABASE_JWT_SECRET: z.string().optional(),
  SUPABASE_JWKS: Jwks.optional(),
  SUPABASE_PUBLISHABLE_KEYS: KeyList.default([]),
  SUPABASE_SECRET_KEYS: KeyList.default([]),
  CORS_ALLOWED_ORIGINS: Origins.default(['*']),
  RATE_LIMIT_READ_PER_WINDOW: count(1).default(1200),
  RATE_LIMIT_WRITE_PER_WINDOW: count(1).default(300),
  RATE_LIMIT_AUTH_PER_WINDOW: count(1).default(30),
  RATE_LIMIT_WINDOW_SECONDS: count(1).default(60),
  RATE_LIMIT_SIGN_IN_PER_ACCOUNT: count(1).default(10),
  RATE_LIMIT_SIGN_IN_WINDOW_SECONDS: count(1).default(900),
  DB_POOL_SIZE: count(1).default(8),
  MAX_CONCURRENT_REQUESTS_PER_CLIENT: count(1).default(4),
  MAX_CONCURRENT_ANONYMOUS_REQUESTS: count(1).optional(),
  // One: Supabase's gateway in front of Edge Functions, or the local stack's. 0: no proxy, the socket's address.
  TRUSTED_PROXY_HOPS: count(0).default(1),
  PGAPPNAME: z.string().default('tekton-api'),
  DB_STATEMENT_TIMEOUT_ANON_MS: count(1).default(3000),
  DB_STATEMENT_TIMEOUT_AUTHENTICATED_MS: count(1).default(8000),
  DB_STATEMENT_TIMEOUT_SERVICE_ROLE_MS: count(1).default(8000),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The function's settings. Throws a ConfigError naming every variable that does not parse; `warn`
 * hears about deprecated names in use.
 */
export function readConfig(get: Getter, warn: (message: string) => void = () => {}): FunctionConfig {
  const raw: Record<string, string> = {};
  /** Where a value came from, when it was a deprecated name. */
  const from: Record<string, string> = {};
  for (const name of Object.keys(Environment.shape)) {
    // An empty value counts as not set, as an unset secret does.
    const value = get(name) || undefined;
    if (value !== undefined) raw[name] = value;
  }
  for (const [old, current] of Object.entries(DEPRECATED_NAMES)) {
    const value = get(old) || undefined;
    if (value === undefined) continue;
    warn(`${old} is deprecated: it is the limit per window (RATE_LIMIT_WINDOW_SECONDS), set ${current} instead${raw[current] !== undefined ? ` (${current} wins)` : ''}.`);
    if (raw[current] !== undefined) continue;
    raw[current] = value;
    from[current] = old;
  }
  const parsed = Environment.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(({ path: [name, ...rest], message }) => `${[from[String(name)] ?? String(name), ...rest].join('.')}: ${message}`);
    throw new ConfigError(`The function's settings are not valid:\n  ${problems.join('\n  ')}`);
  }
  const env = parsed.data;
  return {
    supabaseUrl: env.SUPABASE_URL,
    dbUrl: env.SUPABASE_DB_URL,
    anonKey: env.SUPABASE_ANON_KEY,
    ...(env.SUPABASE_JWT_SECRET ? { jwtSecret: env.SUPABASE_JWT_SECRET } : {}),
    ...(env.SUPABASE_JWKS ? { jwks: env.SUPABASE_JWKS } : {}),
    publishableKeys: env.SUPABASE_PUBLISHABLE_KEYS,
    secretKeys: env.SUPABASE_SECRET_KEYS,
    corsOrigins: env.CORS_ALLOWED_ORIGINS,
    rateLimits: {
      read: env.RATE_LIMIT_READ_PER_WINDOW,
      write: env.RATE_LIMIT_WRITE_PER_WINDOW,
      auth: env.RATE_LIMIT_AUTH_PER_WINDOW,
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      signInPerAccount: env.RATE_LIMIT_SIGN_IN_PER_ACCOUNT,
      signInWindowSeconds: env.RATE_LIMIT_SIGN_IN_WINDOW_SECONDS,
    },
    dbPoolSize: env.DB_POOL_SIZE,
    maxConcurrentPerClient: env.MAX_CONCURRENT_REQUESTS_PER_CLIENT,
    maxConcurrentAnonymous: env.MAX_CONCURRENT_ANONYMOUS_REQUESTS ?? Math.max(1, Math.floor(env.DB_POOL_SIZE / 2)),
    trustedProxyHops: env.TRUSTED_PROXY_HOPS,
    dbApplicationName: env.PGAPPNAME,
    statementTimeouts: {
      anon: env.DB_STATEMENT_TIMEOUT_ANON_MS,
      authenticated: env.DB_STATEMENT_TIMEOUT_AUTHENTICATED_MS,
      service_role: env.DB_STATEMENT_TIMEOUT_SERVICE_ROLE_MS,
    },
  };
}
