// Invitations through the SDK against the stack, with real sign-ups: the invitee hears about an
// invitation live on their private topic, sees it, accepts it; someone without an account yet
// signs up and joins with the link token; a withdrawn invitation is announced; nobody else hears
// any of it, and nobody can listen on someone else's topic; what arrives there that is not a notice
// is dropped and reported, never handed out.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { InvitationNotice, StudioError } from '../../sdk/src/index.ts';
import { admin, closeAdmin } from '../realtime/helpers.ts';
import { testClient } from './helpers.ts';

/** The notices `watch` delivers, and a way to wait for the next one that matches. */
function inbox() {
  const notices: InvitationNotice[] = [];
  const waiters: { take: (n: InvitationNotice) => boolean; resolve: (n: InvitationNotice) => void }[] = [];
  return {
    notices,
    push(notice: InvitationNotice) {
      notices.push(notice);
      for (const waiter of [...waiters]) if (waiter.take(notice)) waiter.resolve(notice);
    },
    next(take: (n: InvitationNotice) => boolean, ms = 10_000): Promise<InvitationNotice> {
      const seen = notices.find(take);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no notice arrived in time')), ms);
        waiters.push({ take, resolve: (n) => (clearTimeout(timer), resolve(n)) });
      });
    },
  };
}

