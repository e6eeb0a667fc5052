// A signed-in user's life through the real client: password sign-in, refresh rotation (the parts of
// docs/PLATFORM.md, "Refresh chain check", that need no waiting), getUser, updateUser, and the three
// sign-out scopes (docs/PLATFORM.md, "Sign-out check").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { AuthSessionMissingError, type AuthChangeEvent } from '@supabase/supabase-js';
import { adminClient, client, createUser, database, decodeJwt, raw, signIn, type TestUser } from './helpers.ts';

const sql = database();
afterAll(() => sql.end());

async function refresh(token: string) {
  return client().auth.refreshSession({ refresh_token: token });
}

async function sessionsOf(userId: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`select id::text from auth.sessions where user_id = ${userId} order by created_at`;
  return rows.map((r) => r.id);
}

describe('signInWithPassword', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await createUser('signin');
  });

  it('returns a session, records last_sign_in_at and opens a new session row each time', async () => {
    const before = await sessionsOf(user.id);
    const { data, error } = await client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(error).toBeNull();
    expect(data.user?.id).toBe(user.id);
    expect(data.session?.refresh_token).toMatch(/^[a-z0-9]{12}$/);
    expect(data.user?.last_sign_in_at).toBeTruthy();
    const after = await sessionsOf(user.id);
    expect(after).toHaveLength(before.length + 1);
    expect(after).toContain(decodeJwt(data.session!.access_token).payload.session_id);
  });

  it('matches the e-mail case-insensitively', async () => {
    const { error } = await client().auth.signInWithPassword({ email: user.email.toUpperCase(), password: user.password });
    expect(error).toBeNull();
  });
});

describe('refresh rotation', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await createUser('refresh');
  });

  it('rotates: a new pair, the old token revoked and recorded as parent', async () => {
    const { session } = await signIn(user);
    const { data, error } = await refresh(session.refresh_token);
    expect(error).toBeNull();
    expect(data.session!.refresh_token).not.toBe(session.refresh_token);
    expect(data.session!.access_token).not.toBe(session.access_token);
    expect(decodeJwt(data.session!.access_token).payload.session_id).toBe(decodeJwt(session.access_token).payload.session_id);
    // A refresh does not add an AMR entry.
    expect(decodeJwt(data.session!.access_token).payload.amr).toHaveLength(1);
    const rows =
      await sql`select token, revoked, parent from auth.refresh_tokens where token in ${sql([session.refresh_token, data.session!.refresh_token])} order by id`;
    expect(rows).toEqual([
      { token: session.refresh_token, revoked: true, parent: null },
      { token: data.session!.refresh_token, revoked: false, parent: session.refresh_token },
    ]);
  });

  it('replaying R1 (the parent of the current token) returns R2 again', async () => {
    const { session } = await signIn(user);
    const r0 = session.refresh_token;
    const r1 = (await refresh(r0)).data.session!.refresh_token;
    const r2 = (await refresh(r1)).data.session!.refresh_token;
    const replay = await refresh(r1);
    expect(replay.error).toBeNull();
    expect(replay.data.session!.refresh_token).toBe(r2);
    const [count] = await sql`select count(*)::int as n from auth.refresh_tokens where parent = ${r1}`;
    expect(count!.n).toBe(1);
  });

  it('replaying R0 within the reuse interval yields a fresh sibling of R1', async () => {
    // The CLI default interval is 10 s; the replay follows the rotation within milliseconds.
    const { session } = await signIn(user);
    const r0 = session.refresh_token;
    const r1 = (await refresh(r0)).data.session!.refresh_token;
    const r2 = (await refresh(r1)).data.session!.refresh_token;
    const replay = await refresh(r0);
    expect(replay.error).toBeNull();
    const sibling = replay.data.session!.refresh_token;
    expect([r0, r1, r2]).not.toContain(sibling);
    const [row] = await sql`select parent, revoked from auth.refresh_tokens where token = ${sibling}`;
    expect(row).toEqual({ parent: r0, revoked: false });
  });

  it('concurrent refreshes of one token all succeed with the same child', async () => {
    const { session } = await signIn(user);
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => raw('/token?grant_type=refresh_token', { body: { refresh_token: session.refresh_token } })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(results.map((r) => r.body?.refresh_token)).size).toBe(1);
  });
});

