// Access ends when membership ends, open channels included. Realtime authorizes a private channel
// at join and at token refresh only, so the database's topics carry the workspace's access epoch,
// which changes when someone loses access: a removed member's channels, joined before, get
// nothing committed after the removal, while the others' subscriptions move to the new topics by
// themselves and get every revision exactly once. Through the SDK and through supabase-js directly
// (a removed member who ignores `topic_closed`), with teammates editing all along.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeChannel } from '@supabase/supabase-js';
import type { BrandDnaChange, PresenceMember, StudioError } from '../../sdk/src/index.ts';
import { createTeam, newMember, secondClient, type Team, type Teammate } from '../sdk/team.ts';
import { testClient } from '../sdk/helpers.ts';
import { admin, closeAdmin, closeClients, eventually, joined, realtimeClient, subscribe, tunedRealtime } from './helpers.ts';

const teams: Team[] = [];
const extra: Teammate[] = [];

afterAll(async () => {
  await Promise.all([...teams.map((team) => team.close()), ...extra.map((t) => t.studio.supabase.removeAllChannels())]);
  await closeAdmin();
});

async function newTeam(): Promise<Team> {
  const team = await createTeam();
  teams.push(team);
  return team;
}

/** Someone else who joins the team's workspace by invitation, as a viewer. */
async function guest(team: Team): Promise<Teammate> {
  const who = await newMember(team, 'guest', 'viewer');
  extra.push(who);
  return who;
}

/** A channel of `who`'s own supabase-js client on `topic`, recording the revisions of its changes. */
async function record(who: Teammate, topic: string) {
  const seen = { revisions: [] as number[], events: [] as string[] };
  await who.studio.supabase.realtime.setAuth();
  const channel = who.studio.supabase.channel(topic, { config: { private: true } });
  channel.on('broadcast', { event: '*' }, (message) => {
    seen.events.push(message.event);
    const revision = (message.payload as { revision?: unknown }).revision;
    if (message.event === 'UPDATE' && typeof revision === 'number') seen.revisions.push(revision);
  });
  await joined(channel);
  return { channel, seen };
}

