// Configuration of the local stack: the defaults of `supabase start`, read over by
// supabase/config.toml (ports, auth settings), then by the environment `npm start` runs in, then by
// explicit overrides (tests, benchmarks).
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'smol-toml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The CLI's public, hard-coded development keys. Never use them in production. */
export const DEFAULT_KEYS = {
  jwtSecret: 'super-secret-jwt-token-with-at-least-32-characters-long',
  anonKey:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0',
  serviceRoleKey:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU',
  publishableKey: 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH',
  secretKey: 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz',
  /** The CLI's default ES256 signing key for user access tokens (private JWK). */
  signingKey: {
    kty: 'EC',
    crv: 'P-256',
    kid: 'b81269f1-21d8-4f2e-b719-c2240a840d90',
    alg: 'ES256',
    x: 'M5Sjqn5zwC9Kl1zVfUUGvv9boQjCGd45G8sdopBExB4',
    y: 'P6IXMvA2WYXSHSOMTBH2jsw_9rrzGy89FjPf6oOsIxQ',
    d: 'dIhR8wywJlqlua4y_yMq2SLhlFXDZJBCvFrY1DCHyVU',
  },
} as const;

export interface SigningJwk {
  kty: string;
  crv: string;
  kid: string;
  alg: string;
  x: string;
  y: string;
  d: string;
}

/**
 * `[auth.rate_limit]` as Supabase Auth applies it: token buckets per client address that refill at
 * the configured number per 5 minutes and hold at most `burst` requests, and one project-wide
 * count of e-mails per hour. The other keys (token_verifications, anonymous_users, sms_sent, web3)
 * limit routes the stand-in does not serve.
 */
export interface AuthRateLimits {
  /** `token_refresh`: POST /token, password and refresh-token grants together. */
  tokenRefresh: number;
  /** `sign_in_sign_ups`: POST /signup, and PUT /user in a bucket of its own. */
  signInSignUps: number;
  /** `email_sent`: mails per hour; the CLI only passes it on with `[auth.email.smtp]`, else 360000. */
  emailSent: number;
  /** Bucket size; fixed at 30 by Supabase Auth, smaller in tests. */
  burst: number;
}

export interface AuthSettings {
  /** Access-token lifetime in seconds (`[auth] jwt_expiry`). */
  jwtExpiry: number;
  /** `iss` of user tokens; defaults to `<api url>/auth/v1`. */
  issuer?: string;
  enableSignup: boolean;
  /** `[auth.email] enable_confirmations`: off means sign-up returns a session at once. */
  enableConfirmations: boolean;
  minimumPasswordLength: number;
  refreshTokenRotation: boolean;
  /** Seconds in which a revoked refresh token may still be reused (`refresh_token_reuse_interval`). */
  refreshTokenReuseInterval: number;
  /** Enforced limits, or null for none (as under `supabase start`, whose Auth gets no client address). */
  rateLimits: AuthRateLimits | null;
}

export interface LocalConfig {
  host: string;
  /** The gateway (`SUPABASE_URL`), `[api] port`. */
  apiPort: number;
  /** Embedded Postgres, `[db] port`. Ignored when `dbUrl` is set. */
  dbPort: number;
  /** Use this database instead of starting one (e.g. the one `supabase start` runs). */
  dbUrl?: string;
  /** Where the embedded cluster keeps its files. */
  dataDir: string;
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  signingKey: SigningJwk;
  auth: AuthSettings;
  /** Origins the API answers CORS requests from (`*` for any). */
  corsOrigins: string[];
  /** Extra environment for the Edge Function (e.g. rate-limit settings). */
  functionEnv: Record<string, string>;
}

type Toml = Record<string, unknown>;

