// Signing out ends the access token at once: once its session is gone (local or global sign-out,
// refresh-token reuse revoking the session, the user deleted), the API answers 401 session_expired
// on every data route, right away (the verified-token cache must not hide it), and changes nothing.
// Sessions come from the real Auth (the local stand-in) through supabase-js.
import { afterAll, describe, expect, it } from 'vitest';
import { adminClient, client as authClient, createUser as createAuthUser, signIn } from '../auth/helpers.ts';
import { call, closeDb, createUser, db, es256Token, expectProblem, expectStatus, stack, userClaims } from './helpers.ts';

afterAll(closeDb);

/** A confirmed user (admin API) and `count` sessions of theirs, each on its own client. */
async function userWithSessions(count: number) {
  const user = await createAuthUser('sessions');
  const sessions: Awaited<ReturnType<typeof signIn>>[] = [];
  for (let i = 0; i < count; i++) sessions.push(await signIn(user));
  return { id: user.id, sessions };
}

async function expectSessionExpired(token: string): Promise<void> {
  const res = await call('/workspaces', { as: token });
  expectProblem(res, 401, 'session_expired');
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
}

describe('signed-out tokens', () => {
  it('after POST /auth/logout the same token is refused at once on reads and writes, and nothing is written', async () => {
    const { id, sessions } = await userWithSessions(1);
    const token = sessions[0]!.session.access_token;
    // Verified (and cached) while the session lives.
    const created = await call('/workspaces', { method: 'POST', as: token, body: { name: 'Before sign-out' } });
    expectStatus(created, 201);

    expectStatus(await call('/auth/logout', { method: 'POST', as: token }), 204);
    await expectSessionExpired(token);
    expectProblem(await call(`/workspaces/${created.body.id}`, { method: 'PATCH', as: token, body: { name: 'After sign-out' } }), 401, 'session_expired');
    expectProblem(await call('/workspaces', { method: 'POST', as: token, body: { name: 'After sign-out' } }), 401, 'session_expired');
    expectProblem(await call('/brand-dna', { method: 'POST', as: token, body: { workspaceId: created.body.id, name: 'After', axes: { density: 0.5, warmth: 0.5, playfulness: 0.5, sophistication: 0.5, energy: 0.5 } } }), 401, 'session_expired');
    const workspaces = await db()`select name from public.workspaces where created_by = ${id}`;
    expect(workspaces.map((w) => w.name)).toEqual(['Before sign-out']);
  });

  it('a local sign-out ends that session only; a global one ends them all', async () => {
    const { sessions } = await userWithSessions(3);
    const [a, b, c] = sessions.map((s) => s.session.access_token) as [string, string, string];
    for (const token of [a, b, c]) expectStatus(await call('/workspaces', { as: token }), 200);

    expect((await sessions[0]!.client.auth.signOut({ scope: 'local' })).error).toBeNull();
    await expectSessionExpired(a);
    expectStatus(await call('/workspaces', { as: b }), 200);

    expect((await sessions[1]!.client.auth.signOut({ scope: 'global' })).error).toBeNull();
    await expectSessionExpired(b);
    await expectSessionExpired(c);
  });

  it('reusing an old refresh token revokes the session, and its access token with it', async () => {
    const { sessions } = await userWithSessions(1);
    const { client, session } = sessions[0]!;
    const r0 = session.refresh_token;
    const r1 = (await client.auth.refreshSession({ refresh_token: r0 })).data.session!.refresh_token;
    const refreshed = await client.auth.refreshSession({ refresh_token: r1 });
    expect(refreshed.error).toBeNull();
    const current = refreshed.data.session!.access_token;
    expectStatus(await call('/workspaces', { as: current }), 200);
    // R0 (two generations back) was revoked a minute ago, past the reuse interval: replaying it looks like theft.
    await db()`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = ${r0}`;
    expect((await authClient().auth.refreshSession({ refresh_token: r0 })).error?.code).toBe('refresh_token_already_used');
    await expectSessionExpired(current);
    await expectSessionExpired(session.access_token);
  });

  it('a deleted user\'s token is refused', async () => {
    const { id, sessions } = await userWithSessions(1);
    const token = sessions[0]!.session.access_token;
    expectStatus(await call('/workspaces', { as: token }), 200);
    expect((await adminClient().auth.admin.deleteUser(id)).error).toBeNull();
    await expectSessionExpired(token);
  });

  it('keys and tokens without a session (anon key, service role, a token minted without session_id) are not sessions and keep working', async () => {
    expectStatus(await call('/presets', { as: stack.anonKey }), 200);
    expectStatus(await call('/workspaces', { as: stack.serviceRoleKey }), 200);
    const user = await createUser();
    const { session_id: _none, ...claims } = userClaims(user);
    expectStatus(await call('/workspaces', { as: await es256Token(claims) }), 200);
    // A session id that never existed is refused like an ended one.
    expectProblem(await call('/workspaces', { as: await es256Token(userClaims(user, { session_id: crypto.randomUUID() })) }), 401, 'session_expired');
  });
});
