// Shared helpers for the Auth suites: real supabase-js clients against a stack, raw HTTP calls for
// what the client hides (headers, legacy bodies), token forgery, and a direct database handle.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import postgres from 'postgres';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { SignJWT, importJWK, generateKeyPair, type JWTPayload } from 'jose';
import { inject } from 'vitest';
import { DEFAULT_KEYS, loadConfig, type AuthSettings } from '../../local/config.ts';
import { startStack } from '../../local/stack.ts';
import { createAuthService } from '../../local/auth/index.ts';
import type { PasswordHasher } from '../../local/auth/passwords.ts';
import { createGateway } from '../../local/gateway.ts';
import { createKeyRing } from '../../local/jwt.ts';
import { freePort, serviceDbUrls } from '../../local/db.ts';
import type { StackInfo } from '../setup/global-setup.ts';

export const stack = inject('stack');

/** Where a suite points its clients: the shared stack or a throw-away one with other settings. */
export type Target = Omit<StackInfo, 'apiUrl' | 'external'>;

export const PASSWORD = 'correct-horse-9';

export function uniqueEmail(tag: string): string {
  return `${tag}-${randomBytes(5).toString('hex')}@example.com`;
}

export interface ClientOptions {
  key?: string;
  fetch?: typeof fetch;
  storageKey?: string;
  target?: Target;
}

/** A real supabase-js client, Node 20 friendly, nothing persisted, no background refresh. */
export function client(options: ClientOptions = {}): SupabaseClient {
  const target = options.target ?? stack;
  return createClient(target.url, options.key ?? target.anonKey, {
    realtime: { transport: WebSocket as never },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, storageKey: options.storageKey },
    global: options.fetch ? { fetch: options.fetch } : {},
  });
}

export function adminClient(target: Target = stack, key = target.serviceRoleKey): SupabaseClient {
  return client({ key, target });
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

/** A confirmed e-mail user created through the admin API. */
export async function createUser(tag: string, target: Target = stack, extra: Record<string, unknown> = {}): Promise<TestUser> {
  const email = uniqueEmail(tag);
  const { data, error } = await adminClient(target).auth.admin.createUser({
    email,
    password: PASSWORD,
    email_confirm: true,
    ...extra,
  });
  if (error || !data.user) throw new Error(`createUser failed: ${error?.message}`);
  return { id: data.user.id, email, password: PASSWORD };
}

/** Signs `user` in on a fresh client and returns both. */
export async function signIn(user: TestUser, target: Target = stack) {
  const c = client({ target });
  const { data, error } = await c.auth.signInWithPassword({ email: user.email, password: user.password });
  if (error || !data.session) throw new Error(`signIn failed: ${error?.message}`);
  return { client: c, session: data.session };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | null;
  text: string;
}

export interface RawOptions {
  method?: string;
  /** An object is sent as JSON; a string is sent as it is. */
  body?: unknown;
  /** Bearer token; `null` sends no Authorization at all. */
  token?: string | null;
  apikey?: string | null;
  /** Send `X-Supabase-Api-Version: 2024-01-01` like auth-js does (default true). */
  versioned?: boolean;
  headers?: Record<string, string>;
  target?: Target;
  /** Another fetch, e.g. `fetchFrom(address)` for a client at an address of its own. */
  fetch?: typeof fetch;
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** One HTTP call to `/auth/v1<path>` through the gateway, as auth-js would make it. */
export async function raw(path: string, options: RawOptions = {}): Promise<RawResponse> {
  const target = options.target ?? stack;
  const headers: Record<string, string> = { ...options.headers };
  const apikey = options.apikey === undefined ? target.anonKey : options.apikey;
  if (apikey !== null) headers.apikey = apikey;
  const token = options.token === undefined ? apikey : options.token;
  if (token !== null && token !== undefined) headers.Authorization = `Bearer ${token}`;
  if (options.versioned !== false) headers['X-Supabase-Api-Version'] = '2024-01-01';
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json;charset=UTF-8';
  }
  const res = await (options.fetch ?? fetch)(`${target.url}/auth/v1${path}`, { method: options.method ?? (body ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: parseJson(text), text };
}

/** A fetch that records every URL it is asked for. */
export function countingFetch() {
  const urls: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return fetch(input, init);
  };
  return {
    fetch: wrapped,
    urls,
    count: (fragment: string) => urls.filter((url) => new URL(url).pathname.endsWith(fragment)).length,
  };
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  const decode = (part = '') => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(header), payload: decode(payload) };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Ways to forge a token from a real one (user token or API key); every route must refuse each. */
export async function forgeries(realToken: string, jwtSecret: string): Promise<Record<string, string>> {
  const { payload } = decodeJwt(realToken);
  const [h, p, s = ''] = realToken.split('.');
  const now = Math.floor(Date.now() / 1000);
  const es256 = { alg: 'ES256', kid: DEFAULT_KEYS.signingKey.kid, typ: 'JWT' };
  const { privateKey: otherKey } = await generateKeyPair('ES256', { extractable: true });
  const realKey = await importJWK({ ...DEFAULT_KEYS.signingKey }, 'ES256');
  // Flip a character in the middle of the signature so it stays valid base64url.
  const middle = Math.floor(s.length / 2);
  const flipped = s.slice(0, middle) + (s[middle] === 'A' ? 'B' : 'A') + s.slice(middle + 1);
  // Escalate (or at least change) the role without re-signing.
  const escalated = { ...payload, role: payload.role === 'service_role' ? 'supabase_admin' : 'service_role' };
  return {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
    'signed with another ES256 key under the same kid': await new SignJWT(payload as JWTPayload)
      .setProtectedHeader(es256)
      .sign(otherKey),
    'HS256 with a wrong secret': await new SignJWT(payload as JWTPayload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(`${jwtSecret}-but-not-quite`)),
    'tampered payload': `${h}.${b64(escalated)}.${s}`,
    'tampered signature': `${h}.${p}.${flipped}`,
    expired: await new SignJWT({ ...payload, iat: now - 7200, exp: now - 3600 } as JWTPayload)
      .setProtectedHeader(es256)
      .sign(realKey),
    'not a JWT': 'definitely-not-a-jwt',
  };
}

/** Exported so suites can sign well-formed tokens of their own with the CLI's default key. */
export async function signWithDefaultKey(payload: JWTPayload): Promise<string> {
  const key = await importJWK({ ...DEFAULT_KEYS.signingKey }, 'ES256');
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: DEFAULT_KEYS.signingKey.kid, typ: 'JWT' }).sign(key);
}

