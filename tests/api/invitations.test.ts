// Invitations through the API: owners invite by e-mail (the same answer whether or not an account
// exists), list and revoke; invitees see theirs, accept (by id with the invited address, or by link
// token) or decline; expired, revoked, reused and wrong-address invitations are refused; two
// concurrent accepts of one token make one member. Adding members directly is for the service role.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvitationCreatedSchema, InvitationListSchema, MemberSchema, ReceivedInvitationListSchema } from '../../sdk/src/index.ts';
import { call, closeDb, createTeam, createUser, db, expectProblem, expectStatus, snapshot, stack, type Json, type Team, type TestUser } from './helpers.ts';

let team: Team;

beforeAll(async () => {
  team = await createTeam('Invitation suite');
});
afterAll(closeDb);

function invite(as: TestUser | string | null, body: Record<string, unknown>, workspaceId = team.workspaceId) {
  return call(`/workspaces/${workspaceId}/invitations`, { method: 'POST', as, body });
}

async function invited(email: string, role = 'viewer', workspaceId = team.workspaceId): Promise<Json> {
  const res = await invite(team.owner, { email, role }, workspaceId);
  expectStatus(res, 201);
  return InvitationCreatedSchema.parse(res.body);
}

const answer = (as: TestUser | string | null, verb: 'accept' | 'decline', body: Record<string, unknown>) =>
  call(`/invitations/${verb}`, { method: 'POST', as, body });

async function memberIds(workspaceId = team.workspaceId): Promise<string[]> {
  const res = await call(`/workspaces/${workspaceId}/members`, { as: team.owner });
  expectStatus(res, 200);
  return res.body.data.map((m: { userId: string }) => m.userId);
}

/** The types of each field, e.g. { id: 'string', invitedBy: 'string' }: the shape of a body. */
const shapeOf = (body: Record<string, unknown>) => Object.fromEntries(Object.entries(body).map(([key, value]) => [key, value === null ? 'null' : typeof value]));

