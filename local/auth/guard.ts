// Who is calling: the Bearer token of user routes (GET/PUT /user, /logout) and admin routes, checked
// in GoTrue's order: header → signature/expiry → sub → user → session (docs/PLATFORM.md, "Auth
// errors", "Sign-up, sign-in, user updates and sign-out").
import { JwtError, type Claims } from '../jwt.ts';
import { NIL_UUID, type AuthContext } from './context.ts';
import { badRequest, Errors, forbidden } from './errors.ts';
import type { Request } from './http.ts';
import { findSession } from './sessions.ts';
import { findUserById, isBanned, type UserRow } from './users.ts';
import { isUuid } from './validate.ts';

const BEARER = /^[Bb]earer (\S+)$/;

function bearerToken(r: Request): string {
  const header = r.req.headers.authorization ?? '';
  const match = BEARER.exec(header);
  if (!match?.[1]) throw Errors.noAuthorization();
  return match[1];
}

/** GoTrue words verification failures after golang-jwt's errors. */
function jwtReason(err: JwtError): string {
  if (err.reason === 'expired') return 'token has invalid claims: token is expired';
  if (err.reason === 'malformed') return 'token is malformed: could not parse the token';
  if (err.message.startsWith('unsupported')) return `token is unverifiable: ${err.message}`;
  return `token signature is invalid: ${err.message}`;
}

export async function verifiedClaims(ctx: AuthContext, r: Request): Promise<Claims> {
  const token = bearerToken(r);
  try {
    return await ctx.keys.verify(token);
  } catch (err) {
    if (err instanceof JwtError) throw Errors.badJwt(jwtReason(err));
    throw Errors.badJwt('token signature is invalid');
  }
}

export interface Caller {
  claims: Claims;
  user: UserRow;
  /** `session_id` of the token, when it has one. */
  sessionId: string | null;
}

/** requireAuthentication of GoTrue: a valid token whose user and session still exist. */
export async function requireUser(ctx: AuthContext, r: Request): Promise<Caller> {
  const claims = await verifiedClaims(ctx, r);
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '') throw Errors.missingSub();
  if (!isUuid(sub)) throw badRequest('bad_jwt', 'invalid claim: sub claim must be a UUID');
  const user = await findUserById(ctx.sql, sub);
  if (!user) throw Errors.userFromSubMissing();
  const sessionId = await checkSession(ctx, claims);
  if (isBanned(user)) throw forbidden('user_banned', 'User is banned');
  return { claims, user, sessionId };
}

async function checkSession(ctx: AuthContext, claims: Claims): Promise<string | null> {
  const sessionId = claims.session_id;
  if (sessionId === undefined || sessionId === null || sessionId === '' || sessionId === NIL_UUID) {
    return null;
  }
  if (!isUuid(sessionId)) throw forbidden('bad_jwt', 'invalid claim: session_id claim must be a UUID');
  if (!(await findSession(ctx.sql, sessionId))) throw Errors.sessionFromClaimMissing();
  return sessionId;
}

/** requireAdminCredentials: any valid token whose `role` is an admin role. */
export async function requireAdmin(ctx: AuthContext, r: Request): Promise<Claims> {
  const claims = await verifiedClaims(ctx, r);
  if (typeof claims.role !== 'string' || !ctx.adminRoles.includes(claims.role)) throw Errors.notAdmin();
  await checkSession(ctx, claims);
  return claims;
}

/** The audience a request acts in: the token's `aud`, else the configured one. */
export function requestAud(ctx: AuthContext, claims?: Claims): string {
  const aud = claims?.aud;
  if (typeof aud === 'string' && aud !== '') return aud;
  if (Array.isArray(aud) && typeof aud[0] === 'string' && aud[0] !== '') return aud[0];
  return ctx.aud;
}