describe('invitations through the SDK', () => {
  const suffix = randomBytes(4).toString('hex');
  const email = (name: string) => `${name}-${suffix}@example.com`;
  const [ada, bob, carol, eve] = [testClient(), testClient(), testClient(), testClient()];
  const cleanups: (() => Promise<void>)[] = [];
  let workspaceId = '';

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    for (const c of [ada, bob, carol, eve]) await c.supabase.removeAllChannels();
    await closeAdmin();
  });

  it('needs a session to watch', async () => {
    const watched = await testClient().invitations.watch(() => {});
    expect(watched.error?.code).toBe('session_missing');
  });

  it('the invitee hears about the invitation live, sees it, and accepts it', async () => {
    for (const [c, name] of [[ada, 'Ada'], [bob, 'Bob'], [eve, 'Eve']] as const) {
      expect((await c.auth.signUp({ email: email(name.toLowerCase()), password: `${name}-password-1`, displayName: name })).error).toBeNull();
    }
    workspaceId = (await ada.workspaces.create({ name: `Team ${suffix}` })).data!.id;

    const bobInbox = inbox();
    const eveInbox = inbox();
    for (const [c, box] of [[bob, bobInbox], [eve, eveInbox]] as const) {
      const watched = await c.invitations.watch((notice) => box.push(notice));
      expect(watched.error).toBeNull();
      cleanups.push(watched.data!);
    }

    const invited = await ada.workspaces.invite(workspaceId, { email: email('bob').toUpperCase(), role: 'editor' });
    expect(invited.error).toBeNull();
    expect(invited.data!.token).toMatch(/^tkinv_/);
    const notice = await bobInbox.next((n) => n.type === 'invitation_received');
    expect(notice).toEqual({
      type: 'invitation_received',
      invitation: { id: invited.data!.id, workspaceId, workspaceName: `Team ${suffix}`, email: email('bob'), role: 'editor', invitedBy: invited.data!.invitedBy, inviterName: 'Ada', createdAt: invited.data!.createdAt, expiresAt: invited.data!.expiresAt },
    });

    const pending = await bob.invitations.list();
    expect(pending.data!.data.map((i) => i.id)).toEqual([invited.data!.id]);
    expect((await ada.workspaces.invitations(workspaceId)).data!.data.map((i) => i.email)).toEqual([email('bob')]);
    expect((await ada.workspaces.members(workspaceId)).data!.data).toHaveLength(1);

    const joined = await bob.invitations.accept({ id: invited.data!.id });
    expect(joined.error).toBeNull();
    expect(joined.data).toMatchObject({ workspaceId, role: 'editor', displayName: 'Bob' });
    expect((await bob.workspaces.list()).data!.data.map((w) => [w.id, w.role])).toContainEqual([workspaceId, 'editor']);
    const again = await bob.invitations.accept({ token: invited.data!.token });
    expect(again.error).toMatchObject({ code: 'invitation_used', status: 409 });
    expect(eveInbox.notices).toEqual([]);
  });

  it('someone without an account signs up and joins with the link token', async () => {
    const invited = await ada.workspaces.invite(workspaceId, { email: email('carol-old-address'), role: 'viewer' });
    expect(invited.error).toBeNull();
    expect((await carol.auth.signUp({ email: email('carol'), password: 'carol-password-1', displayName: 'Carol' })).error).toBeNull();
    expect((await carol.invitations.list()).data!.data).toEqual([]);
    const joined = await carol.invitations.accept({ token: invited.data!.token });
    expect(joined.error).toBeNull();
    expect(joined.data).toMatchObject({ workspaceId, role: 'viewer', email: email('carol') });
  });

  it('a withdrawn invitation is announced, and then refused', async () => {
    const eveInbox = inbox();
    const watched = await eve.invitations.watch((notice) => eveInbox.push(notice));
    cleanups.push(watched.data!);
    const invited = await ada.workspaces.invite(workspaceId, { email: email('eve') });
    await eveInbox.next((n) => n.type === 'invitation_received');
    expect((await ada.workspaces.revokeInvitation(workspaceId, invited.data!.id)).error).toBeNull();
    expect(await eveInbox.next((n) => n.type === 'invitation_revoked')).toEqual({ type: 'invitation_revoked', invitationId: invited.data!.id, workspaceId });
    expect((await eve.invitations.accept({ id: invited.data!.id })).error).toMatchObject({ code: 'invitation_revoked' });
    expect((await eve.invitations.decline({ id: invited.data!.id })).error).toMatchObject({ code: 'invitation_revoked' });
  });

  it('drops and reports what is not a notice, and still delivers real ones', async () => {
    const errors: StudioError[] = [];
    const eveInbox = inbox();
    const watched = await eve.invitations.watch((notice) => eveInbox.push(notice), { onError: (e) => errors.push(e) });
    cleanups.push(watched.data!);
    const eveId = (await eve.auth.getSession()).data!.user.id;
    const id = '00000000-0000-4000-8000-00000000000a';
    const received = {
      type: 'invitation_received', id, workspace_id: workspaceId, workspace_name: 'Team', email: email('eve'), role: 'viewer',
      invited_by: null, inviter_name: null, created_at: '2026-01-01T10:00:00+00:00', expires_at: '2026-01-08T10:00:00+00:00',
    };
    const bad: unknown[] = [
      { type: 'invitation_received' },
      { ...received, id: 'not-a-uuid' },
      { ...received, role: 'admin' },
      { ...received, expires_at: 'next week' },
      { ...received, workspace_name: undefined },
      { ...received, inviter_name: 7 },
      { type: 'invitation_revoked', id, workspace_id: 'the team' },
      { type: 'invitation_accepted', id, workspace_id: workspaceId },
      [1, 2, 3],
      'invitation_received',
    ];
    // As only the database could: clients may not send on user:<id>.
    const sql = admin();
    for (const payload of [...bad, received]) await sql`select realtime.send(${sql.json(payload as never)}, 'invitation', ${`user:${eveId}`}, true)`;
    const notice = await eveInbox.next((n) => n.type === 'invitation_received' && n.invitation.id === id);
    expect(notice).toEqual({
      type: 'invitation_received',
      invitation: { id, workspaceId, workspaceName: 'Team', email: email('eve'), role: 'viewer', invitedBy: null, inviterName: null, createdAt: '2026-01-01T10:00:00.000Z', expiresAt: '2026-01-08T10:00:00.000Z' },
    });
    expect(eveInbox.notices.filter((n) => n.type === 'invitation_received' ? n.invitation.id === id : n.invitationId === id)).toHaveLength(1);
    expect(errors).toHaveLength(bad.length);
    expect(errors.every((e) => e.code === 'realtime_invalid_change' && /not an invitation notice/.test(e.message))).toBe(true);
  });

  it('nobody can listen on someone else\'s topic', async () => {
    const bobId = (await bob.auth.getSession()).data!.user.id;
    const channel = eve.supabase.channel(`user:${bobId}`, { config: { private: true } });
    await eve.supabase.realtime.setAuth();
    const status = await new Promise<string>((resolve) => channel.subscribe((first) => resolve(first)));
    expect(status).not.toBe('SUBSCRIBED');
    await eve.supabase.removeChannel(channel);
  });
});
