// POST /signup (docs/PLATFORM.md, "Sign-up, sign-in, user updates and sign-out"): e-mail + password
// sign-up, with or without e-mail confirmation.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuthContext } from './context.ts';
import { EMAIL_MAX_FREQUENCY_SECONDS } from './context.ts';
import { AuthError, badRequest, DatabaseError, Errors, isUniqueViolation, unprocessable } from './errors.ts';
import { readJson, sendJson, type Request } from './http.ts';
import { grantSession } from './sessions.ts';
import {
  confirmEmail,
  findUserByEmail,
  identityClaims,
  insertIdentity,
  insertUser,
  loadUserJson,
  mergeMetadata,
  updateUser,
  userJson,
  type Metadata,
  type UserRow,
} from './users.ts';
import { checkPasswordStrength, validateEmail } from './validate.ts';

/** A random hash standing in for the token a confirmation e-mail would carry (no mail is sent). */
export function mailToken(): string {
  return randomBytes(28).toString('hex');
}

/**
 * What sending a mail costs: 429 when the previous mail to this address went out less than
 * max_frequency ago, or when the project has used up its e-mails for the hour.
 */
export function spendMail(ctx: AuthContext, sentAt: Date | null): void {
  if (sentAt && Date.now() - sentAt.getTime() < EMAIL_MAX_FREQUENCY_SECONDS * 1000) {
    throw Errors.emailRateLimit(EMAIL_MAX_FREQUENCY_SECONDS);
  }
  ctx.limits.email();
}

export async function signup(ctx: AuthContext, r: Request): Promise<void> {
  const body = await readJson(r, 'SignupParams');
  const email = body.string('email') ?? '';
  const phone = body.string('phone') ?? '';
  const password = body.string('password') ?? '';
  const data = body.object('data') ?? {};
  body.string('code_challenge');
  body.string('code_challenge_method');

  // Without e-mail or phone the request is an anonymous sign-in (disabled locally:
  // docs/PLATFORM.md, "Auth settings").
  if (!email && !phone) throw unprocessable('anonymous_provider_disabled', 'Anonymous sign-ins are disabled');
  ctx.limits.request('signup', r);
  if (!ctx.config.auth.enableSignup) throw Errors.signupDisabled();
  if (!password) throw badRequest('validation_failed', 'Signup requires a valid password');
  checkPasswordStrength(password, ctx.config.auth.minimumPasswordLength);
  if (email && phone)
    throw badRequest('validation_failed', 'Only an email address or phone number should be provided on signup.');
  if (!email) throw badRequest('phone_provider_disabled', 'Phone signups are disabled');
  if (!!body.string('code_challenge') !== !!body.string('code_challenge_method')) {
    throw badRequest('validation_failed', 'PKCE flow requires code_challenge_method and code_challenge');
  }
  const address = validateEmail(email);
  const confirmations = ctx.config.auth.enableConfirmations;

  const existing = await findUserByEmail(ctx.sql, address, ctx.aud);
  // Repeated sign-up with confirmations off is an error. (GoTrue would confirm an unconfirmed,
  // e.g. admin-created, user here and hand out a session without checking the password; we
  // refuse instead.)
  if (existing && !confirmations) throw Errors.userAlreadyExists();
  if (existing?.email_confirmed_at) {
    // Confirmations on: an obfuscated look-alike user with no identities, so that addresses
    // cannot be enumerated.
    sendJson(r, 200, obfuscatedUser(ctx, address, data));
    return;
  }

  // Hash outside the transaction: it is the slow part and needs no lock.
  const encryptedPassword = existing ? null : await ctx.passwords.hash(password);
  const result = await ctx.sql
    .begin(async (tx) => {
      let user: UserRow;
      if (existing) {
        // Unconfirmed address signing up again: the claimed identity is not trusted, so nothing is
        // updated; the confirmation mail is simply sent again (rate-limited).
        user = existing;
      } else {
        user = await insertUser(tx, {
          aud: ctx.aud,
          role: 'authenticated',
          email: address,
          phone: null,
          encryptedPassword,
          appMetadata: { provider: 'email', providers: ['email'] },
          userMetadata: data,
        });
        // identity_data = the claims plus every `data` key they do not already have.
        const claims = identityClaims(user.id, address, null);
        const identityData = mergeMetadata(data, claims);
        await insertIdentity(tx, user.id, 'email', identityData);
        user = await updateUser(tx, user.id, { raw_user_meta_data: mergeMetadata(user.raw_user_meta_data, identityData) });
      }
      if (!confirmations) {
        user = await confirmEmail(tx, user);
        return { session: await grantSession(ctx, tx, user, r, 'password') };
      }
      spendMail(ctx, user.confirmation_sent_at);
      user = await updateUser(tx, user.id, { confirmation_sent_at: new Date(), confirmation_token: mailToken() });
      return { user: await loadUserJson(tx, user) };
    })
    .catch((err: unknown) => {
      if (err instanceof AuthError) throw err;
      // A concurrent sign-up of the same address lost the race on the unique index.
      if (isUniqueViolation(err)) throw Errors.userAlreadyExists();
      throw new DatabaseError('Database error saving new user', err);
    });
  sendJson(r, 200, 'session' in result ? result.session : result.user);
}

/** GoTrue's sanitizeUser: what a repeated sign-up of a confirmed address sees. */
function obfuscatedUser(ctx: AuthContext, email: string, data: Metadata): Record<string, unknown> {
  const now = new Date();
  const fake = userJson(
    {
      id: randomUUID(),
      aud: ctx.aud,
      role: '',
      email,
      encrypted_password: null,
      email_confirmed_at: null,
      invited_at: null,
      confirmation_sent_at: now,
      recovery_sent_at: null,
      email_change: null,
      email_change_sent_at: null,
      last_sign_in_at: null,
      raw_app_meta_data: { provider: 'email', providers: ['email'] },
      raw_user_meta_data: data,
      created_at: now,
      updated_at: now,
      phone: null,
      phone_confirmed_at: null,
      phone_change: null,
      phone_change_sent_at: null,
      confirmed_at: null,
      reauthentication_sent_at: null,
      banned_until: null,
      deleted_at: null,
      is_anonymous: false,
    },
    [],
  );
  return fake;
}