describe('inviting', () => {
  it('owners invite by e-mail with a role: 201 with the link token, shown only then', async () => {
    const newcomer = await createUser({ name: 'newcomer' });
    const res = await invite(team.owner, { email: newcomer.email.toUpperCase(), role: 'editor' });
    expectStatus(res, 201);
    const body = InvitationCreatedSchema.parse(res.body);
    expect(body).toMatchObject({ workspaceId: team.workspaceId, email: newcomer.email, role: 'editor', invitedBy: team.owner.id });
    expect(body.token).toMatch(/^tkinv_[A-Za-z0-9_-]{43}$/);
    const days = (Date.parse(body.expiresAt) - Date.parse(body.createdAt)) / 86_400_000;
    expect(days).toBe(7);

    const listed = await call(`/workspaces/${team.workspaceId}/invitations`, { as: team.owner });
    expectStatus(listed, 200);
    const pending = InvitationListSchema.parse(listed.body).data.find((i) => i.id === body.id);
    expect(pending).toEqual({ id: body.id, workspaceId: team.workspaceId, email: newcomer.email, role: 'editor', invitedBy: team.owner.id, createdAt: body.createdAt, expiresAt: body.expiresAt });
    expect(listed.text).not.toContain(body.token);
    const [row] = await db()`select encode(token_hash, 'hex') as hash, encode(sha256(convert_to(${body.token}, 'UTF8')), 'hex') as expected from public.workspace_invitations where id = ${body.id}`;
    expect(row!.hash).toBe(row!.expected);
  });

  it('answers the same whether or not an account has that address (no e-mail oracle)', async () => {
    const existing = await createUser({ name: 'existing' });
    const unconfirmed = await createUser({ name: 'unconfirmed', confirmed: false });
    const answers = await Promise.all([existing.email, unconfirmed.email, `nobody-${randomUUID().slice(0, 8)}@example.com`].map((email) => invite(team.owner, { email, role: 'viewer' })));
    for (const res of answers) expectStatus(res, 201);
    const [first, ...others] = answers.map((res) => res.body as Record<string, unknown>);
    for (const other of others) expect(shapeOf(other)).toEqual(shapeOf(first!));
    const listed = InvitationListSchema.parse((await call(`/workspaces/${team.workspaceId}/invitations`, { as: team.owner })).body).data;
    const mine = listed.filter((i) => answers.some((res) => res.body.id === i.id));
    expect(mine).toHaveLength(3);
    for (const inv of mine) expect(shapeOf(inv)).toEqual(shapeOf(mine[0]!));
  });

  it('only owners invite: editors and viewers 403, outsiders and admins 404, anon 401; denials change nothing', async () => {
    const before = await snapshot(team);
    const email = `x-${randomUUID().slice(0, 8)}@example.com`;
    for (const user of [team.editor, team.viewer]) expectProblem(await invite(user, { email }), 403);
    for (const user of [team.outsider, team.admin]) expectProblem(await invite(user, { email }), 404);
    expectProblem(await invite(null, { email }), 401);
    for (const user of [team.editor, team.viewer]) expectProblem(await call(`/workspaces/${team.workspaceId}/invitations`, { as: user }), 403);
    for (const user of [team.outsider, team.admin]) expectProblem(await call(`/workspaces/${team.workspaceId}/invitations`, { as: user }), 404);
    expect(await snapshot(team)).toEqual(before);
  });

  it('refuses bad input with 422, and a member\'s address with 409 already_member', async () => {
    for (const body of [{ email: 'not-an-address' }, { email: 'a@example.com', role: 'admin' }, { email: 'a@example.com', expiresInDays: 0 }, { email: 'a@example.com', expiresInDays: 31 }, { email: 'a@example.com', token: 'x' }]) {
      expectProblem(await invite(team.owner, body), 422, 'validation_failed');
    }
    expectProblem(await invite(team.owner, { email: team.editor.email }), 409, 'already_member');
  });

  it('expiresInDays sets the expiry; the service role invites too (as nobody)', async () => {
    const res = await invite(team.owner, { email: `short-${randomUUID().slice(0, 8)}@example.com`, expiresInDays: 1 });
    expectStatus(res, 201);
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(86_400_000);
    const service = await invite(stack.serviceRoleKey, { email: `svc-${randomUUID().slice(0, 8)}@example.com`, role: 'editor' });
    expectStatus(service, 201);
    expect(service.body.invitedBy).toBeNull();
  });
});

describe('limits', () => {
  it('a workspace has at most 100 open invitations: then 409 too_many_open_invitations; a withdrawal makes room', async () => {
    const fresh = await createTeam('Invitation limit');
    // 99 open invitations made two days ago (outside the 24-hour count).
    await db()`
      insert into public.workspace_invitations (workspace_id, email, token_hash, invited_by, created_at)
      select ${fresh.workspaceId}, 'guest-' || i || '@example.com', sha256(convert_to(${randomUUID()} || i, 'UTF8')), ${fresh.owner.id}, now() - interval '2 days'
      from generate_series(1, 99) as g(i)`;
    expectStatus(await invite(fresh.owner, { email: 'guest-100@example.com' }, fresh.workspaceId), 201);
    const before = await snapshot(fresh);
    const over = await invite(fresh.owner, { email: 'guest-101@example.com' }, fresh.workspaceId);
    expectProblem(over, 409, 'too_many_open_invitations');
    expect(await snapshot(fresh)).toEqual(before);
    const list = await call(`/workspaces/${fresh.workspaceId}/invitations`, { as: fresh.owner });
    expect(list.body.data).toHaveLength(100);
    expectStatus(await call(`/workspaces/${fresh.workspaceId}/invitations/${list.body.data[0].id}`, { method: 'DELETE', as: fresh.owner }), 204);
    expectStatus(await invite(fresh.owner, { email: 'guest-101@example.com' }, fresh.workspaceId), 201);
  });

  it('one person makes at most 100 invitations in 24 hours, re-invitations included: then 429 too_many_invitations with Retry-After', async () => {
    const fresh = await createTeam('Invitation rate');
    // Re-invitations of one address in the last day, the first 23 hours ago: 99 with the ones the
    // owner made to set up the team.
    await db()`
      insert into public.workspace_invitations (workspace_id, email, token_hash, invited_by, created_at, revoked_at)
      select ${fresh.workspaceId}, 'again@example.com', sha256(convert_to(${randomUUID()} || i, 'UTF8')), ${fresh.owner.id},
             now() - interval '23 hours' + i * interval '1 minute', now() - interval '1 hour'
      from generate_series(0, 98 - (select count(*) from public.workspace_invitations where invited_by = ${fresh.owner.id})) as g(i)`;
    expectStatus(await invite(fresh.owner, { email: 'again@example.com' }, fresh.workspaceId), 201);
    const over = await invite(fresh.owner, { email: 'again@example.com' }, fresh.workspaceId);
    expectProblem(over, 429, 'too_many_invitations');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(3601);
  });
});

