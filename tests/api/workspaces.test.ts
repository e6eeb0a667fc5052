// Workspaces and members through the API, for every role: anon, outsider, viewer, editor, owner,
// platform admin (and the service role).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, closeDb, createTeam, createUser, expectProblem, expectStatus, snapshot, stack, ZERO_UUID, type Team } from './helpers.ts';

let team: Team;

beforeAll(async () => {
  team = await createTeam('Workspace suite');
});
afterAll(closeDb);

describe('workspaces', () => {
  it('lists the caller\'s workspaces with their role', async () => {
    for (const [user, role] of [[team.owner, 'owner'], [team.editor, 'editor'], [team.viewer, 'viewer']] as const) {
      const res = await call('/workspaces', { as: user });
      expectStatus(res, 200);
      expect(res.body.data).toEqual([expect.objectContaining({ id: team.workspaceId, name: 'Workspace suite', role })]);
    }
    for (const user of [team.outsider, team.admin]) {
      const res = await call('/workspaces', { as: user });
      expectStatus(res, 200);
      expect(res.body.data.map((w: { id: string }) => w.id)).not.toContain(team.workspaceId);
    }
  });

  it('needs a signed-in caller: anon (no token, anon key, publishable key) gets 401 unauthorized', async () => {
    for (const as of [null, stack.anonKey, stack.publishableKey]) {
      const res = await call('/workspaces', { as });
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expectProblem(await call('/workspaces', { method: 'POST', as, body: { name: 'x' } }), 401, 'unauthorized');
    }
  });

  it('the service role (legacy key or secret key) sees every workspace, without a role', async () => {
    for (const as of [stack.serviceRoleKey, stack.secretKey]) {
      const res = await call('/workspaces', { as });
      expectStatus(res, 200);
      expect(res.body.data).toContainEqual(expect.objectContaining({ id: team.workspaceId, role: null }));
    }
  });

  it('creates a workspace with the caller as owner (201, Location)', async () => {
    const user = await createUser();
    const res = await call('/workspaces', { method: 'POST', as: user, body: { name: '  Fresh team  ' } });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ name: 'Fresh team', role: 'owner', createdBy: user.id });
    expect(res.headers.get('location')).toBe(`/api/v1/workspaces/${res.body.id}`);
    const members = await call(`/workspaces/${res.body.id}/members`, { as: user });
    expect(members.body.data).toEqual([expect.objectContaining({ userId: user.id, role: 'owner', email: user.email })]);
  });

  it('the service role cannot create a workspace (no user to own it): 403', async () => {
    expectProblem(await call('/workspaces', { method: 'POST', as: stack.serviceRoleKey, body: { name: 'Nobody\'s' } }), 403);
  });

  it('reads a workspace: members 200 with role, others 404', async () => {
    const res = await call(`/workspaces/${team.workspaceId}`, { as: team.viewer });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ id: team.workspaceId, role: 'viewer' });
    for (const user of [team.outsider, team.admin]) expectProblem(await call(`/workspaces/${team.workspaceId}`, { as: user }), 404, 'not_found');
    expectProblem(await call(`/workspaces/${ZERO_UUID}`, { as: team.owner }), 404);
    expectProblem(await call('/workspaces/not-a-uuid', { as: team.owner }), 404);
  });

  it('renames: owner 200; editor and viewer 403; outsider and admin 404', async () => {
    for (const user of [team.editor, team.viewer]) {
      expectProblem(await call(`/workspaces/${team.workspaceId}`, { method: 'PATCH', as: user, body: { name: 'Hijack' } }), 403, 'forbidden');
    }
    for (const user of [team.outsider, team.admin]) {
      expectProblem(await call(`/workspaces/${team.workspaceId}`, { method: 'PATCH', as: user, body: { name: 'Hijack' } }), 404);
    }
    const res = await call(`/workspaces/${team.workspaceId}`, { method: 'PATCH', as: team.owner, body: { name: 'Workspace suite' } });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ name: 'Workspace suite', role: 'owner' });
  });

  it('deletes: owner 204; editor/viewer 403; outsider 404; then it is gone', async () => {
    const doomed = await createTeam('Doomed');
    for (const user of [doomed.editor, doomed.viewer]) expectProblem(await call(`/workspaces/${doomed.workspaceId}`, { method: 'DELETE', as: user }), 403);
    for (const user of [doomed.outsider, doomed.admin]) expectProblem(await call(`/workspaces/${doomed.workspaceId}`, { method: 'DELETE', as: user }), 404);
    expectProblem(await call(`/workspaces/${doomed.workspaceId}`, { method: 'DELETE' }), 401);
    const res = await call(`/workspaces/${doomed.workspaceId}`, { method: 'DELETE', as: doomed.owner });
    expectStatus(res, 204);
    expect(res.text).toBe('');
    expectProblem(await call(`/workspaces/${doomed.workspaceId}`, { as: doomed.owner }), 404);
  });
});

