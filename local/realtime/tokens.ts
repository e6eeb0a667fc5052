// Token checks worded like Realtime's (`RealtimeWeb.ChannelsAuthorization`): any JWT the project
// can verify (HS256 secret or the ES256 signing key) that carries `role` and `exp`.
import { decodeJwt } from 'jose';
import { JwtError, type Claims, type KeyRing } from '../jwt.ts';

export interface VerifiedToken {
  token: string;
  claims: Claims;
  role: string;
  /** Seconds since the epoch. */
  exp: number;
}

/** A refused token; `code` prefixes the reason in join replies (`InvalidJWTToken: …`). */
export class TokenError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The `reason` of a refused join. */
  get reason(): string {
    return `${this.code}: ${this.message}`;
  }
}

export const MISSING_CLAIMS = 'Fields `role` and `exp` are required in JWT';

function expiredMessage(token: string): string {
  let exp = Math.floor(Date.now() / 1000);
  try {
    const claims = decodeJwt(token);
    if (typeof claims.exp === 'number') exp = claims.exp;
  } catch {
    // The signature was already checked; an undecodable payload cannot get here.
  }
  return `Token has expired ${Math.max(0, Math.floor(Date.now() / 1000) - exp)} seconds ago`;
}

export async function verifyToken(keys: KeyRing, token: string): Promise<VerifiedToken> {
  let claims: Claims;
  try {
    claims = await keys.verify(token);
  } catch (err) {
    if (err instanceof JwtError && err.reason === 'expired') throw new TokenError('InvalidJWTToken', expiredMessage(token));
    if (err instanceof JwtError && err.reason === 'malformed') throw new TokenError('MalformedJWT', 'The token provided is not a valid JWT');
    throw new TokenError('JwtSignatureError', 'Failed to validate JWT signature');
  }
  if (typeof claims.role !== 'string' || claims.role === '' || typeof claims.exp !== 'number') {
    throw new TokenError('InvalidJWTToken', MISSING_CLAIMS);
  }
  // jose already refuses exp <= now; the real server's rule is the same (`exp - now > 0`).
  return { token, claims, role: claims.role, exp: claims.exp };
}
