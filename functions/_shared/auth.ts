// Who is calling: verifies the bearer token the way Supabase's services do and turns it into the
// caller the database will see. ES256/RS256 through the JWKS (SUPABASE_JWKS,
// else fetched from Auth and cached), HS256 with the JWT secret; `exp`, `aud` and `role` checked.
// No token (or the anon key) is anon; a bad token is an error, never anon.
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, base64url, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { FunctionConfig } from './config.ts';
import { problem, type ApiError } from './problems.ts';

export type DatabaseRole = 'anon' | 'authenticated' | 'service_role';

export interface Caller {
  role: DatabaseRole;
  /** `sub` of a user token; null for anon and for the service-role key. */
  userId: string | null;
  /**
   * `session_id` of a user token issued by Supabase Auth: requests check that the session still
   * exists. Null for the API keys and for user tokens minted without one.
   */
  sessionId?: string | null;
  /** The claims, as PostgREST puts them into `request.jwt.claims`. */
  claims: Record<string, unknown>;
  /** A platform admin: `app_metadata.role = 'admin'` (only the service role can set it). */
  isAdmin: boolean;
}

/** The token of an `Authorization: Bearer <token>` header; null when the header has another form. */
export function bearerToken(authorization: string): string | null {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1] ?? null;
}

export const ANON: Caller = Object.freeze({ role: 'anon', userId: null, claims: { role: 'anon' }, isAdmin: false }) as Caller;

const ROLES = new Set<string>(['anon', 'authenticated', 'service_role']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_TOKEN_LENGTH = 16_384;
const CACHE_SIZE = 1000;
const CACHE_MS = 60_000;

export interface Authenticator {
  /** The caller for an `Authorization` header value (or null/undefined when absent). Throws an ApiError (401). */
  identify(authorization: string | null | undefined): Promise<Caller>;
}

function callerFromClaims(payload: JWTPayload): Caller {
  const role = payload.role;
  if (typeof role !== 'string' || !ROLES.has(role)) throw problem.invalidToken('The token\'s role is not one the API accepts.');
  const aud = payload.aud;
  const audiences = aud === undefined ? [] : Array.isArray(aud) ? aud : [aud];
  if (role === 'authenticated' || audiences.length > 0) {
    if (!audiences.includes('authenticated')) throw problem.invalidToken('The token\'s audience is not "authenticated".');
  }
  const sub = payload.sub;
  if (sub !== undefined && (typeof sub !== 'string' || !UUID.test(sub))) throw problem.invalidToken('The token\'s subject is not a user id.');
  if (role === 'authenticated' && sub === undefined) throw problem.invalidToken('A user token needs a subject.');
  const sessionId = payload.session_id;
  if (sessionId !== undefined && (typeof sessionId !== 'string' || !UUID.test(sessionId))) throw problem.invalidToken('The token\'s session_id is not a session id.');
  const appMetadata = payload.app_metadata as Record<string, unknown> | undefined;
  return {
    role: role as DatabaseRole,
    userId: role === 'authenticated' ? (sub as string) : null,
    sessionId: role === 'authenticated' ? ((sessionId as string | undefined) ?? null) : null,
    claims: payload as Record<string, unknown>,
    isAdmin: role === 'authenticated' && !!appMetadata && typeof appMetadata === 'object' && appMetadata.role === 'admin',
  };
}

export function createAuthenticator(config: FunctionConfig): Authenticator {
  const publicKeys = (config.jwks?.keys ?? []).filter((key) => key.kty === 'EC' || key.kty === 'RSA');
  const asymmetric: JWTVerifyGetKey = config.jwks
    ? createLocalJWKSet({ keys: publicKeys as never[] })
    : createRemoteJWKSet(new URL(`${config.supabaseUrl}/auth/v1/.well-known/jwks.json`), { cacheMaxAge: 600_000, cooldownDuration: 30_000 });
  const secrets: Uint8Array[] = [];
  if (config.jwtSecret) secrets.push(new TextEncoder().encode(config.jwtSecret));
  for (const key of config.jwks?.keys ?? []) {
    if (key.kty === 'oct' && typeof key.k === 'string') {
      const bytes = base64url.decode(key.k);
      if (!secrets.some((s) => s.length === bytes.length && s.every((b, i) => b === bytes[i]))) secrets.push(bytes);
    }
  }
  const publishable = new Set(config.publishableKeys);
  const secretKeys = new Set(config.secretKeys);
  const cache = new Map<string, { caller: Caller; until: number }>();

  async function verify(token: string): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw problem.invalidToken('The token is not a JWT.');
    }
    const options = { algorithms: [alg ?? 'none'], requiredClaims: ['exp'] };
    try {
      if (alg === 'ES256' || alg === 'RS256') return (await jwtVerify(token, asymmetric, options)).payload;
      if (alg === 'HS256') {
        for (const [i, secret] of secrets.entries()) {
          try {
            return (await jwtVerify(token, secret, options)).payload;
          } catch (err) {
            if (!(err instanceof errors.JWSSignatureVerificationFailed) || i === secrets.length - 1) throw err;
          }
        }
        throw problem.invalidToken('HS256 tokens are not accepted here.');
      }
    } catch (err) {
      if ((err as ApiError).status === 401) throw err;
      if (err instanceof errors.JWTExpired) throw problem.invalidToken('The token has expired.');
      if (err instanceof errors.JWTClaimValidationFailed) throw problem.invalidToken(`The token's ${err.claim} claim is missing or invalid.`);
      if (err instanceof errors.JWKSNoMatchingKey) throw problem.invalidToken('The token was signed with an unknown key.');
      throw problem.invalidToken('The token\'s signature is invalid.');
    }
    throw problem.invalidToken(`Tokens signed with ${String(alg)} are not accepted.`);
  }

  return {
    async identify(authorization) {
      if (authorization === null || authorization === undefined) return ANON;
      const token = bearerToken(authorization);
      if (!token) throw problem.invalidToken('The Authorization header must be `Bearer <token>`.');
      if (publishable.has(token)) return ANON;
      if (secretKeys.has(token)) return { role: 'service_role', userId: null, claims: { role: 'service_role' }, isAdmin: false };
      if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) throw problem.invalidToken('The token is not a JWT.');

      const now = Date.now();
      const cached = cache.get(token);
      if (cached && cached.until > now) return cached.caller;
      const payload = await verify(token);
      const caller = callerFromClaims(payload);
      // Verified tokens are immutable until they expire: remember them for a little while.
      const until = Math.min(now + CACHE_MS, typeof payload.exp === 'number' ? payload.exp * 1000 : now);
      if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(token, { caller, until });
      return caller;
    },
  };
}