describe('members', () => {
  it('lists members with e-mail and display name, for every member; 404 for others', async () => {
    for (const user of [team.owner, team.editor, team.viewer]) {
      const res = await call(`/workspaces/${team.workspaceId}/members`, { as: user });
      expectStatus(res, 200);
      expect(res.body.data).toHaveLength(3);
      const editor = res.body.data.find((m: { userId: string }) => m.userId === team.editor.id);
      expect(editor).toMatchObject({ role: 'editor', email: team.editor.email, displayName: team.editor.email.split('@')[0], addedBy: team.owner.id });
    }
    for (const user of [team.outsider, team.admin]) expectProblem(await call(`/workspaces/${team.workspaceId}/members`, { as: user }), 404);
  });

  it('changes roles: owner only; the last owner cannot be demoted (409 last_owner)', async () => {
    const t = await createTeam('Roles');
    for (const user of [t.editor, t.viewer]) {
      expectProblem(await call(`/workspaces/${t.workspaceId}/members/${t.viewer.id}`, { method: 'PATCH', as: user, body: { role: 'owner' } }), 403);
    }
    expectProblem(await call(`/workspaces/${t.workspaceId}/members/${t.viewer.id}`, { method: 'PATCH', as: t.outsider, body: { role: 'owner' } }), 404);
    expectProblem(await call(`/workspaces/${t.workspaceId}/members/${t.outsider.id}`, { method: 'PATCH', as: t.owner, body: { role: 'editor' } }), 404, 'member_not_found');
    expectProblem(await call(`/workspaces/${t.workspaceId}/members/${t.owner.id}`, { method: 'PATCH', as: t.owner, body: { role: 'viewer' } }), 409, 'last_owner');

    const promoted = await call(`/workspaces/${t.workspaceId}/members/${t.viewer.id}`, { method: 'PATCH', as: t.owner, body: { role: 'owner' } });
    expectStatus(promoted, 200);
    expect(promoted.body).toMatchObject({ userId: t.viewer.id, role: 'owner', email: t.viewer.email });
    // Now there are two owners, so the first may step down.
    const demoted = await call(`/workspaces/${t.workspaceId}/members/${t.owner.id}`, { method: 'PATCH', as: t.owner, body: { role: 'editor' } });
    expectStatus(demoted, 200);
    expect(demoted.body.role).toBe('editor');
  });

  it('removes: owners remove anyone, members only themselves, the last owner cannot leave', async () => {
    const t = await createTeam('Leaving');
    expectProblem(await call(`/workspaces/${t.workspaceId}/members/${t.viewer.id}`, { method: 'DELETE', as: t.editor }), 403);
    expectProblem(await call(`/workspaces/${t.workspaceId}/members/${t.viewer.id}`, { method: 'DELETE', as: t.outsider }), 404);
    expectProblem(await call(`/workspaces/${t.workspaceId}/members/${t.owner.id}`, { method: 'DELETE', as: t.owner }), 409, 'last_owner');
    expectStatus(await call(`/workspaces/${t.workspaceId}/members/${t.viewer.id}`, { method: 'DELETE', as: t.viewer }), 204);
    expectStatus(await call(`/workspaces/${t.workspaceId}/members/${t.editor.id}`, { method: 'DELETE', as: t.owner }), 204);
    const members = await call(`/workspaces/${t.workspaceId}/members`, { as: t.owner });
    expect(members.body.data.map((m: { userId: string }) => m.userId)).toEqual([t.owner.id]);
    expectProblem(await call(`/workspaces/${t.workspaceId}/members`, { as: t.viewer }), 404);
  });

  it('denials change nothing', async () => {
    const before = await snapshot(team);
    await call(`/workspaces/${team.workspaceId}/members/${team.owner.id}`, { method: 'DELETE', as: team.editor });
    await call(`/workspaces/${team.workspaceId}/members/${team.viewer.id}`, { method: 'PATCH', as: team.viewer, body: { role: 'owner' } });
    await call(`/workspaces/${team.workspaceId}`, { method: 'PATCH', as: team.viewer, body: { name: 'Mine now' } });
    await call(`/workspaces/${team.workspaceId}`, { method: 'DELETE', as: team.admin });
    expect(await snapshot(team)).toEqual(before);
  });
});
