// Teammates cannot forge database events. The database's topics (`brand_dna:<id>:<epoch>`,
// `workspace:<id>:<epoch>`) are read-only for every client: Realtime authorizes client writes once per channel with a probe
// row that carries only topic and extension, so a policy cannot tell a harmless event from an
// "UPDATE"; client-to-client messages go to the `:presence` side topics instead. Presence entries
// carry the user id the server verified, and the SDK drops an entry whose key claims someone else.
// Through the real supabase-js and the SDK, as an editor and as a viewer.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RealtimeChannel } from '@supabase/supabase-js';
import type { BrandDnaChange, PresenceMember, StudioError } from '../../sdk/src/index.ts';
import { createTeam, secondClient, type Team, type Teammate } from '../sdk/team.ts';
import { eventually, joined } from './helpers.ts';

let team: Team;
beforeAll(async () => {
  team = await createTeam();
});
afterAll(() => team?.close());

/** What the attacker sent: a change "by the owner" at revision 999. */
function forgedChange() {
  return {
    id: team.brandDnaId,
    workspace_id: team.workspaceId,
    operation: 'UPDATE',
    revision: 999,
    version: '9.0.0',
    actor_id: team.owner.id,
    changed: ['name'],
    record: null,
  };
}

/** `who` joins `topic` privately with acknowledged broadcasts, as an app would (token on the socket). */
async function channelOf(who: Teammate, topic: string): Promise<RealtimeChannel> {
  await who.studio.supabase.realtime.setAuth();
  return joined(who.studio.supabase.channel(topic, { config: { private: true, broadcast: { ack: true } } }));
}

describe('broadcasting on the database topics', () => {
  it('is refused for an editor and a viewer, over the socket and over REST; the viewer sees only real changes', async () => {
    const seen: BrandDnaChange[] = [];
    const errors: StudioError[] = [];
    const watching = await secondClient(team.viewer);
    const watchers = await Promise.all([
      watching.studio.workspaces.watch(team.workspaceId, (c) => seen.push(c), { onError: (e) => errors.push(e) }),
      watching.studio.brandDna.watch(team.brandDnaId, (c) => seen.push(c), { onError: (e) => errors.push(e) }),
    ]);
    for (const watcher of watchers) expect(watcher.error).toBeNull();

    for (const forger of [team.editor, team.viewer]) {
      const topics = [(await forger.studio.workspaces.realtimeTopics(team.workspaceId)).data!.topic, (await forger.studio.brandDna.realtimeTopics(team.brandDnaId)).data!.topic];
      for (const topic of topics) {
        const channel = await channelOf(forger, topic);
        expect(await channel.send({ type: 'broadcast', event: 'UPDATE', payload: forgedChange() }, { timeout: 1000 })).toBe('timed out');
        await expect(channel.httpSend('UPDATE', forgedChange())).rejects.toThrow('Unauthorized');
        await forger.studio.supabase.removeChannel(channel);
      }
    }

    // A real change still arrives, on both topics, and it is the only one.
    const updated = await team.owner.studio.brandDna.update(team.brandDnaId, { name: 'Acme, for real' });
    expect(updated.error).toBeNull();
    await eventually(() => seen.length === 2);
    expect(seen.map((c) => [c.revision, c.actorId, c.brandDna?.name])).toEqual([
      [updated.data!.revision, team.owner.id, 'Acme, for real'],
      [updated.data!.revision, team.owner.id, 'Acme, for real'],
    ]);
    expect(errors).toEqual([]);
    await watching.studio.supabase.removeAllChannels();
  });
});

describe('the :presence side topics', () => {
  it('carry an editor\'s broadcasts to teammates; a viewer may not broadcast there', async () => {
    const topic = (await team.owner.studio.brandDna.realtimeTopics(team.brandDnaId)).data!.presenceTopic;
    const received: unknown[] = [];
    const listener = team.owner.studio.supabase.channel(topic, { config: { private: true } });
    listener.on('broadcast', { event: 'cursor' }, (m) => received.push(m.payload));
    await team.owner.studio.supabase.realtime.setAuth();
    await joined(listener);

    const editor = await channelOf(team.editor, topic);
    expect(await editor.send({ type: 'broadcast', event: 'cursor', payload: { axis: 'energy' } })).toBe('ok');
    const viewer = await channelOf(team.viewer, topic);
    expect(await viewer.send({ type: 'broadcast', event: 'cursor', payload: { axis: 'forged' } }, { timeout: 1000 })).toBe('timed out');
    await eventually(() => received.length >= 1);
    expect(received).toEqual([{ axis: 'energy' }]);
    await Promise.all([
      team.owner.studio.supabase.removeChannel(listener),
      team.editor.studio.supabase.removeChannel(editor),
      team.viewer.studio.supabase.removeChannel(viewer),
    ]);
  });
});

// Hosted Realtime attaches no verified user id, so there the impostor cannot be told apart.
describe.skipIf(inject('stack').external)('presence', () => {
  it('a viewer using the owner\'s id as presence key does not show up as the owner', async () => {
    const errors: StudioError[] = [];
    let latest: PresenceMember[] = [];
    const owner = await team.owner.studio.brandDna.presence(team.brandDnaId, { name: 'Owner' });
    expect(owner.error).toBeNull();
    const impostor = await team.viewer.studio.brandDna.presence(team.brandDnaId, { name: 'FORGED owner' }, { key: team.owner.id });
    expect(impostor.error).toBeNull();
    const observer = await team.editor.studio.brandDna.presence(
      team.brandDnaId,
      { name: 'Editor' },
      { onChange: (members) => (latest = members), onError: (e) => errors.push(e) },
    );
    expect(observer.error).toBeNull();

    await eventually(() => latest.length === 2 && errors.length > 0);
    const byKey = Object.fromEntries(observer.data!.members().map((m) => [m.key, m]));
    expect(Object.keys(byKey).sort()).toEqual([team.owner.id, team.editor.id].sort());
    expect(byKey[team.owner.id]).toEqual({ key: team.owner.id, userId: team.owner.id, verified: true, state: { name: 'Owner' } });
    expect(byKey[team.editor.id]).toMatchObject({ userId: team.editor.id, verified: true });
    expect(errors[0]).toMatchObject({ code: 'realtime_forged_presence' });
    expect(errors[0]!.message).toContain(team.viewer.id);
    await Promise.all([owner.data!.leave(), impostor.data!.leave(), observer.data!.leave()]);
  });
});