function table(toml: Toml, ...keys: string[]): Toml {
  let node: unknown = toml;
  for (const key of keys) node = (node as Toml | undefined)?.[key];
  return node && typeof node === 'object' ? (node as Toml) : {};
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/** Reads supabase/config.toml; missing keys fall back to the CLI's defaults. */
export function readSupabaseToml(file = path.join(ROOT, 'supabase', 'config.toml')): Toml {
  return parse(readFileSync(file, 'utf8')) as Toml;
}

export type ConfigOverrides = Partial<Omit<LocalConfig, 'auth'>> & { auth?: Partial<AuthSettings> };

/** An HS256 API key like the CLI's anon/service_role keys, for a JWT secret of your own. */
export function signLegacyApiKey(secret: string, role: 'anon' | 'service_role'): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iss: 'supabase-demo', role, exp: 1983812996 })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

function envNumber(value: string | undefined): number | undefined {
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Environment variables, as in `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface ConfigSources {
  /** supabase/config.toml, parsed; read from the project when absent. */
  toml?: Toml;
  /** Only `npm start` passes `process.env`: a test's or a benchmark's stack must not depend on the shell it runs in. */
  env?: Environment;
}

/**
 * Defaults, then supabase/config.toml (`[api] port`, `[db] port`, `[auth] jwt_secret`, auth
 * settings), then the environment given (STACK_API_PORT, STACK_DB_PORT, STACK_DATA_DIR,
 * STACK_JWT_SECRET, SUPABASE_DB_URL, CORS_ALLOWED_ORIGINS), then `overrides`.
 */
export function loadConfig(overrides: ConfigOverrides = {}, { toml = readSupabaseToml(), env = {} }: ConfigSources = {}): LocalConfig {
  const api = table(toml, 'api');
  const db = table(toml, 'db');
  const auth = table(toml, 'auth');
  const email = table(toml, 'auth', 'email');
  const rateLimit = table(toml, 'auth', 'rate_limit');
  const smtp = table(toml, 'auth', 'email', 'smtp');
  const tomlSecret = typeof auth.jwt_secret === 'string' && !auth.jwt_secret.startsWith('env(') ? auth.jwt_secret : undefined;
  const jwtSecret = env.STACK_JWT_SECRET || tomlSecret;
  // A secret of your own needs anon/service_role keys signed with it.
  const keys = jwtSecret && jwtSecret !== DEFAULT_KEYS.jwtSecret
    ? { ...DEFAULT_KEYS, jwtSecret, anonKey: signLegacyApiKey(jwtSecret, 'anon'), serviceRoleKey: signLegacyApiKey(jwtSecret, 'service_role') }
    : DEFAULT_KEYS;
  const base: LocalConfig = {
    host: '127.0.0.1',
    apiPort: envNumber(env.STACK_API_PORT) ?? num(api.port, 54321),
    dbPort: envNumber(env.STACK_DB_PORT) ?? num(db.port, 54322),
    dbUrl: env.SUPABASE_DB_URL || undefined,
    dataDir: env.STACK_DATA_DIR ? path.resolve(env.STACK_DATA_DIR) : path.join(ROOT, '.data', 'local'),
    ...keys,
    auth: {
      jwtExpiry: num(auth.jwt_expiry, 3600),
      enableSignup: bool(auth.enable_signup, true) && bool(email.enable_signup, true),
      enableConfirmations: bool(email.enable_confirmations, false),
      minimumPasswordLength: num(auth.minimum_password_length, 6),
      refreshTokenRotation: bool(auth.enable_refresh_token_rotation, true),
      refreshTokenReuseInterval: num(auth.refresh_token_reuse_interval, 10),
      rateLimits: {
        tokenRefresh: num(rateLimit.token_refresh, 150),
        signInSignUps: num(rateLimit.sign_in_sign_ups, 30),
        emailSent: bool(smtp.enabled, false) ? num(rateLimit.email_sent, 2) : 360000,
        burst: 30,
      },
    },
    corsOrigins: (env.CORS_ALLOWED_ORIGINS ?? '*').split(',').map((s) => s.trim()).filter(Boolean),
    functionEnv: {},
  };
  return {
    ...base,
    ...overrides,
    auth: { ...base.auth, ...overrides.auth },
    functionEnv: { ...base.functionEnv, ...overrides.functionEnv },
  };
}

export function apiUrl(config: LocalConfig): string {
  return `http://${config.host}:${config.apiPort}`;
}
