// Sessions, refresh tokens and access tokens: auth.sessions, auth.refresh_tokens (legacy 12-char
// tokens), auth.mfa_amr_claims, and the ES256 access-token claims (docs/PLATFORM.md,
// "Refresh-token rotation" and "Access-token claims").
import { randomInt, randomUUID } from 'node:crypto';
import type { AuthContext, Db } from './context.ts';
import { NIL_UUID } from './context.ts';
import { clientAddress, type Request } from './http.ts';
import { loadUserJson, updateUser, type UserRow } from './users.ts';

export interface RefreshTokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  created_at: Date;
  updated_at: Date;
  parent: string | null;
  session_id: string | null;
}

export interface SessionRow {
  id: string;
  user_id: string;
  aal: string | null;
  not_after: Date | null;
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const LEGACY_TOKEN_LENGTH = 12;

/** GoTrue's legacy refresh token: 12 lowercase alphanumerics from a CSPRNG. */
export function newRefreshToken(): string {
  let token = '';
  for (let i = 0; i < LEGACY_TOKEN_LENGTH; i++) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return token;
}

function userAgent(r: Request): string | null {
  const agent = r.req.headers['user-agent'];
  return typeof agent === 'string' ? agent : null;
}

/** `refreshed_at` is a `timestamp` without zone holding UTC, as GoTrue writes it. */
function utcTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

export async function insertRefreshToken(
  db: Db,
  userId: string,
  sessionId: string,
  parent: string | null,
): Promise<RefreshTokenRow> {
  const now = new Date();
  // A collision among 36^12 tokens is practically impossible; retrying keeps it a non-event anyway.
  for (;;) {
    const [row] = await db<RefreshTokenRow[]>`
      insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
      values (${NIL_UUID}, ${newRefreshToken()}, ${userId}, false, ${now}, ${now}, ${parent}, ${sessionId})
      on conflict (token) do nothing
      returning *`;
    if (row) return row;
  }
}

export async function findRefreshToken(db: Db, token: string): Promise<RefreshTokenRow | null> {
  const [row] = await db<RefreshTokenRow[]>`select * from auth.refresh_tokens where token = ${token}`;
  return row ?? null;
}

/** The session's current token: the newest one not revoked. */
export async function activeRefreshToken(db: Db, sessionId: string): Promise<RefreshTokenRow | null> {
  const [row] = await db<RefreshTokenRow[]>`
    select * from auth.refresh_tokens where session_id = ${sessionId} and revoked = false order by id desc limit 1`;
  return row ?? null;
}

export async function findSession(db: Db, id: string, forUpdate = false): Promise<SessionRow | null> {
  const [row] = forUpdate
    ? await db<SessionRow[]>`select id, user_id, aal, not_after from auth.sessions where id = ${id} for update`
    : await db<SessionRow[]>`select id, user_id, aal, not_after from auth.sessions where id = ${id}`;
  return row ?? null;
}

export async function touchSession(db: Db, sessionId: string, r: Request): Promise<void> {
  const now = new Date();
  await db`
    update auth.sessions
    set refreshed_at = ${utcTimestamp(now)}::timestamp, updated_at = ${now}, user_agent = ${userAgent(r)}, ip = ${clientAddress(r)}::inet
    where id = ${sessionId}`;
}

/** Builds the access token's claim set (docs/PLATFORM.md, "Access-token claims") (GoTrue's JSON order) and signs it ES256 with the CLI's key. */
export async function signAccessToken(
  ctx: AuthContext,
  db: Db,
  user: UserRow,
  sessionId: string,
): Promise<{ token: string; expiresAt: number }> {
  const session = await findSession(db, sessionId);
  const claims = await db<{ authentication_method: string; updated_at: Date }[]>`
    select authentication_method, updated_at from auth.mfa_amr_claims where session_id = ${sessionId} order by updated_at desc`;
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + ctx.config.auth.jwtExpiry;
  const token = await ctx.keys.signAccessToken({
    iss: ctx.issuer,
    sub: user.id,
    aud: user.aud ?? ctx.aud,
    exp,
    iat,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? '',
    aal: session?.aal ?? 'aal1',
    amr: claims.map((c) => ({ method: c.authentication_method, timestamp: Math.floor(c.updated_at.getTime() / 1000) })),
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  });
  return { token, expiresAt: exp };
}

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: Record<string, unknown>;
}

export async function tokenResponse(
  ctx: AuthContext,
  db: Db,
  user: UserRow,
  sessionId: string,
  refreshToken: string,
): Promise<TokenResponse> {
  const { token, expiresAt } = await signAccessToken(ctx, db, user, sessionId);
  return {
    access_token: token,
    token_type: 'bearer',
    expires_in: ctx.config.auth.jwtExpiry,
    expires_at: expiresAt,
    refresh_token: refreshToken,
    user: await loadUserJson(db, user),
  };
}

/**
 * A new session for a user who just proved who they are (password sign-in, auto-confirmed
 * sign-up): session row, first refresh token, AMR claim, `last_sign_in_at`.
 */
export async function grantSession(ctx: AuthContext, db: Db, user: UserRow, r: Request, method: string): Promise<TokenResponse> {
  const now = new Date();
  const signedIn = await updateUser(db, user.id, { last_sign_in_at: now });
  const sessionId = randomUUID();
  await db`
    insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
    values (${sessionId}, ${user.id}, ${now}, ${now}, 'aal1', ${userAgent(r)}, ${clientAddress(r)}::inet)`;
  const refresh = await insertRefreshToken(db, user.id, sessionId, null);
  await db`
    insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
    values (${sessionId}, ${now}, ${now}, ${method}, ${randomUUID()})
    on conflict (session_id, authentication_method) do update set updated_at = excluded.updated_at`;
  return tokenResponse(ctx, db, signedIn, sessionId, refresh.token);
}

export type LogoutScope = 'global' | 'local' | 'others';

/** Deletes sessions; their refresh tokens and AMR claims go with them (ON DELETE CASCADE). */
export async function logout(db: Db, userId: string, sessionId: string | null, scope: LogoutScope): Promise<void> {
  // GoTrue logs a token without a session out everywhere, whatever the scope.
  if (scope === 'local' && sessionId) await db`delete from auth.sessions where id = ${sessionId}`;
  else if (scope === 'others' && sessionId) await db`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
  else await db`delete from auth.sessions where user_id = ${userId}`;
}