/** What a watcher got: revisions in arrival order, plus its errors and how it ended. */
function watcher() {
  const got = { revisions: [] as number[], errors: [] as StudioError[], closed: [] as StudioError[] };
  return {
    got,
    handler: (change: BrandDnaChange) => change.operation === 'UPDATE' && got.revisions.push(change.revision),
    options: { onError: (e: StudioError) => got.errors.push(e), onClose: (e: StudioError) => got.closed.push(e) },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Revisions of the UPDATE broadcasts the database sent to `topic`. */
async function sentTo(topic: string): Promise<number[]> {
  const rows = await admin()<{ revision: number }[]>`
    select (payload ->> 'revision')::int as revision from realtime.messages where topic = ${topic} and event = 'UPDATE' order by 1`;
  return rows.map((row) => row.revision);
}

describe('removing members while a teammate edits', () => {
  let team: Team;
  beforeAll(async () => {
    team = await newTeam();
  });

  it('the removed member gets nothing committed after the removal; the others get every revision exactly once', async () => {
    const second = await guest(team);
    const brand = (await team.owner.studio.brandDna.get(team.brandDnaId)).data!;
    const start = brand.revision;
    const before = (await team.viewer.studio.brandDna.realtimeTopics(team.brandDnaId)).data!;
    const beforeWorkspace = (await team.viewer.studio.workspaces.realtimeTopics(team.workspaceId)).data!;

    // The others: owner and editor watch through the SDK, the owner is present.
    const ownerBrand = watcher();
    const ownerWorkspace = watcher();
    const editorBrand = watcher();
    expect((await team.owner.studio.brandDna.watch(team.brandDnaId, ownerBrand.handler, ownerBrand.options)).error).toBeNull();
    expect((await team.owner.studio.workspaces.watch(team.workspaceId, ownerWorkspace.handler, ownerWorkspace.options)).error).toBeNull();
    expect((await team.editor.studio.brandDna.watch(team.brandDnaId, editorBrand.handler, editorBrand.options)).error).toBeNull();
    let ownerSees: PresenceMember[] = [];
    const ownerHere = await team.owner.studio.brandDna.presence(team.brandDnaId, { name: 'Owner' }, { onChange: (m) => (ownerSees = m) });
    expect(ownerHere.error).toBeNull();

    // The viewer to be removed: through the SDK, and through supabase-js on a second client that
    // ignores topic_closed and just keeps listening on the topics it had joined.
    const removedBrand = watcher();
    const removedWorkspace = watcher();
    expect((await team.viewer.studio.brandDna.watch(team.brandDnaId, removedBrand.handler, removedBrand.options)).error).toBeNull();
    expect((await team.viewer.studio.workspaces.watch(team.workspaceId, removedWorkspace.handler, removedWorkspace.options)).error).toBeNull();
    const removedPresenceClosed: StudioError[] = [];
    const viewerHere = await team.viewer.studio.brandDna.presence(team.brandDnaId, { name: 'Viewer' }, { onClose: (e) => removedPresenceClosed.push(e) });
    expect(viewerHere.error).toBeNull();
    const stubborn = await secondClient(team.viewer);
    extra.push(stubborn);
    const stubbornBrand = await record(stubborn, before.topic);
    const stubbornWorkspace = await record(stubborn, beforeWorkspace.topic);

    // The editor edits 24 times in a row (within one replay's worth); after the 8th the owner
    // removes the viewer and at once the second guest: two new epochs while changes keep coming.
    const WRITES = 24;
    const startedAfterRemoval: number[] = [];
    let removalsDone = false;
    let writes = 0;
    const editing = (async () => {
      for (let i = 1; i <= WRITES; i++) {
        const afterRemoval = removalsDone;
        const updated = await team.editor.studio.brandDna.update(team.brandDnaId, { axes: { energy: i / 100 } });
        expect(updated.error).toBeNull();
        if (afterRemoval) startedAfterRemoval.push(updated.data!.revision);
        writes = i;
      }
    })();
    await eventually(() => writes >= 8);
    const removedAt = Date.now();
    expect((await team.owner.studio.workspaces.removeMember(team.workspaceId, team.viewer.id)).error).toBeNull();
    expect((await team.owner.studio.workspaces.removeMember(team.workspaceId, second.id)).error).toBeNull();
    removalsDone = true;
    await editing;

    const all = range(start + 1, start + WRITES);
    await eventually(() => ownerBrand.got.revisions.length >= WRITES && ownerWorkspace.got.revisions.length >= WRITES && editorBrand.got.revisions.length >= WRITES);
    const moved = Date.now() - removedAt;
    // Let anything that should not come have its chance to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));

    for (const stayed of [ownerBrand, ownerWorkspace, editorBrand]) {
      expect(stayed.got.revisions).toEqual(all);
      expect(stayed.got.errors).toEqual([]);
      expect(stayed.got.closed).toEqual([]);
    }

    // The old topics got exactly the changes committed before the removal, then topic_closed.
    const oldTopic = await sentTo(before.topic);
    expect(oldTopic).toEqual(range(start + 1, start + oldTopic.length));
    expect(oldTopic.length).toBeGreaterThanOrEqual(8);
    expect(oldTopic.length).toBeLessThan(WRITES);
    expect(startedAfterRemoval.length).toBeGreaterThan(0);
    for (const revision of startedAfterRemoval) expect(oldTopic).not.toContain(revision);
    // What the stubborn client received is exactly that: nothing after the removal.
    expect(stubbornBrand.seen.revisions).toEqual(oldTopic);
    expect(stubbornBrand.seen.events.at(-1)).toBe('topic_closed');
    expect(stubbornWorkspace.seen.revisions).toEqual(await sentTo(beforeWorkspace.topic));
    expect(stubbornWorkspace.seen.revisions).toEqual(oldTopic);

    // The SDK told the removed viewer that access ended, after the last change before the removal.
    for (const removed of [removedBrand, removedWorkspace]) {
      expect(removed.got.revisions).toEqual(oldTopic);
      expect(removed.got.closed).toHaveLength(1);
      expect(removed.got.closed[0]).toMatchObject({ code: 'realtime_access_revoked', status: 404 });
    }
    await eventually(() => removedPresenceClosed.length === 1);
    expect(removedPresenceClosed[0]!.code).toBe('realtime_access_revoked');
    expect(team.viewer.studio.supabase.getChannels()).toEqual([]);

    // The removed viewer cannot learn the new topics, nor join them when told.
    const asked = await team.viewer.studio.brandDna.realtimeTopics(team.brandDnaId);
    expect(asked.error).toMatchObject({ status: 404 });
    const now = (await team.owner.studio.brandDna.realtimeTopics(team.brandDnaId)).data!;
    expect(now.topic).not.toBe(before.topic);
    // (Through a stand-in that answers refused joins at once, rather than after Realtime's 5 s.)
    const quick = await tunedRealtime();
    try {
      const viewerToken = (await stubborn.studio.auth.getSession()).data!.access_token;
      const { client } = await realtimeClient({ token: viewerToken, url: quick.url });
      for (const topic of [now.topic, now.presenceTopic]) {
        const refused = await subscribe(client.channel(topic, { config: { private: true } }));
        expect(refused.status).toBe('CHANNEL_ERROR');
        expect(refused.error?.message).toMatch(/Unauthorized/);
      }
    } finally {
      await closeClients();
      await quick.close();
    }

    // The owner's subscriptions all moved (and nothing stayed behind), presence too: present on the
    // new topic, without the viewer.
    const ownerTopics = () => team.owner.studio.supabase.getChannels().map((c: RealtimeChannel) => c.topic).sort().join(' ');
    const expected = [now.topic, now.presenceTopic, `workspace:${team.workspaceId}:${now.epoch}`].map((t) => `realtime:${t}`).sort().join(' ');
    await eventually(() => ownerTopics() === expected && ownerSees.length === 1);
    expect(ownerHere.data!.members().map((m) => m.key)).toEqual([team.owner.id]);
    console.log(`access epochs: ${WRITES} edits, two removals; the owner had every revision ${moved} ms after the first removal began`);
    await ownerHere.data!.leave();
  });
});

describe('a move through a flaky network', () => {
  it('is tried again until it goes through: the watcher gets every revision, and no error', async () => {
    const team = await newTeam();
    const second = await guest(team);
    // The editor's second tab, whose requests for the new topics fail twice: no answer, then a 503.
    let failures = 0;
    let armed = false;
    const flaky: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (armed && url.includes('/realtime') && failures < 2) {
        failures++;
        if (failures === 1) throw new TypeError('fetch failed');
        const problem = { type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'database_unavailable', detail: 'The database is not reachable.' };
        return new Response(JSON.stringify(problem), { status: 503, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '1' } });
      }
      return fetch(input, init);
    };
    const tab = { ...team.editor, studio: testClient({ fetch: flaky }) };
    expect((await tab.studio.auth.signIn({ email: tab.email, password: tab.password })).error).toBeNull();
    extra.push(tab);
    const seen = watcher();
    expect((await tab.studio.brandDna.watch(team.brandDnaId, seen.handler, seen.options)).error).toBeNull();
    const start = (await team.owner.studio.brandDna.get(team.brandDnaId)).data!.revision;

    armed = true;
    expect((await team.owner.studio.brandDna.update(team.brandDnaId, { axes: { energy: 0.11 } })).error).toBeNull();
    expect((await team.owner.studio.workspaces.removeMember(team.workspaceId, second.id)).error).toBeNull();
    for (const energy of [0.12, 0.13, 0.14]) expect((await team.owner.studio.brandDna.update(team.brandDnaId, { axes: { energy } })).error).toBeNull();

    await eventually(() => seen.got.revisions.length >= 4);
    expect(failures).toBe(2);
    expect(seen.got.revisions).toEqual(range(start + 1, start + 4));
    expect(seen.got.errors).toEqual([]);
    expect(seen.got.closed).toEqual([]);
    const now = (await team.owner.studio.brandDna.realtimeTopics(team.brandDnaId)).data!;
    expect(tab.studio.supabase.getChannels().map((c: RealtimeChannel) => c.topic)).toEqual([`realtime:${now.topic}`]);
  });
});

