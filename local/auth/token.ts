// POST /token: the password grant and the refresh-token grant with rotation and reuse detection
// (docs/PLATFORM.md, "Sign-up, sign-in, user updates and sign-out", "Refresh-token rotation").
import type { AuthContext } from './context.ts';
import { AuthError, badRequest, DatabaseError, Errors } from './errors.ts';
import { readJson, sendJson, type Request } from './http.ts';
import {
  activeRefreshToken,
  findRefreshToken,
  findSession,
  grantSession,
  insertRefreshToken,
  LEGACY_TOKEN_LENGTH,
  logout,
  tokenResponse,
  touchSession,
  type RefreshTokenRow,
  type TokenResponse,
} from './sessions.ts';
import { findUserByEmail, findUserById, hasPassword, isBanned } from './users.ts';
import { checkPasswordStrength, validatePhone } from './validate.ts';

/** Postgres' lock_not_available: another refresh of the session held the row for too long. */
const LOCK_NOT_AVAILABLE = '55P03';

export async function token(ctx: AuthContext, r: Request): Promise<void> {
  const grantType = r.query.get('grant_type');
  const grant = grantType === 'password' ? passwordGrant : grantType === 'refresh_token' ? refreshGrant : null;
  if (!grant) throw badRequest('invalid_credentials', 'unsupported_grant_type');
  // One bucket for both grants (token_refresh), taken before the body is read.
  ctx.limits.request('token', r);
  return grant(ctx, r);
}

async function passwordGrant(ctx: AuthContext, r: Request): Promise<void> {
  const body = await readJson(r, 'PasswordGrantParams');
  const email = body.string('email') ?? '';
  const phone = body.string('phone') ?? '';
  const password = body.string('password') ?? '';
  if (email && phone) throw badRequest('validation_failed', 'Only an email address or phone number should be provided on login.');
  if (phone) {
    validatePhone(phone);
    // EXTERNAL_PHONE_ENABLED=false in the CLI's defaults (docs/PLATFORM.md, "Auth settings").
    throw badRequest('phone_provider_disabled', 'Phone logins are disabled');
  }
  if (!email) throw badRequest('validation_failed', 'missing email or phone');

  const user = await findUserByEmail(ctx.sql, email, ctx.aud);
  if (!user || !hasPassword(user)) {
    // The same bcrypt work as a wrong password, so the answer's timing does not tell whether the
    // account exists (Supabase Auth answers these at once).
    await ctx.passwords.verify(password, await ctx.decoyHash);
    throw Errors.invalidCredentials();
  }
  if (isBanned(user)) throw Errors.userBanned();
  if (!(await ctx.passwords.verify(password, user.encrypted_password ?? ''))) throw Errors.invalidCredentials();
  // Checked after the password so that the answer does not reveal unconfirmed addresses.
  if (!user.email_confirmed_at) throw Errors.emailNotConfirmed();

  const session = await ctx.sql.begin((tx) => grantSession(ctx, tx, user, r, 'password'));
  sendJson(r, 200, { ...session, ...weakPasswordNotice(ctx, password) });
}

/** A password that passed when it was set but fails today's rules is flagged, not refused. */
function weakPasswordNotice(ctx: AuthContext, password: string): { weak_password?: { message: string; reasons: string[] } } {
  try {
    checkPasswordStrength(password, ctx.config.auth.minimumPasswordLength);
    return {};
  } catch (err) {
    if (err instanceof AuthError && err.reasons) return { weak_password: { message: err.message, reasons: err.reasons } };
    return {};
  }
}

type RefreshOutcome = { ok: TokenResponse } | { error: AuthError };

async function refreshGrant(ctx: AuthContext, r: Request): Promise<void> {
  const body = await readJson(r, 'RefreshTokenGrantParams');
  const presented = body.string('refresh_token') ?? '';
  if (presented.length < LEGACY_TOKEN_LENGTH) throw Errors.refreshTokenNotValid();

  const found = await findRefreshToken(ctx.sql, presented);
  if (!found) throw Errors.refreshTokenNotFound();
  const user = await findUserById(ctx.sql, found.user_id);
  if (!user) throw Errors.refreshTokenNotFound();
  if (isBanned(user)) throw badRequest('user_banned', 'Invalid Refresh Token: User Banned');
  if (!found.session_id) throw Errors.refreshSessionMissing();
  const sessionId = found.session_id;

  const outcome = await ctx.sql
    .begin(async (tx): Promise<RefreshOutcome> => {
      // Serialize refreshes of one session; a waiter gives up after 5 s like GoTrue's retry loop.
      await tx`set local lock_timeout = '5s'`;
      const session = await findSession(tx, sessionId, true);
      if (!session) return { error: Errors.refreshSessionMissing() };
      if (session.not_after && session.not_after < new Date()) return { error: Errors.refreshSessionExpired() };
      // Re-read under the lock: a concurrent refresh may have rotated this token meanwhile.
      const current = (await findRefreshToken(tx, presented)) as RefreshTokenRow | null;
      if (!current) return { error: Errors.refreshTokenNotFound() };

      const active = await activeRefreshToken(tx, sessionId);
      let issued: RefreshTokenRow | null = null;
      if (active && active.parent === current.token) {
        // The client lost the answer to its last refresh: hand out the same child again.
        issued = active;
      } else if (ctx.config.auth.refreshTokenRotation && current.revoked) {
        const interval = ctx.config.auth.refreshTokenReuseInterval;
        const reusable = interval > 0 && Date.now() < current.updated_at.getTime() + interval * 1000;
        if (!reusable) {
          // Reuse of an old generation looks like theft: the session ends with all its tokens,
          // access tokens included (as Supabase Auth does with its current refresh-token format;
          // its legacy path only revoked the refresh tokens), and that must stick although the
          // request fails.
          await logout(tx, user.id, sessionId, 'local');
          return { error: Errors.refreshTokenAlreadyUsed() };
        }
      }
      if (!issued) {
        // Keep the first revocation time: the reuse window is measured from it.
        await tx`update auth.refresh_tokens set revoked = true, updated_at = ${new Date()} where id = ${current.id} and revoked = false`;
        issued = await insertRefreshToken(tx, user.id, sessionId, current.token);
      }
      await touchSession(tx, sessionId, r);
      const fresh = (await findUserById(tx, user.id)) ?? user;
      return { ok: await tokenResponse(ctx, tx, fresh, sessionId, issued.token) };
    })
    .catch((err: unknown): never => {
      if (err instanceof AuthError) throw err;
      if ((err as { code?: unknown }).code === LOCK_NOT_AVAILABLE) throw Errors.refreshConflict();
      throw new DatabaseError('Database error refreshing the session', err);
    });
  if ('error' in outcome) throw outcome.error;
  sendJson(r, 200, outcome.ok);
}