describe('answering', () => {
  it('the invitee sees the invitation once signed in with that address, and nobody is a member before accepting', async () => {
    const newcomer = await createUser({ name: 'newcomer' });
    const inv = await invited(newcomer.email, 'editor');
    expect(await memberIds()).not.toContain(newcomer.id);

    const mine = await call('/invitations', { as: newcomer });
    expectStatus(mine, 200);
    expect(ReceivedInvitationListSchema.parse(mine.body).data).toEqual([
      { id: inv.id, workspaceId: team.workspaceId, workspaceName: 'Invitation suite', email: newcomer.email, role: 'editor', invitedBy: team.owner.id, inviterName: team.owner.email.split('@')[0], createdAt: inv.createdAt, expiresAt: inv.expiresAt },
    ]);
    for (const user of [team.outsider, team.editor]) {
      expect((await call('/invitations', { as: user })).body.data.map((i: { id: string }) => i.id)).not.toContain(inv.id);
    }
    expectProblem(await call('/invitations'), 401);

    const accepted = await answer(newcomer, 'accept', { id: inv.id });
    expectStatus(accepted, 200);
    expect(MemberSchema.parse(accepted.body)).toMatchObject({ workspaceId: team.workspaceId, userId: newcomer.id, role: 'editor', email: newcomer.email, addedBy: team.owner.id });
    expect(await memberIds()).toContain(newcomer.id);
    expectStatus(await call(`/workspaces/${team.workspaceId}`, { as: newcomer }), 200);
    expect((await call('/invitations', { as: newcomer })).body.data).toEqual([]);
    expectProblem(await answer(newcomer, 'accept', { id: inv.id }), 409, 'invitation_used');
    expectProblem(await answer(newcomer, 'accept', { token: inv.token }), 409, 'invitation_used');
  });

  it('a link token is accepted by whoever signs in with it, whatever their address', async () => {
    const friend = await createUser({ name: 'friend' });
    const inv = await invited(`nobody-yet-${randomUUID().slice(0, 8)}@example.com`, 'viewer');
    const res = await answer(friend, 'accept', { token: inv.token });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ userId: friend.id, role: 'viewer' });
    expect(await memberIds()).toContain(friend.id);
  });

  it('without the token, only the invited, confirmed address may answer: others get 404 invitation_not_found', async () => {
    const unconfirmed = await createUser({ name: 'unconfirmed', confirmed: false });
    const inv = await invited(unconfirmed.email);
    expect((await call('/invitations', { as: unconfirmed })).body.data).toEqual([]);
    for (const user of [unconfirmed, team.outsider, team.editor, team.owner]) {
      expectProblem(await answer(user, 'accept', { id: inv.id }), 404, 'invitation_not_found');
      expectProblem(await answer(user, 'decline', { id: inv.id }), 404, 'invitation_not_found');
    }
    expectProblem(await answer(team.outsider, 'accept', { token: `tkinv_${'A'.repeat(43)}` }), 404, 'invitation_not_found');
    expectProblem(await answer(null, 'accept', { token: inv.token }), 401);
    expectProblem(await answer(stack.serviceRoleKey, 'accept', { token: inv.token }), 403);
    for (const body of [{}, { id: inv.id, token: inv.token }, { token: 'guess' }, { id: 'nope' }]) {
      expectProblem(await answer(team.outsider, 'accept', body), 422, 'validation_failed');
    }
    expect(await memberIds()).not.toContain(unconfirmed.id);
  });

  it('expired invitations are refused with 409 invitation_expired', async () => {
    const newcomer = await createUser({ name: 'late' });
    const inv = await invited(newcomer.email);
    await db()`update public.workspace_invitations set created_at = now() - interval '8 days', expires_at = now() - interval '1 day' where id = ${inv.id}`;
    expectProblem(await answer(newcomer, 'accept', { id: inv.id }), 409, 'invitation_expired');
    expectProblem(await answer(newcomer, 'accept', { token: inv.token }), 409, 'invitation_expired');
    expect((await call('/invitations', { as: newcomer })).body.data).toEqual([]);
    const listed = await call(`/workspaces/${team.workspaceId}/invitations`, { as: team.owner });
    expect(listed.body.data.map((i: { id: string }) => i.id)).not.toContain(inv.id);
    expect(await memberIds()).not.toContain(newcomer.id);
  });

  it('declining: 204, then the invitation is used and makes nobody a member', async () => {
    const newcomer = await createUser({ name: 'decliner' });
    const inv = await invited(newcomer.email, 'owner');
    expectStatus(await answer(newcomer, 'decline', { id: inv.id }), 204);
    expectProblem(await answer(newcomer, 'accept', { token: inv.token }), 409, 'invitation_used');
    expectProblem(await answer(newcomer, 'decline', { id: inv.id }), 409, 'invitation_used');
    expect(await memberIds()).not.toContain(newcomer.id);
    const other = await invited(`link-${randomUUID().slice(0, 8)}@example.com`);
    expectStatus(await answer(team.outsider, 'decline', { token: other.token }), 204);
  });

  it('two concurrent accepts of one token make exactly one member', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([createUser({ name: 'racer' }), createUser({ name: 'racer' })]);
      const inv = await invited(`race-${randomUUID().slice(0, 8)}@example.com`, 'editor');
      const results = await Promise.all([answer(a!, 'accept', { token: inv.token }), answer(b!, 'accept', { token: inv.token })]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const loser = results.find((r) => r.status === 409)!;
      expectProblem(loser, 409, 'invitation_used');
      const [row] = await db()`
        select count(*)::int as members from public.workspace_members
        where workspace_id = ${team.workspaceId} and user_id in (${a!.id}, ${b!.id})`;
      expect(row!.members).toBe(1);
    }
  });

  it('the same invitee accepting twice at once joins once', async () => {
    const newcomer = await createUser({ name: 'double' });
    const inv = await invited(newcomer.email);
    const results = await Promise.all([answer(newcomer, 'accept', { id: inv.id }), answer(newcomer, 'accept', { token: inv.token })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await memberIds()).filter((id) => id === newcomer.id)).toHaveLength(1);
  });
});

