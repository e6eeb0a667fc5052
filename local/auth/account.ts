// The signed-in user's own routes: GET /user, PUT /user and POST /logout (docs/PLATFORM.md,
// "Sign-up, sign-in, user updates and sign-out").
import type { AuthContext } from './context.ts';
import { badRequest, DatabaseError, Errors, forbidden, AuthError, isUniqueViolation } from './errors.ts';
import { readJson, sendJson, sendNoContent, type Request } from './http.ts';
import { requestAud, requireUser } from './guard.ts';
import { logout as deleteSessions, type LogoutScope } from './sessions.ts';
import { mailToken, spendMail } from './signup.ts';
import { findUserByEmail, hasPassword, loadUserJson, mergeMetadata, updateUser, type UserRow } from './users.ts';
import { checkPasswordStrength, validateEmail } from './validate.ts';

export async function getUser(ctx: AuthContext, r: Request): Promise<void> {
  const { claims, user } = await requireUser(ctx, r);
  const aud = requestAud(ctx, claims);
  const tokenAud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  if (!tokenAud || tokenAud !== aud) throw badRequest('validation_failed', "Token audience doesn't match request audience");
  // Fresh from the database, not from the token's claims.
  sendJson(r, 200, await loadUserJson(ctx.sql, user));
}

export async function updateSelf(ctx: AuthContext, r: Request): Promise<void> {
  const { user, sessionId } = await requireUser(ctx, r);
  ctx.limits.request('user', r);
  const body = await readJson(r, 'UserUpdateParams');
  const rawEmail = body.string('email') ?? '';
  const phone = body.string('phone') ?? '';
  const password = body.string('password');
  const data = body.object('data');
  const appData = body.object('app_metadata');
  body.string('nonce');
  body.string('code_challenge');
  body.string('code_challenge_method');

  const email = rawEmail ? validateEmail(rawEmail) : '';
  if (appData && !ctx.adminRoles.includes(user.role ?? '')) {
    throw forbidden('not_admin', 'Updating app_metadata requires admin privileges');
  }
  if (phone && phone !== user.phone) {
    // Phone changes need the SMS provider, which the local stack does not run (docs/PLATFORM.md,
    // "Auth settings").
    throw badRequest('phone_provider_disabled', 'Unsupported phone provider');
  }
  const emailChanges = email !== '' && email !== (user.email ?? '');
  if (emailChanges) {
    const other = await findUserByEmail(ctx.sql, email, user.aud ?? ctx.aud);
    if (other && other.id !== user.id) throw Errors.emailExists();
  }
  let encryptedPassword: string | undefined;
  if (password !== undefined) {
    if (password !== '' && hasPassword(user) && (await ctx.passwords.verify(password, user.encrypted_password ?? ''))) {
      throw Errors.samePassword();
    }
    checkPasswordStrength(password, ctx.config.auth.minimumPasswordLength);
    encryptedPassword = await ctx.passwords.hash(password);
  }

  const updated = await ctx.sql
    .begin(async (tx) => {
      let current: UserRow = user;
      if (encryptedPassword !== undefined) {
        current = await updateUser(tx, current.id, { encrypted_password: encryptedPassword, updated_at: new Date() });
        // A new password means the old one may be compromised: every other session ends.
        await deleteSessions(tx, current.id, sessionId, 'others');
      }
      if (data) {
        current = await updateUser(tx, current.id, {
          raw_user_meta_data: mergeMetadata(current.raw_user_meta_data, data),
          updated_at: new Date(),
        });
      }
      if (appData) {
        current = await updateUser(tx, current.id, { raw_app_meta_data: mergeMetadata(current.raw_app_meta_data, appData) });
      }
      if (emailChanges) {
        // Secure e-mail change: the address only changes once the mail link is followed, so the
        // answer shows `new_email` and `email` stays as it was.
        spendMail(ctx, current.email_change_sent_at);
        current = await updateUser(tx, current.id, {
          email_change: email,
          email_change_sent_at: new Date(),
          email_change_token_new: mailToken(),
          email_change_token_current: mailToken(),
          email_change_confirm_status: 0,
          updated_at: new Date(),
        });
      }
      return loadUserJson(tx, current);
    })
    .catch((err: unknown): never => {
      if (err instanceof AuthError) throw err;
      if (isUniqueViolation(err)) throw Errors.emailExists();
      throw new DatabaseError('Error updating user', err);
    });
  sendJson(r, 200, updated);
}

const SCOPES = new Set<string>(['global', 'local', 'others']);

export async function logout(ctx: AuthContext, r: Request): Promise<void> {
  const { user, sessionId } = await requireUser(ctx, r);
  const scope = r.query.get('scope') || 'global';
  if (!SCOPES.has(scope)) throw badRequest('validation_failed', `Unsupported logout scope ${JSON.stringify(scope)}`);
  await deleteSessions(ctx.sql, user.id, sessionId, scope as LogoutScope);
  sendNoContent(r);
}
