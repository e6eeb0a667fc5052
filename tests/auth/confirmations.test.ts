// Sign-up with e-mail confirmations on (`[auth.email] enable_confirmations = true`; the second half
// of docs/PLATFORM.md, "Sign-up check"), on a throw-away stack. Skipped against an external stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type postgres from 'postgres';
import { adminClient, client, database, PASSWORD, signIn, stack, uniqueEmail, variantStack, type Target } from './helpers.ts';

describe.skipIf(stack.external)('enable_confirmations = true', () => {
  let target: Target;
  let stop: () => Promise<void>;
  let sql: postgres.Sql;

  beforeAll(async () => {
    ({ target, stop } = await variantStack({ enableConfirmations: true }));
    sql = database(target);
  });
  afterAll(async () => {
    await sql?.end();
    await stop?.();
  });

  it('signUp returns no session and a user with one identity and confirmation_sent_at', async () => {
    const email = uniqueEmail('confirm');
    const { data, error } = await client({ target }).auth.signUp({
      email,
      password: PASSWORD,
      options: { data: { plan: 'free' } },
    });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user?.email).toBe(email);
    expect(data.user?.identities).toHaveLength(1);
    expect(data.user?.confirmation_sent_at).toBeTruthy();
    expect(data.user?.email_confirmed_at).toBeUndefined();
    expect(data.user?.user_metadata).toMatchObject({ plan: 'free', email_verified: false });
    const [row] = await sql`select confirmation_token, email_confirmed_at from auth.users where id = ${data.user!.id}`;
    expect(row!.confirmation_token).not.toBe('');
    expect(row!.email_confirmed_at).toBeNull();
    expect(await sql`select 1 from auth.sessions where user_id = ${data.user!.id}`).toHaveLength(0);
  });

  it('an unconfirmed user cannot sign in', async () => {
    const email = uniqueEmail('unconfirmed');
    await client({ target }).auth.signUp({ email, password: PASSWORD });
    const { error } = await client({ target }).auth.signInWithPassword({ email, password: PASSWORD });
    expect(error?.code).toBe('email_not_confirmed');
  });

  it('signing up again unconfirmed re-sends the mail, at most once per max_frequency (1 s)', async () => {
    const email = uniqueEmail('resend');
    const first = await client({ target }).auth.signUp({ email, password: PASSWORD });
    const id = first.data.user!.id;
    // The previous mail went out a moment ago; pinning the time keeps this independent of machine speed.
    await sql`update auth.users set confirmation_sent_at = now() + interval '30 seconds' where id = ${id}`;
    const tooSoon = await client({ target }).auth.signUp({ email, password: PASSWORD });
    expect(tooSoon.error?.status).toBe(429);
    expect(tooSoon.error?.code).toBe('over_email_send_rate_limit');
    // Pretend the mail went out a while ago instead of sleeping.
    await sql`update auth.users set confirmation_sent_at = now() - interval '5 seconds' where id = ${id}`;
    const again = await client({ target }).auth.signUp({ email, password: 'ignored-password' });
    expect(again.error).toBeNull();
    expect(again.data.user?.id).toBe(id);
    expect(again.data.user?.identities).toHaveLength(1);
    expect(Date.parse(again.data.user!.confirmation_sent_at!)).toBeGreaterThan(Date.now() - 60_000);
    expect(await sql`select 1 from auth.users where email = ${email}`).toHaveLength(1);
  });

  it('signing up with a confirmed address returns an obfuscated user with identities: []', async () => {
    const email = uniqueEmail('known');
    const first = await client({ target }).auth.signUp({ email, password: PASSWORD });
    const id = first.data.user!.id;
    expect((await adminClient(target).auth.admin.updateUserById(id, { email_confirm: true })).error).toBeNull();
    const { data, error } = await client({ target }).auth.signUp({ email, password: 'some-other-password' });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user?.identities).toEqual([]);
    expect(data.user?.id).not.toBe(id);
    expect(await sql`select 1 from auth.users where email = ${email}`).toHaveLength(1);
    // Nothing changed for the real user: the original password still works.
    expect((await signIn({ id, email, password: PASSWORD }, target)).session.user.id).toBe(id);
  });
});
