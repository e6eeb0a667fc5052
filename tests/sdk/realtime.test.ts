// The SDK's realtime helpers against the test stack: every incoming change is checked against its
// schema and its topic, and what does not pass is dropped and reported through onError, never thrown
// into the app; presence resolves once the others' presence is known, and marks who tracked each
// entry. Malformed messages are sent the way only the database could (realtime.send as
// `postgres`, which bypasses RLS), since clients may not send on these topics at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { BrandDnaChange, StudioError } from '../../sdk/src/index.ts';
import { admin, closeAdmin, eventually, stack } from '../realtime/helpers.ts';
import { createTeam, type Team } from './team.ts';

const sql = admin();
let team: Team;

beforeAll(async () => {
  team = await createTeam();
});
afterAll(async () => {
  await team?.close();
  await closeAdmin();
});

describe('watch', () => {
  it('drops malformed and misdirected changes, reports each through onError, and still delivers real ones', async () => {
    const changes: BrandDnaChange[] = [];
    const errors: StudioError[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const watched = await team.viewer.studio.brandDna.watch(team.brandDnaId, (c) => changes.push(c), { onError: (e) => errors.push(e) });
      expect(watched.error).toBeNull();
      const [row] = await sql<{ record: Record<string, unknown> }[]>`select to_jsonb(b) as record from public.brand_dna b where id = ${team.brandDnaId}`;
      const record = row!.record;
      const valid = {
        id: team.brandDnaId,
        workspace_id: team.workspaceId,
        operation: 'UPDATE',
        revision: record.revision,
        version: record.version,
        actor_id: team.owner.id,
        changed: ['name'],
        record,
      };
      const otherBrand = '00000000-0000-4000-8000-000000000001';
      const bad: [string, unknown][] = [
        ['UPDATE', { ...valid, record: {} }], // the TypeError
        ['UPDATE', { ...valid, revision: 'nine' }],
        ['UPDATE', { ...valid, record: { ...record, energy: 7 } }],
        ['UPDATE', { ...valid, record: { ...record, created_at: 'yesterday' } }],
        ['UPDATE', { ...valid, version: '1.0' }],
        ['UPDATE', { ...valid, actor_id: 'the owner' }],
        ['UPDATE', { ...valid, id: otherBrand, record: { ...record, id: otherBrand } }],
        ['UPDATE', { ...valid, revision: 999 }],
        ['INSERT', valid],
        ['DELETE', { ...valid, operation: 'DELETE' }],
        ['UPDATE', [1, 2, 3]],
      ];
      const { topic } = (await team.viewer.studio.brandDna.realtimeTopics(team.brandDnaId)).data!;
      for (const [event, payload] of bad) {
        await sql`select realtime.send(${sql.json(payload as never)}, ${event}, ${topic}, true)`;
      }
      await eventually(() => errors.length === bad.length);
      expect(errors.every((e) => e.code === 'realtime_invalid_change')).toBe(true);
      expect(changes).toEqual([]);

      const updated = await team.owner.studio.brandDna.update(team.brandDnaId, { axes: { energy: 0.9 } });
      expect(updated.error).toBeNull();
      await eventually(() => changes.length === 1);
      expect(changes[0]).toMatchObject({ operation: 'UPDATE', revision: updated.data!.revision, brandDna: { axes: { energy: 0.9 } } });
      expect(errors).toHaveLength(bad.length);
      expect(uncaught).toEqual([]);
      await watched.data!();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('on the workspace topic, drops changes of another workspace', async () => {
    const errors: StudioError[] = [];
    const changes: BrandDnaChange[] = [];
    const watched = await team.viewer.studio.workspaces.watch(team.workspaceId, (c) => changes.push(c), { onError: (e) => errors.push(e) });
    const [row] = await sql<{ record: Record<string, unknown> }[]>`select to_jsonb(b) as record from public.brand_dna b where id = ${team.brandDnaId}`;
    const elsewhere = '00000000-0000-4000-8000-000000000002';
    const payload = {
      id: team.brandDnaId,
      workspace_id: elsewhere,
      operation: 'UPDATE',
      revision: row!.record.revision,
      version: row!.record.version,
      actor_id: null,
      changed: [],
      record: { ...row!.record, workspace_id: elsewhere },
    };
    const { topic } = (await team.viewer.studio.workspaces.realtimeTopics(team.workspaceId)).data!;
    await sql`select realtime.send(${sql.json(payload as never)}, 'UPDATE', ${topic}, true)`;
    await eventually(() => errors.length === 1);
    expect(errors[0]!.message).toContain('workspaceId');
    expect(changes).toEqual([]);
    await watched.data!();
  });

  it('delivers each revision once, and says when revisions went missing', async () => {
    const errors: StudioError[] = [];
    const changes: BrandDnaChange[] = [];
    const watched = await team.viewer.studio.brandDna.watch(team.brandDnaId, (c) => changes.push(c), { onError: (e) => errors.push(e) });
    const [row] = await sql<{ record: Record<string, unknown> }[]>`select to_jsonb(b) as record from public.brand_dna b where id = ${team.brandDnaId}`;
    const base = row!.record.revision as number;
    const at = (revision: number) => ({
      id: team.brandDnaId,
      workspace_id: team.workspaceId,
      operation: 'UPDATE',
      revision,
      version: row!.record.version,
      actor_id: null,
      changed: [],
      record: { ...row!.record, revision },
    });
    const { topic } = (await team.viewer.studio.brandDna.realtimeTopics(team.brandDnaId)).data!;
    // As after a move: a revision replayed that had arrived already, an older one, then a jump.
    for (const revision of [base + 1, base + 1, base, base + 2, base + 4]) {
      await sql`select realtime.send(${sql.json(at(revision) as never)}, 'UPDATE', ${topic}, true)`;
    }
    await eventually(() => changes.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(changes.map((c) => c.revision)).toEqual([base + 1, base + 2, base + 4]);
    expect(errors).toEqual([expect.objectContaining({ code: 'realtime_missed_changes', message: expect.stringContaining(`before ${base + 4}`) })]);
    await watched.data!();
  });
});

describe('presence', () => {
  it('resolves once everyone is known: members() lists the others and you at once', async () => {
    const owner = await team.owner.studio.brandDna.presence(team.brandDnaId, { name: 'Owner' });
    expect(owner.error).toBeNull();
    // Hosted Realtime attaches no user id: there the same entries come unverified.
    const entry = (id: string, name: string) =>
      stack.external ? { key: id, userId: null, verified: false, state: { name } } : { key: id, userId: id, verified: true, state: { name } };
    expect(owner.data!.members()).toEqual([entry(team.owner.id, 'Owner')]);
    const viewer = await team.viewer.studio.brandDna.presence(team.brandDnaId, { name: 'Viewer' });
    expect(viewer.error).toBeNull();
    expect(viewer.data!.members()).toHaveLength(2);
    expect(viewer.data!.members()).toContainEqual(entry(team.owner.id, 'Owner'));
    expect(viewer.data!.members()).toContainEqual(entry(team.viewer.id, 'Viewer'));
    await Promise.all([owner.data!.leave(), viewer.data!.leave()]);
  });

  it.skipIf(stack.external)('marks an entry no user stands behind as unverified, whatever `sub` its client put in', async () => {
    // The service role may track presence anywhere; its token names no user.
    const service = createClient(stack.url, stack.secretKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    try {
      const { presenceTopic } = (await team.editor.studio.brandDna.realtimeTopics(team.brandDnaId)).data!;
      const robot = service.channel(presenceTopic, { config: { private: true, presence: { key: 'robot' } } });
      robot.on('presence', { event: 'sync' }, () => {});
      await new Promise<void>((resolve) => robot.subscribe((status) => status === 'SUBSCRIBED' && resolve()));
      expect(await robot.track({ name: 'Robot', sub: team.owner.id })).toBe('ok');

      const here = await team.editor.studio.brandDna.presence(team.brandDnaId, { name: 'Editor' });
      expect(here.error).toBeNull();
      await eventually(() => here.data!.members().some((m) => m.key === 'robot'));
      expect(here.data!.members().find((m) => m.key === 'robot')).toEqual({ key: 'robot', userId: null, verified: false, state: { name: 'Robot' } });
      await here.data!.leave();
    } finally {
      await service.removeAllChannels();
    }
  });
});