export async function signHs256(payload: JWTPayload, secret: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** A small pool on the stack's database for checking what the service wrote. */
export function database(target: Target = stack) {
  return postgres(target.dbUrl, { max: 2, onnotice: () => {} });
}

/**
 * A throw-away stack (no Edge Functions) with other Auth settings, for the behaviour that depends
 * on configuration. Suites skip these tests against an external stack.
 */
export async function variantStack(auth: Partial<AuthSettings>): Promise<{ target: Target; stop(): Promise<void> }> {
  const started = await startStack({ ephemeral: true, functions: false, overrides: { auth } });
  const { config } = started;
  return {
    target: {
      url: started.url,
      dbUrl: started.dbUrl,
      anonKey: config.anonKey,
      serviceRoleKey: config.serviceRoleKey,
      publishableKey: config.publishableKey,
      secretKey: config.secretKey,
      jwtSecret: config.jwtSecret,
    },
    stop: () => started.stop(),
  };
}

/**
 * A second Auth service with other settings on the shared stack's database, behind a gateway of its
 * own: cheaper than a variant stack. `passwords` replaces the bcrypt hasher (e.g. one that records
 * its calls). Suites skip these tests against an external stack.
 */
export async function standaloneAuth(
  auth: Partial<AuthSettings>,
  options: { passwords?: PasswordHasher } = {},
): Promise<{ target: Target; stop(): Promise<void> }> {
  const port = await freePort();
  const config = loadConfig({ apiPort: port, auth });
  const keys = await createKeyRing(config);
  const service = await createAuthService({ config, dbUrl: serviceDbUrls(stack.dbUrl).auth, keys, passwords: options.passwords });
  const gateway = createGateway(config, keys, { auth: service, functions: [] });
  await new Promise<void>((resolve) => gateway.listen(port, '127.0.0.1', () => resolve()));
  return {
    target: { ...stack, url: `http://127.0.0.1:${port}` },
    async stop() {
      gateway.closeAllConnections();
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
      await service.close();
    },
  };
}

/**
 * A fetch whose connections leave from `localAddress` (any 127.x.y.z works on Linux loopback), so a
 * test can be a client at an address of its own, as the gateway sees it.
 */
export function fetchFrom(localAddress: string): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    return new Promise<Response>((resolve, reject) => {
      const req = http.request(
        request.url,
        { method: request.method, headers: Object.fromEntries(request.headers), localAddress },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const v of Array.isArray(value) ? value : [value ?? '']) headers.append(name, v);
            }
            const status = res.statusCode ?? 502;
            resolve(new Response(status === 204 ? null : Buffer.concat(chunks), { status, headers }));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}
