// The error contract of Auth (docs/PLATFORM.md, "Auth errors", "Auth error codes check"): how
// errors look on the wire, and the rows of the status/code/message table this project can hit, each
// through the real client where the client exposes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthApiError, AuthSessionMissingError, AuthWeakPasswordError, isAuthApiError } from '@supabase/supabase-js';
import {
  adminClient,
  client,
  createUser,
  database,
  decodeJwt,
  PASSWORD,
  raw,
  signIn,
  signWithDefaultKey,
  stack,
  uniqueEmail,
  type TestUser,
} from './helpers.ts';

const sql = database();
let user: TestUser;

beforeAll(async () => {
  user = await createUser('errors');
});
afterAll(() => sql.end());

describe('error shape', () => {
  it('a wrong password is an AuthApiError 400 with code invalid_credentials', async () => {
    const { data, error } = await client().auth.signInWithPassword({ email: user.email, password: 'wrong-password' });
    expect(data.session).toBeNull();
    expect(error).toBeInstanceOf(AuthApiError);
    expect(isAuthApiError(error)).toBe(true);
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('invalid_credentials');
    expect(error?.message).toBe('Invalid login credentials');
  });

  it('answers {code,message} and echoes X-Supabase-Api-Version when the request sends it', async () => {
    const res = await raw('/token?grant_type=password', { body: { email: user.email, password: 'wrong-password' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.body).toEqual({ code: 'invalid_credentials', message: 'Invalid login credentials' });
  });

  it('answers the legacy {code:<status>,error_code,msg} body when the request lacks the header', async () => {
    const res = await raw('/token?grant_type=password', {
      body: { email: user.email, password: 'wrong-password' },
      versioned: false,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-supabase-api-version')).toBeNull();
    expect(res.body).toMatchObject({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
  });

  it('treats a request version before 2024-01-01 as legacy', async () => {
    const res = await raw('/token?grant_type=password', {
      body: { email: user.email, password: 'wrong-password' },
      versioned: false,
      headers: { 'X-Supabase-Api-Version': '2023-06-01' },
    });
    expect(res.body).toMatchObject({ code: 400, error_code: 'invalid_credentials' });
  });
});

describe('status/code/message table', () => {
  it('body not JSON → 400 bad_json', async () => {
    const res = await raw('/signup', { body: '{"email":' });
    expect(res.status).toBe(400);
    expect(res.body?.code).toBe('bad_json');
    expect(String(res.body?.message)).toMatch(/^Could not parse request body as JSON: /);
  });

  it('signup without password → 400 validation_failed', async () => {
    const { error } = await client().auth.signUp({ email: uniqueEmail('nopw'), password: '' });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('validation_failed');
    expect(error?.message).toBe('Signup requires a valid password');
  });

  it('password shorter than the minimum → 422 weak_password with reasons', async () => {
    const { error } = await client().auth.signUp({ email: uniqueEmail('weak'), password: '12345' });
    expect(error).toBeInstanceOf(AuthWeakPasswordError);
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('weak_password');
    expect(error?.message).toBe('Password should be at least 6 characters.');
    expect((error as AuthWeakPasswordError).reasons).toEqual(['length']);
  });

  it('bad email → 400 validation_failed', async () => {
    const { error } = await client().auth.signUp({ email: 'not-an-email', password: PASSWORD });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('validation_failed');
    expect(error?.message).toBe('Unable to validate email address: invalid format');
  });

  it('re-signup of a confirmed email with autoconfirm on → 422 user_already_exists', async () => {
    const { error } = await client().auth.signUp({ email: user.email, password: PASSWORD });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('user_already_exists');
    expect(error?.message).toBe('User already registered');
  });

  it('unknown email → 400 invalid_credentials', async () => {
    const { error } = await client().auth.signInWithPassword({ email: uniqueEmail('nobody'), password: PASSWORD });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('invalid_credentials');
  });

  it('user without a password → 400 invalid_credentials', async () => {
    const nopw = await createUser('nopw');
    await sql`update auth.users set encrypted_password = '' where id = ${nopw.id}`;
    const { error } = await client().auth.signInWithPassword({ email: nopw.email, password: PASSWORD });
    expect(error?.code).toBe('invalid_credentials');
  });

  it('email not confirmed → 400 email_not_confirmed even with autoconfirm on', async () => {
    const email = uniqueEmail('unconfirmed');
    const created = await adminClient().auth.admin.createUser({ email, password: PASSWORD });
    expect(created.error).toBeNull();
    const { error } = await client().auth.signInWithPassword({ email, password: PASSWORD });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('email_not_confirmed');
    expect(error?.message).toBe('Email not confirmed');
  });

  it('banned user at /token → 400 user_banned', async () => {
    const banned = await createUser('banned', stack, { ban_duration: '24h' });
    const { error } = await client().auth.signInWithPassword({ email: banned.email, password: banned.password });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('user_banned');
    expect(error?.message).toBe('User is banned');
  });

  it('unsupported grant_type → 400 invalid_credentials "unsupported_grant_type"', async () => {
    const res = await raw('/token?grant_type=client_credentials', { body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid_credentials', message: 'unsupported_grant_type' });
  });

  it('refresh token shorter than 12 chars → 400 validation_failed', async () => {
    const { error } = await client().auth.refreshSession({ refresh_token: 'short' });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('validation_failed');
    expect(error?.message).toBe('Refresh token is not valid');
  });

  it('unknown refresh token → 400 refresh_token_not_found', async () => {
    const { error } = await client().auth.refreshSession({ refresh_token: 'zzzzzzzzzzzz' });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('refresh_token_not_found');
    expect(error?.message).toBe('Invalid Refresh Token: Refresh Token Not Found');
  });

  it('no Bearer on a user route → 401 no_authorization', async () => {
    // The gateway turns a lone apikey into a raw Authorization value, which is not a Bearer token.
    for (const res of [await raw('/user', { token: null, apikey: null }), await raw('/user', { token: null })]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'no_authorization', message: 'This endpoint requires a valid Bearer token' });
    }
  });

  it('expired token → 403 bad_jwt mentioning expiry', async () => {
    const { session } = await signIn(user);
    const now = Math.floor(Date.now() / 1000);
    const expired = await signWithDefaultKey({ ...decodeJwt(session.access_token).payload, iat: now - 7200, exp: now - 60 });
    const res = await raw('/user', { token: expired });
    expect(res.status).toBe(403);
    expect(res.body?.code).toBe('bad_jwt');
    expect(String(res.body?.message)).toMatch(/^invalid JWT: unable to parse or verify signature, .*token is expired/);
  });

  it('token without sub (the anon key) on /user → 403 bad_jwt "missing sub claim"', async () => {
    const res = await raw('/user');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'bad_jwt', message: 'invalid claim: missing sub claim' });
  });

  it('sub of a deleted user → 403 user_not_found', async () => {
    const doomed = await createUser('deleted');
    const { session } = await signIn(doomed);
    expect((await adminClient().auth.admin.deleteUser(doomed.id)).error).toBeNull();
    const res = await raw('/user', { token: session.access_token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'user_not_found', message: 'User from sub claim in JWT does not exist' });
  });

  it('session_id of a signed-out session → 403 session_not_found → AuthSessionMissingError', async () => {
    const { client: c, session } = await signIn(user);
    expect((await c.auth.signOut({ scope: 'local' })).error).toBeNull();
    const res = await raw('/user', { token: session.access_token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'session_not_found', message: 'Session from session_id claim in JWT does not exist' });
    const { error } = await client().auth.getUser(session.access_token);
    expect(error).toBeInstanceOf(AuthSessionMissingError);
  });

  it('admin route with a user token → 403 not_admin', async () => {
    const { session } = await signIn(user);
    const res = await raw('/admin/users', { token: session.access_token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'not_admin', message: 'User not allowed' });
  });

  it('admin create with a taken email → 422 email_exists', async () => {
    const { error } = await adminClient().auth.admin.createUser({ email: user.email, password: PASSWORD });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('email_exists');
    expect(error?.message).toBe('A user with this email address has already been registered');
  });

  it('admin get/delete of an unknown id → 404 user_not_found', async () => {
    const unknown = '1b0d5f7e-6c1a-4d1e-9a55-0c9e6f3f1a2b';
    for (const { error } of [
      await adminClient().auth.admin.getUserById(unknown),
      await adminClient().auth.admin.deleteUser(unknown),
    ]) {
      expect(error?.status).toBe(404);
      expect(error?.code).toBe('user_not_found');
      expect(error?.message).toBe('User not found');
    }
  });

  it('PUT /user with the same password → 422 same_password', async () => {
    const { client: c } = await signIn(user);
    const { error } = await c.auth.updateUser({ password: user.password });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('same_password');
    expect(error?.message).toBe('New password should be different from the old password.');
  });

  it('PUT /user with a taken email → 422 email_exists', async () => {
    const other = await createUser('taken');
    const { client: c } = await signIn(user);
    const { error } = await c.auth.updateUser({ email: other.email });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('email_exists');
  });

  it('unknown logout scope → 400 validation_failed', async () => {
    const { session } = await signIn(user);
    const res = await raw('/logout?scope=x', { method: 'POST', token: session.access_token });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'validation_failed', message: 'Unsupported logout scope "x"' });
  });
});
