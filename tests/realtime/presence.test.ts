// Presence between two supabase-js clients (docs/PLATFORM.md, "Presence"): state after join, joins
// and leaves as clients track, untrack, leave and disconnect; a `sub` in the payload is the
// server's to set.
import { afterAll, describe, expect, it } from 'vitest';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { closeClients, eventually, joined, realtimeClient, stack, uniqueTopic } from './helpers.ts';

afterAll(async () => {
  await closeClients();
});

interface PresenceLog {
  joins: { key: string; newPresences: Record<string, unknown>[] }[];
  leaves: { key: string; leftPresences: Record<string, unknown>[] }[];
}

async function presenceChannel(topic: string, key: string) {
  const { client } = await realtimeClient();
  const log: PresenceLog = { joins: [], leaves: [] };
  const channel: RealtimeChannel = client
    .channel(topic, { config: { presence: { key } } })
    .on('presence', { event: 'join' }, ({ key: k, newPresences }) => log.joins.push({ key: k, newPresences }))
    .on('presence', { event: 'leave' }, ({ key: k, leftPresences }) => log.leaves.push({ key: k, leftPresences }));
  await joined(channel);
  return { client, channel, log };
}

describe('presence', () => {
  it('shares state and diffs between two clients', async () => {
    const topic = uniqueTopic('public');
    const ada = await presenceChannel(topic, 'ada');
    expect(await ada.channel.track({ name: 'Ada', online_at: 1 })).toBe('ok');
    await eventually(() => ada.channel.presenceState().ada);

    // A client joining later gets the state with Ada in it.
    const bob = await presenceChannel(topic, 'bob');
    await eventually(() => bob.channel.presenceState().ada);
    expect(bob.channel.presenceState()).toEqual({ ada: [{ name: 'Ada', online_at: 1, presence_ref: expect.any(String) }] });

    // Bob tracks: Ada sees him join.
    expect(await bob.channel.track({ name: 'Bob' })).toBe('ok');
    await eventually(() => ada.log.joins.find((j) => j.key === 'bob'));
    expect(ada.channel.presenceState().bob).toEqual([{ name: 'Bob', presence_ref: expect.any(String) }]);

    // Bob tracks again: his meta is replaced, not doubled.
    expect(await bob.channel.track({ name: 'Bob', typing: true })).toBe('ok');
    await eventually(() => (ada.channel.presenceState().bob?.[0] as { typing?: boolean } | undefined)?.typing === true);
    expect(ada.channel.presenceState().bob).toHaveLength(1);

    // The update arrived as a leave of the old meta plus a join of the new one.
    expect(ada.log.leaves.filter((l) => l.key === 'bob')).toHaveLength(1);

    // Bob untracks: Ada sees him leave.
    expect(await bob.channel.untrack()).toBe('ok');
    await eventually(() => ada.log.leaves.filter((l) => l.key === 'bob').length === 2);
    expect(ada.channel.presenceState().bob).toBeUndefined();

    // Bob tracks and then leaves the channel: his presence goes with it.
    await bob.channel.track({ name: 'Bob' });
    await eventually(() => ada.channel.presenceState().bob);
    await bob.client.removeChannel(bob.channel);
    await eventually(() => ada.channel.presenceState().bob === undefined);
    expect(ada.channel.presenceState().ada).toHaveLength(1);
  });

  it('drops a `sub` the client put in: only the server attaches one, from a token that proves it', async () => {
    const topic = uniqueTopic('public');
    const ada = await presenceChannel(topic, 'ada');
    expect(await ada.channel.track({ name: 'Ada', sub: '00000000-0000-4000-8000-000000000001' })).toBe('ok');
    await eventually(() => ada.channel.presenceState().ada);
    // The project key names no user, so the entry carries no `sub` at all (the real server keeps it).
    const claimed = stack.external ? { sub: '00000000-0000-4000-8000-000000000001' } : {};
    expect(ada.channel.presenceState().ada).toEqual([{ name: 'Ada', ...claimed, presence_ref: expect.any(String) }]);
  });

  it('removes the presence of a client whose socket goes away', async () => {
    const topic = uniqueTopic('public');
    const ada = await presenceChannel(topic, 'ada');
    const carl = await presenceChannel(topic, 'carl');
    await carl.channel.track({ name: 'Carl' });
    await eventually(() => ada.channel.presenceState().carl);
    carl.client.realtime.disconnect();
    await eventually(() => ada.log.leaves.find((l) => l.key === 'carl'));
    expect(ada.channel.presenceState().carl).toBeUndefined();
  });

  it('starts presence for a channel that joined without it once it tracks', async () => {
    const topic = uniqueTopic('public');
    const ada = await presenceChannel(topic, 'ada');
    await ada.channel.track({ name: 'Ada' });
    const { client } = await realtimeClient();
    // No presence listener: presence is off at join; tracking turns it on.
    const quiet = await joined(client.channel(topic, { config: { presence: { key: 'quiet' } } }));
    expect(await quiet.track({ name: 'Quiet' })).toBe('ok');
    await eventually(() => ada.channel.presenceState().quiet);
    await eventually(() => quiet.presenceState().ada && quiet.presenceState().quiet);
    expect(Object.keys(quiet.presenceState()).sort()).toEqual(['ada', 'quiet']);
  });
});
