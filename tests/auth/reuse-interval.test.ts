// Settings-dependent Auth behaviour on a throw-away stack with refresh_token_reuse_interval = 1 s
// (instead of 10, so reuse "after the interval" takes a short wait, not a 10 s sleep), sign-ups
// disabled and a 10-character minimum password. Skipped against an external stack, whose settings
// we do not control.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type postgres from 'postgres';
import bcrypt from 'bcryptjs';
import { AuthSessionMissingError } from '@supabase/supabase-js';
import {
  adminClient,
  client,
  createUser,
  database,
  decodeJwt,
  PASSWORD,
  signIn,
  stack,
  uniqueEmail,
  variantStack,
  type Target,
} from './helpers.ts';

const INTERVAL_MS = 1000;
/** Just past the reuse interval. */
const pastInterval = () => new Promise((resolve) => setTimeout(resolve, INTERVAL_MS + 250));

describe.skipIf(stack.external)('refresh_token_reuse_interval = 1, signups disabled, minimum_password_length = 10', () => {
  let target: Target;
  let stop: () => Promise<void>;
  let sql: postgres.Sql;

  beforeAll(async () => {
    ({ target, stop } = await variantStack({ refreshTokenReuseInterval: 1, enableSignup: false, minimumPasswordLength: 10 }));
    sql = database(target);
  });
  afterAll(async () => {
    await sql?.end();
    await stop?.();
  });

  const refresh = (token: string) => client({ target }).auth.refreshSession({ refresh_token: token });

  // Reuse *within* the interval is covered on the shared stack (10 s), where it cannot race the clock.
  it('past the interval, R1 still returns R2, but reusing R0 ends the whole session', async () => {
    const user = await createUser('reuse', target);
    const { session } = await signIn(user, target);
    const sessionId = decodeJwt(session.access_token).payload.session_id as string;
    const r0 = session.refresh_token;
    const r1 = (await refresh(r0)).data.session!.refresh_token;
    const refreshed = (await refresh(r1)).data.session!;
    const r2 = refreshed.refresh_token;
    await pastInterval();

    // The parent of the current token is honoured with no time limit.
    const replayR1 = await refresh(r1);
    expect(replayR1.error).toBeNull();
    expect(replayR1.data.session!.refresh_token).toBe(r2);

    // An older generation past the interval looks like theft.
    const replayR0 = await refresh(r0);
    expect(replayR0.data.session).toBeNull();
    expect(replayR0.error?.status).toBe(400);
    expect(replayR0.error?.code).toBe('refresh_token_already_used');
    expect(replayR0.error?.message).toBe('Invalid Refresh Token: Already Used');

    // The session goes with its tokens (as Supabase Auth does with its current refresh tokens), so
    // neither the thief nor the victim keeps a working access token or refresh token.
    expect(await sql`select 1 from auth.sessions where id = ${sessionId}`).toHaveLength(0);
    expect(await sql`select 1 from auth.refresh_tokens where session_id = ${sessionId}`).toHaveLength(0);
    for (const accessToken of [session.access_token, refreshed.access_token]) {
      expect((await client({ target }).auth.getUser(accessToken)).error).toBeInstanceOf(AuthSessionMissingError);
    }
    expect((await refresh(r2)).error?.code).toBe('refresh_token_not_found');
  });

  it('sign-up is refused with 422 signup_disabled and creates no user', async () => {
    const email = uniqueEmail('disabled');
    const { data, error } = await client({ target }).auth.signUp({ email, password: PASSWORD });
    expect(data.user).toBeNull();
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('signup_disabled');
    expect(error?.message).toBe('Signups not allowed for this instance');
    expect(await sql`select 1 from auth.users where email = ${email}`).toHaveLength(0);
  });

  it('admins can still create users, who can sign in', async () => {
    const user = await createUser('stillok', target);
    expect((await signIn(user, target)).session.user.id).toBe(user.id);
  });

  it('the configured minimum length applies to new passwords', async () => {
    const user = await createUser('minlen', target);
    const { client: c } = await signIn(user, target);
    const { error } = await c.auth.updateUser({ password: 'nine-char' });
    expect(error?.code).toBe('weak_password');
    expect(error?.message).toBe('Password should be at least 10 characters.');
  });

  it('a stored password that no longer meets the rules signs in with a weak_password notice', async () => {
    const email = uniqueEmail('legacy');
    const { error } = await adminClient(target).auth.admin.createUser({
      email,
      password_hash: await bcrypt.hash('short1', 10),
      email_confirm: true,
    });
    expect(error).toBeNull();
    const signedIn = await client({ target }).auth.signInWithPassword({ email, password: 'short1' });
    expect(signedIn.error).toBeNull();
    expect(signedIn.data.session).not.toBeNull();
    expect(signedIn.data.weakPassword).toEqual({ message: 'Password should be at least 10 characters.', reasons: ['length'] });
    const strong = await signIn(await createUser('strong', target), target);
    expect(strong.session.access_token).toBeTruthy();
  });
});