describe('revoking', () => {
  it('owners revoke pending invitations (204, idempotent); the link then answers 409 invitation_revoked', async () => {
    const newcomer = await createUser({ name: 'revoked' });
    const inv = await invited(newcomer.email);
    const path = `/workspaces/${team.workspaceId}/invitations/${inv.id}`;
    const before = await snapshot(team);
    for (const user of [team.editor, team.viewer]) expectProblem(await call(path, { method: 'DELETE', as: user }), 403);
    for (const user of [team.outsider, team.admin, newcomer]) expectProblem(await call(path, { method: 'DELETE', as: user }), 404);
    expectProblem(await call(path, { method: 'DELETE' }), 401);
    expect(await snapshot(team)).toEqual(before);

    expectStatus(await call(path, { method: 'DELETE', as: team.owner }), 204);
    expectStatus(await call(path, { method: 'DELETE', as: team.owner }), 204);
    expectProblem(await answer(newcomer, 'accept', { token: inv.token }), 409, 'invitation_revoked');
    expectProblem(await answer(newcomer, 'accept', { id: inv.id }), 409, 'invitation_revoked');
    const listed = await call(`/workspaces/${team.workspaceId}/invitations`, { as: team.owner });
    expect(listed.body.data.map((i: { id: string }) => i.id)).not.toContain(inv.id);
  });

  it('an owner who is demoted takes their open invitations along', async () => {
    const t = await createTeam('Demotion');
    expectStatus(await call(`/workspaces/${t.workspaceId}/members/${t.editor.id}`, { method: 'PATCH', as: t.owner, body: { role: 'owner' } }), 200);
    const guest = await createUser({ name: 'guest' });
    const inv = await invite(t.editor, { email: guest.email, role: 'owner' }, t.workspaceId);
    expectStatus(inv, 201);
    expectStatus(await call(`/workspaces/${t.workspaceId}/members/${t.editor.id}`, { method: 'PATCH', as: t.owner, body: { role: 'editor' } }), 200);
    expectProblem(await answer(guest, 'accept', { token: inv.body.token }), 409, 'invitation_revoked');
    expect((await call(`/workspaces/${t.workspaceId}/invitations`, { as: t.owner })).body.data).toEqual([]);
  });

  it('a new invitation to the same address replaces the open one', async () => {
    const newcomer = await createUser({ name: 'twice' });
    const first = await invited(newcomer.email, 'viewer');
    const second = await invited(newcomer.email, 'editor');
    expectProblem(await answer(newcomer, 'accept', { token: first.token }), 409, 'invitation_revoked');
    expect((await call('/invitations', { as: newcomer })).body.data.map((i: { id: string }) => i.id)).toEqual([second.id]);
  });

  it('an answered invitation cannot be revoked (409 invitation_used); unknown ids and other workspaces\' invitations are 404', async () => {
    const newcomer = await createUser({ name: 'kept' });
    const inv = await invited(newcomer.email);
    expectStatus(await answer(newcomer, 'accept', { id: inv.id }), 200);
    expectProblem(await call(`/workspaces/${team.workspaceId}/invitations/${inv.id}`, { method: 'DELETE', as: team.owner }), 409, 'invitation_used');
    expectProblem(await call(`/workspaces/${team.workspaceId}/invitations/${randomUUID()}`, { method: 'DELETE', as: team.owner }), 404, 'invitation_not_found');
    const other = await createTeam('Other invitation team');
    const foreign = await invite(other.owner, { email: 'someone@example.com' }, other.workspaceId);
    expectStatus(foreign, 201);
    expectProblem(await call(`/workspaces/${team.workspaceId}/invitations/${foreign.body.id}`, { method: 'DELETE', as: team.owner }), 404, 'invitation_not_found');
  });
});