describe('demoting an editor to viewer', () => {
  it('keeps what a viewer may do: changes and presence follow, broadcasting on the side topic stops', async () => {
    const team = await newTeam();
    const before = (await team.editor.studio.brandDna.realtimeTopics(team.brandDnaId)).data!;

    const demotedBrand = watcher();
    expect((await team.editor.studio.brandDna.watch(team.brandDnaId, demotedBrand.handler, demotedBrand.options)).error).toBeNull();
    const editorHere = await team.editor.studio.brandDna.presence(team.brandDnaId, { name: 'Editor' });
    expect(editorHere.error).toBeNull();
    const ownerHere = await team.owner.studio.brandDna.presence(team.brandDnaId, { name: 'Owner' });
    expect(ownerHere.error).toBeNull();

    // As an editor, broadcasting on the side topic works (from a client of their own).
    const direct = await secondClient(team.editor);
    extra.push(direct);
    await direct.studio.supabase.realtime.setAuth();
    const oldSide = await joined(direct.studio.supabase.channel(before.presenceTopic, { config: { private: true, broadcast: { ack: true } } }));
    expect(await oldSide.send({ type: 'broadcast', event: 'cursor', payload: { axis: 'energy' } })).toBe('ok');

    const first = await team.owner.studio.brandDna.update(team.brandDnaId, { name: 'Before the demotion' });
    await eventually(() => demotedBrand.got.revisions.includes(first.data!.revision));
    expect((await team.owner.studio.workspaces.updateMember(team.workspaceId, team.editor.id, { role: 'viewer' })).error).toBeNull();
    const second = await team.owner.studio.brandDna.update(team.brandDnaId, { name: 'After the demotion' });
    const third = await team.owner.studio.brandDna.update(team.brandDnaId, { name: 'And once more' });

    // Still a member: the watch moved and goes on, without a gap.
    await eventually(() => demotedBrand.got.revisions.includes(third.data!.revision));
    expect(demotedBrand.got.revisions).toEqual([first.data!.revision, second.data!.revision, third.data!.revision]);
    expect(demotedBrand.got.closed).toEqual([]);
    const after = (await team.editor.studio.brandDna.realtimeTopics(team.brandDnaId)).data!;
    expect(after.topic).not.toBe(before.topic);

    // Presence moved too (each client on its own, so for a moment one may be there alone): the owner
    // sees the demoted member on the new topic, with the same state, and the other way round.
    const onNewTopic = (c: Teammate) => c.studio.supabase.getChannels().some((channel: RealtimeChannel) => channel.topic === `realtime:${after.presenceTopic}`);
    await eventually(() => onNewTopic(team.owner) && onNewTopic(team.editor) && ownerHere.data!.members().length === 2 && editorHere.data!.members().length === 2);
    expect(ownerHere.data!.members().find((m) => m.key === team.editor.id)?.state).toEqual({ name: 'Editor' });
    expect(editorHere.data!.members().map((m) => m.key).sort()).toEqual([team.owner.id, team.editor.id].sort());
    expect((await editorHere.data!.update({ name: 'Viewer now' })).error).toBeNull();
    await eventually(() => ownerHere.data!.members().find((m) => m.key === team.editor.id)?.state.name === 'Viewer now');

    // But as a viewer, no more broadcasts on the new side topic (refused at the first send).
    const newSide = await joined(direct.studio.supabase.channel(after.presenceTopic, { config: { private: true, broadcast: { ack: true } } }));
    expect(await newSide.send({ type: 'broadcast', event: 'cursor', payload: { axis: 'forged' } }, { timeout: 1000 })).toBe('timed out');
    await direct.studio.supabase.removeChannel(oldSide);
    await Promise.all([editorHere.data!.leave(), ownerHere.data!.leave()]);
  });
});
