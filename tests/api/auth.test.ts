// The REST face over Supabase Auth: sign-up, sign-in, refresh, sign-out through the API, with the
// local Auth stand-in behind it, and the tokens it returns working on the rest of the API.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/db.ts';
import { SessionSchema } from '../../sdk/src/schemas.ts';
import { call, closeDb, createUser, expectProblem, expectStatus } from './helpers.ts';
import { inProcessApi } from './in-process.ts';

afterAll(closeDb);

const email = () => `signup-${randomUUID().slice(0, 8)}@example.com`;

describe('auth routes', () => {
  it('signs up, signs in, refreshes and signs out; the access token works on the API', async () => {
    const address = email();
    const signup = await call('/auth/signup', { method: 'POST', body: { email: address, password: 'correct horse battery', displayName: 'Signed Up' } });
    expectStatus(signup, 201);
    expect(signup.body.user).toMatchObject({ id: expect.any(String), email: address });
    const session = SessionSchema.parse(signup.body.session);
    expect(JSON.stringify(signup.body)).not.toContain('correct horse battery');

    const created = await call('/workspaces', { method: 'POST', as: session.accessToken, body: { name: 'Via REST auth' } });
    expectStatus(created, 201);
    const members = await call(`/workspaces/${created.body.id}/members`, { as: session.accessToken });
    expect(members.body.data[0]).toMatchObject({ userId: signup.body.user.id, displayName: 'Signed Up' });

    const login = await call('/auth/login', { method: 'POST', body: { email: address, password: 'correct horse battery' } });
    expectStatus(login, 200);
    const loggedIn = SessionSchema.parse(login.body);
    expect(loggedIn.user.id).toBe(signup.body.user.id);

    const refreshed = await call('/auth/refresh', { method: 'POST', body: { refreshToken: loggedIn.refreshToken } });
    expectStatus(refreshed, 200);
    const next = SessionSchema.parse(refreshed.body);
    expect(next.refreshToken).not.toBe(loggedIn.refreshToken);

    expectStatus(await call('/auth/logout', { method: 'POST', as: next.accessToken }), 204);
    // All sessions ended: the refresh token is dead.
    expectProblem(await call('/auth/refresh', { method: 'POST', body: { refreshToken: next.refreshToken } }), 400);
  });

  it('passes on Auth\'s refusals as problems with Auth\'s codes', async () => {
    const address = email();
    expectStatus(await call('/auth/signup', { method: 'POST', body: { email: address, password: 'secret-enough' } }), 201);
    expectProblem(await call('/auth/signup', { method: 'POST', body: { email: address, password: 'secret-enough' } }), 422, 'user_already_exists');
    expectProblem(await call('/auth/login', { method: 'POST', body: { email: address, password: 'wrong password' } }), 400, 'invalid_credentials');
    expectProblem(await call('/auth/signup', { method: 'POST', body: { email: email(), password: '123' } }), 422, 'weak_password');
    expectProblem(await call('/auth/refresh', { method: 'POST', body: { refreshToken: 'nonexistent-token' } }), 400);
  });

  it('validates its own input first (422), and logout needs a user (401)', async () => {
    expectProblem(await call('/auth/login', { method: 'POST', body: { email: 'not-an-email', password: 'x' } }), 422, 'validation_failed');
    expectProblem(await call('/auth/signup', { method: 'POST', body: { email: email(), password: 'secret-enough', role: 'admin' } }), 422);
    expectProblem(await call('/auth/logout', { method: 'POST' }), 401, 'unauthorized');
    expectProblem(await call('/auth/logout?scope=everything', { method: 'POST', as: 'x.y.z' }), 401, 'invalid_token');
  });

  it('answers 502 auth_unavailable when Supabase Auth does not answer', async () => {
    const api = inProcessApi({ SUPABASE_URL: `http://127.0.0.1:${await freePort()}` });
    try {
      const user = await createUser();
      expectProblem(await call('/auth/signup', { api, method: 'POST', body: { email: email(), password: 'secret-enough' } }), 502, 'auth_unavailable');
      expectProblem(await call('/auth/login', { api, method: 'POST', body: { email: user.email, password: 'secret-enough' } }), 502, 'auth_unavailable');
      expectProblem(await call('/auth/logout', { api, method: 'POST', as: user }), 502, 'auth_unavailable');
      expect(api.logs.map((entry) => entry.code)).toEqual(['auth_unavailable', 'auth_unavailable', 'auth_unavailable']);
    } finally {
      await api.close();
    }
  });
});