describe('adding members directly', () => {
  it('is for the service role only: owners get 403 invitation_required, outsiders 404', async () => {
    const newcomer = await createUser({ name: 'direct' });
    const before = await snapshot(team);
    for (const user of [team.owner, team.editor, team.viewer]) {
      expectProblem(await call(`/workspaces/${team.workspaceId}/members`, { method: 'POST', as: user, body: { email: newcomer.email } }), 403, 'invitation_required');
    }
    for (const user of [team.outsider, team.admin]) {
      expectProblem(await call(`/workspaces/${team.workspaceId}/members`, { method: 'POST', as: user, body: { email: newcomer.email } }), 404);
    }
    expect(await snapshot(team)).toEqual(before);

    const res = await call(`/workspaces/${team.workspaceId}/members`, { method: 'POST', as: stack.serviceRoleKey, body: { email: newcomer.email.toUpperCase(), role: 'editor' } });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ userId: newcomer.id, role: 'editor', email: newcomer.email, addedBy: null });
    expect(res.headers.get('location')).toBe(`/api/v1/workspaces/${team.workspaceId}/members/${newcomer.id}`);
    expectProblem(await call(`/workspaces/${team.workspaceId}/members`, { method: 'POST', as: stack.serviceRoleKey, body: { email: newcomer.email } }), 409, 'already_member');
    expectProblem(await call(`/workspaces/${team.workspaceId}/members`, { method: 'POST', as: stack.secretKey, body: { email: 'nobody@example.com' } }), 404, 'user_not_found');
  });
});