describe('getUser', () => {
  it('returns the user fresh from the database, not from the token', async () => {
    const user = await createUser('getuser');
    const { client: c, session } = await signIn(user);
    await adminClient().auth.admin.updateUserById(user.id, { user_metadata: { later: true } });
    const { data, error } = await c.auth.getUser();
    expect(error).toBeNull();
    expect(data.user?.id).toBe(user.id);
    expect(data.user?.user_metadata.later).toBe(true);
    expect(decodeJwt(session.access_token).payload.user_metadata).not.toHaveProperty('later');
    // getUser(jwt) from a client without a session does the same.
    expect((await client().auth.getUser(session.access_token)).data.user?.id).toBe(user.id);
  });
});

describe('updateUser', () => {
  it('merges data shallowly, deletes keys set to null and emits USER_UPDATED', async () => {
    const user = await createUser('meta', undefined, { user_metadata: { keep: 1, drop: 2, nested: { a: 1 } } });
    const { client: c } = await signIn(user);
    const events: AuthChangeEvent[] = [];
    c.auth.onAuthStateChange((event) => {
      events.push(event);
    });
    const { data, error } = await c.auth.updateUser({ data: { drop: null, nested: { b: 2 }, added: 'x' } });
    expect(error).toBeNull();
    expect(data.user?.user_metadata).toEqual({ keep: 1, nested: { b: 2 }, added: 'x', email_verified: true });
    expect(events).toContain('USER_UPDATED');
    const [row] = await sql`select raw_user_meta_data from auth.users where id = ${user.id}`;
    expect(row!.raw_user_meta_data).toEqual({ keep: 1, nested: { b: 2 }, added: 'x', email_verified: true });
  });

  it('refuses app_metadata from a user', async () => {
    const user = await createUser('appmeta');
    const { session } = await signIn(user);
    const res = await raw('/user', { method: 'PUT', token: session.access_token, body: { app_metadata: { role: 'admin' } } });
    expect(res.status).toBe(403);
    expect(res.body?.code).toBe('not_admin');
    const [row] = await sql`select raw_app_meta_data from auth.users where id = ${user.id}`;
    expect(row!.raw_app_meta_data).toEqual({ provider: 'email', providers: ['email'] });
  });

  it('a new password is stored hashed and ends every other session, not the current one', async () => {
    const user = await createUser('pwchange');
    const current = await signIn(user);
    const other = await signIn(user);
    const { error } = await current.client.auth.updateUser({ password: 'a-brand-new-password' });
    expect(error).toBeNull();
    expect(await sessionsOf(user.id)).toEqual([decodeJwt(current.session.access_token).payload.session_id]);
    expect((await client().auth.getUser(current.session.access_token)).error).toBeNull();
    expect((await client().auth.getUser(other.session.access_token)).error).toBeInstanceOf(AuthSessionMissingError);
    expect((await refresh(other.session.refresh_token)).error?.code).toBe('refresh_token_not_found');
    const [row] = await sql`select encrypted_password from auth.users where id = ${user.id}`;
    expect(await bcrypt.compare('a-brand-new-password', row!.encrypted_password)).toBe(true);
    expect((await client().auth.signInWithPassword({ email: user.email, password: user.password })).error?.code).toBe(
      'invalid_credentials',
    );
    expect((await client().auth.signInWithPassword({ email: user.email, password: 'a-brand-new-password' })).error).toBeNull();
  });

  it('a weak new password is refused and nothing changes', async () => {
    const user = await createUser('pwweak');
    const { client: c } = await signIn(user);
    const { error } = await c.auth.updateUser({ password: '123' });
    expect(error?.code).toBe('weak_password');
    expect((await client().auth.signInWithPassword({ email: user.email, password: user.password })).error).toBeNull();
  });

  it('an e-mail change waits for confirmation even with autoconfirm', async () => {
    const user = await createUser('emailchange');
    const { client: c } = await signIn(user);
    const next = user.email.replace('emailchange', 'emailchanged');
    const { data, error } = await c.auth.updateUser({ email: next });
    expect(error).toBeNull();
    expect(data.user?.email).toBe(user.email);
    expect(data.user?.new_email).toBe(next);
    expect(data.user?.email_change_sent_at).toBeTruthy();
    const [row] = await sql`select email, email_change from auth.users where id = ${user.id}`;
    expect(row).toEqual({ email: user.email, email_change: next });
  });
});

