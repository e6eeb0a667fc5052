// Sign-up with confirmations off (the local default; the first half of docs/PLATFORM.md, "Sign-up
// check"): a session at once, the rows GoTrue writes, and the access token's claims
// (docs/PLATFORM.md, "Access-token claims").
import { afterAll, describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import type { AuthChangeEvent } from '@supabase/supabase-js';
import { client, database, decodeJwt, PASSWORD, raw, stack, uniqueEmail } from './helpers.ts';

const sql = database();
afterAll(() => sql.end());

describe('signUp with confirmations off', () => {
  it('returns a session and emits SIGNED_IN', async () => {
    const c = client();
    const events: AuthChangeEvent[] = [];
    c.auth.onAuthStateChange((event) => {
      events.push(event);
    });
    const email = uniqueEmail('signup');
    const { data, error } = await c.auth.signUp({ email, password: PASSWORD, options: { data: { display_name: 'Ada' } } });
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeTruthy();
    expect(data.session?.token_type).toBe('bearer');
    expect(data.session?.expires_in).toBe(3600);
    expect(data.session?.refresh_token).toMatch(/^[a-z0-9]{12}$/);
    expect(events).toContain('SIGNED_IN');
    expect((await c.auth.getSession()).data.session?.user.email).toBe(email);
  });

  it('creates the user, one email identity and metadata the way GoTrue does', async () => {
    const email = uniqueEmail('shape').toUpperCase();
    const { data } = await client().auth.signUp({
      email,
      password: PASSWORD,
      options: { data: { display_name: 'Ada', plan: 'pro' } },
    });
    const user = data.user!;
    expect(user.email).toBe(email.toLowerCase());
    expect(user.aud).toBe('authenticated');
    expect(user.role).toBe('authenticated');
    expect(user.phone).toBe('');
    expect(user.is_anonymous).toBe(false);
    expect(user.email_confirmed_at).toBeTruthy();
    expect(user.confirmed_at).toBeTruthy();
    expect(user.last_sign_in_at).toBeTruthy();
    expect(user.app_metadata).toEqual({ provider: 'email', providers: ['email'] });
    expect(user.user_metadata).toMatchObject({
      sub: user.id,
      email: email.toLowerCase(),
      email_verified: true,
      phone_verified: false,
      display_name: 'Ada',
      plan: 'pro',
    });
    expect(user.identities).toHaveLength(1);
    const identity = user.identities![0]!;
    expect(identity.provider).toBe('email');
    expect(identity.id).toBe(user.id);
    expect(identity.user_id).toBe(user.id);
    expect(identity.identity_id).not.toBe(user.id);
    expect(identity.identity_data).toMatchObject({ sub: user.id, email: email.toLowerCase(), email_verified: true });
    expect(Date.parse(user.created_at)).not.toBeNaN();
  });

  it('stores a bcrypt hash, a session, its refresh token and the password AMR claim', async () => {
    const email = uniqueEmail('rows');
    const { data } = await client().auth.signUp({ email, password: PASSWORD });
    const id = data.user!.id;
    const [row] = await sql<{ encrypted_password: string; instance_id: string }[]>`
      select encrypted_password, instance_id::text from auth.users where id = ${id}`;
    expect(row!.encrypted_password).toMatch(/^\$2[ab]\$10\$/);
    expect(await bcrypt.compare(PASSWORD, row!.encrypted_password)).toBe(true);
    const sessions = await sql`select id from auth.sessions where user_id = ${id}`;
    expect(sessions).toHaveLength(1);
    const tokens = await sql`select token, revoked, parent, session_id::text from auth.refresh_tokens where user_id = ${id}`;
    expect(tokens).toEqual([{ token: data.session!.refresh_token, revoked: false, parent: null, session_id: sessions[0]!.id }]);
    const amr = await sql`select authentication_method from auth.mfa_amr_claims where session_id = ${sessions[0]!.id}`;
    expect(amr.map((r) => r.authentication_method)).toEqual(['password']);
    const identities = await sql`select provider, provider_id from auth.identities where user_id = ${id}`;
    expect(identities).toEqual([{ provider: 'email', provider_id: id }]);
  });

  it('issues an ES256 access token with the claims Supabase Auth puts in it', async () => {
    const email = uniqueEmail('claims');
    const { data } = await client().auth.signUp({ email, password: PASSWORD });
    const { header, payload } = decodeJwt(data.session!.access_token);
    expect(header).toEqual({ alg: 'ES256', kid: 'b81269f1-21d8-4f2e-b719-c2240a840d90', typ: 'JWT' });
    expect(Object.keys(payload)).toEqual([
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'email',
      'phone',
      'app_metadata',
      'user_metadata',
      'role',
      'aal',
      'amr',
      'session_id',
      'is_anonymous',
    ]);
    expect(payload.iss).toBe(`${stack.url}/auth/v1`);
    expect(payload.sub).toBe(data.user!.id);
    expect(payload.aud).toBe('authenticated');
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);
    expect(payload.email).toBe(email);
    expect(payload.phone).toBe('');
    expect(payload.role).toBe('authenticated');
    expect(payload.aal).toBe('aal1');
    expect(payload.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }]);
    expect(payload.is_anonymous).toBe(false);
    const [session] = await sql`select id::text from auth.sessions where user_id = ${data.user!.id}`;
    expect(payload.session_id).toBe(session!.id);
    expect(data.session!.expires_at).toBe(payload.exp);
  });

  it('re-signup of the same address creates nothing new', async () => {
    const email = uniqueEmail('twice');
    await client().auth.signUp({ email, password: PASSWORD });
    const again = await client().auth.signUp({ email, password: 'another-password' });
    expect(again.error?.code).toBe('user_already_exists');
    const [count] = await sql`select count(*)::int as n from auth.users where email = ${email}`;
    expect(count!.n).toBe(1);
    // The password was not replaced by the second attempt.
    expect((await client().auth.signInWithPassword({ email, password: PASSWORD })).error).toBeNull();
  });

  it('anonymous sign-in is disabled like the CLI default', async () => {
    const { error } = await client().auth.signInAnonymously();
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('anonymous_provider_disabled');
  });

  it('a sign-up without e-mail or phone but with a password is an anonymous sign-in too', async () => {
    const res = await raw('/signup', { body: { password: PASSWORD } });
    expect(res.status).toBe(422);
    expect(res.body?.code).toBe('anonymous_provider_disabled');
  });
});
