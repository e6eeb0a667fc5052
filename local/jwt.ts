// JWT material of the local stack, shared by the gateway, Auth and Realtime: user tokens are ES256
// with the CLI's default signing key, the anon/service-role keys are HS256 with the JWT secret
// (docs/PLATFORM.md, "Development keys"), and both verify the way Supabase's services do.
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK, jwtVerify, decodeProtectedHeader, errors, type JWTPayload, type CryptoKey } from 'jose';
import type { LocalConfig } from './config.ts';

export type Claims = JWTPayload & { role?: string; [key: string]: unknown };

export interface KeyRing {
  /** Public JWKS as Auth serves it at /.well-known/jwks.json (symmetric keys never listed). */
  jwks: { keys: Record<string, unknown>[] };
  /** Signs a user access token (ES256, with `kid`). */
  signAccessToken(claims: Claims): Promise<string>;
  /** Verifies an ES256 (by kid) or HS256 token; throws `JwtError` with a reason. */
  verify(token: string): Promise<Claims>;
  /** The anon / service-role JWTs behind the opaque `sb_publishable_…` / `sb_secret_…` keys. */
  resolveApiKey(key: string): string;
}

export class JwtError extends Error {
  constructor(
    message: string,
    /** `expired` lets callers word it the way each service does. */
    readonly reason: 'expired' | 'invalid' | 'malformed',
  ) {
    super(message);
  }
}

export async function createKeyRing(config: LocalConfig): Promise<KeyRing> {
  const { d: _private, ...publicJwk } = config.signingKey;
  const privateKey = (await importJWK({ ...config.signingKey }, 'ES256')) as CryptoKey;
  const publicKey = (await importJWK({ ...publicJwk }, 'ES256')) as CryptoKey;
  const secret = new TextEncoder().encode(config.jwtSecret);
  const kid = config.signingKey.kid;

  return {
    jwks: { keys: [{ ...publicJwk, use: 'sig', key_ops: ['verify'] }] },

    async signAccessToken(claims) {
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(privateKey);
    },

    async verify(token) {
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new JwtError('token is malformed', 'malformed');
      }
      try {
        if (header.alg === 'HS256') {
          return (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload as Claims;
        }
        if (header.alg === 'ES256' && header.kid === kid) {
          return (await jwtVerify(token, publicKey, { algorithms: ['ES256'] })).payload as Claims;
        }
        throw new JwtError(`unsupported signing method or unknown key (${String(header.alg)})`, 'invalid');
      } catch (err) {
        if (err instanceof JwtError) throw err;
        if (err instanceof errors.JWTExpired) throw new JwtError('token is expired', 'expired');
        throw new JwtError('signature is invalid', 'invalid');
      }
    },

    resolveApiKey(key) {
      if (key === config.secretKey) return config.serviceRoleKey;
      if (key === config.publishableKey) return config.anonKey;
      return key;
    },
  };
}

/**
 * The claim set Supabase Auth puts in the access token of an e-mail/password session
 * (docs/PLATFORM.md, "Access-token claims"), for tokens minted without signing in (tests, benchmarks). `overrides` replace claims; an
 * override of `undefined` drops the claim.
 */
export function passwordSessionClaims(
  user: { id: string; email: string; appMetadata?: Record<string, unknown> },
  options: { issuer: string; expiresIn?: number; overrides?: Record<string, unknown> },
): Claims {
  const now = Math.floor(Date.now() / 1000);
  const claims: Claims = {
    iss: options.issuer,
    sub: user.id,
    aud: 'authenticated',
    exp: now + (options.expiresIn ?? 3600),
    iat: now,
    email: user.email,
    phone: '',
    app_metadata: { provider: 'email', providers: ['email'], ...user.appMetadata },
    user_metadata: {},
    role: 'authenticated',
    aal: 'aal1',
    amr: [{ method: 'password', timestamp: now }],
    session_id: randomUUID(),
    is_anonymous: false,
    ...options.overrides,
  };
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key];
  return claims;
}