describe('signOut scopes', () => {
  it('others: every other session ends, this one stays', async () => {
    const user = await createUser('others');
    const a = await signIn(user);
    const b = await signIn(user);
    const c = await signIn(user);
    expect((await b.client.auth.signOut({ scope: 'others' })).error).toBeNull();
    expect(await sessionsOf(user.id)).toEqual([decodeJwt(b.session.access_token).payload.session_id]);
    for (const gone of [a, c]) {
      expect((await client().auth.getUser(gone.session.access_token)).error).toBeInstanceOf(AuthSessionMissingError);
    }
    expect((await client().auth.getUser(b.session.access_token)).error).toBeNull();
    // B still holds its session after `others`.
    expect((await b.client.auth.getSession()).data.session).not.toBeNull();
  });

  it('local: only this session ends, and the client forgets it', async () => {
    const user = await createUser('local');
    const a = await signIn(user);
    const b = await signIn(user);
    expect((await a.client.auth.signOut({ scope: 'local' })).error).toBeNull();
    expect((await a.client.auth.getSession()).data.session).toBeNull();
    expect(await sessionsOf(user.id)).toEqual([decodeJwt(b.session.access_token).payload.session_id]);
    const res = await raw('/user', { token: a.session.access_token });
    expect(res.status).toBe(403);
    expect(res.body?.code).toBe('session_not_found');
    expect((await client().auth.getUser(a.session.access_token)).error).toBeInstanceOf(AuthSessionMissingError);
    expect((await client().auth.getUser(b.session.access_token)).error).toBeNull();
  });

  it('global (the default): every session and refresh token of the user is deleted', async () => {
    const user = await createUser('global');
    const a = await signIn(user);
    const b = await signIn(user);
    expect((await a.client.auth.signOut()).error).toBeNull();
    expect(await sessionsOf(user.id)).toEqual([]);
    const [tokens] = await sql`select count(*)::int as n from auth.refresh_tokens where user_id = ${user.id}`;
    expect(tokens!.n).toBe(0);
    for (const gone of [a, b]) {
      expect((await client().auth.getUser(gone.session.access_token)).error).toBeInstanceOf(AuthSessionMissingError);
    }
    expect((await refresh(b.session.refresh_token)).error?.code).toBe('refresh_token_not_found');
  });

  it('answers 204 with an empty body, and signing out twice is harmless for the client', async () => {
    const user = await createUser('twice');
    const a = await signIn(user);
    const res = await raw('/logout?scope=local', { method: 'POST', token: a.session.access_token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    // The second time the server says session_not_found, which auth-js treats as signed out.
    expect((await a.client.auth.signOut()).error).toBeNull();
  });

  it('admin.signOut(jwt, scope) signs out with that user token', async () => {
    const user = await createUser('adminsignout');
    const a = await signIn(user);
    const b = await signIn(user);
    expect((await adminClient().auth.admin.signOut(a.session.access_token, 'local')).error).toBeNull();
    expect(await sessionsOf(user.id)).toEqual([decodeJwt(b.session.access_token).payload.session_id]);
  });
});
