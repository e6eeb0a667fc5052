// Broadcast from the database (docs/PLATFORM.md, "Broadcast from the database", "Database broadcast
// check"): realtime.send and realtime.broadcast_changes reach private subscribers only after
// COMMIT, as kind-4 frames whose payload `id` and `meta.id` are the realtime.messages row id.
// Ordering, not timing, proves "after".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeChannel } from '@supabase/supabase-js';
import {
  RawSocket,
  admin,
  closeAdmin,
  closeClients,
  createUser,
  eventually,
  installTestPolicies,
  joinPayload,
  joined,
  realtimeClient,
  socketUrl,
  stack,
  tunedRealtime,
  uniqueTopic,
  userToken,
  type TunedRealtime,
} from './helpers.ts';

type Received = { type: string; event: string; payload: Record<string, unknown>; meta?: { id: string } };

beforeAll(async () => {
  await installTestPolicies();
});

afterAll(async () => {
  await closeClients();
  await closeAdmin();
});

async function privateListener(topic: string, event = '*', url?: string) {
  const { client } = await realtimeClient({ token: await userToken(await createUser()), ...(url ? { url } : {}) });
  const got: Received[] = [];
  const channel: RealtimeChannel = client.channel(topic, { config: { private: true } });
  channel.on('broadcast', { event }, (m) => got.push(m as Received));
  await joined(channel);
  return got;
}

describe('realtime.send', () => {
  it('delivers {type, event, payload:{…, id}, meta:{id}} only after COMMIT, and never to public subscribers', async () => {
    const topic = uniqueTopic('test-room');
    const got = await privateListener(topic);
    const { client: outsider } = await realtimeClient();
    const publicGot: Received[] = [];
    await joined(outsider.channel(topic).on('broadcast', { event: '*' }, (m) => publicGot.push(m as Received)));

    const tx = await admin().reserve();
    try {
      await tx`begin`;
      await tx`select realtime.send('{"a":1}', 'evt', ${topic}, true)`;
      // A second broadcast, committed while the first transaction is still open, arrives alone.
      await admin()`select realtime.send('{"b":2}', 'first', ${topic}, true)`;
      await eventually(() => got.length === 1);
      expect(got.map((m) => m.event)).toEqual(['first']);
      await tx`commit`;
    } finally {
      tx.release();
    }
    await eventually(() => got.length === 2);
    const message = got[1]!;
    expect(message).toEqual({ type: 'broadcast', event: 'evt', payload: { a: 1, id: expect.any(String) }, meta: { id: expect.any(String) } });
    expect(message.payload.id).toBe(message.meta!.id);
    expect(await admin()`select topic, event, private from realtime.messages where id = ${message.meta!.id}`).toEqual([
      { topic, event: 'evt', private: true },
    ]);

    // A public send on the same topic is the only thing the public subscriber ever sees.
    await admin()`select realtime.send('{"c":3}', 'public-marker', ${topic}, false)`;
    await eventually(() => publicGot.length === 1);
    expect(publicGot.map((m) => m.event)).toEqual(['public-marker']);
    expect(publicGot[0]!.payload.id).toBe(publicGot[0]!.meta!.id);
  });

  it('delivers nothing for a rolled-back transaction', async () => {
    const topic = uniqueTopic('test-room');
    const got = await privateListener(topic);
    await admin()
      .begin(async (tx) => {
        await tx`select realtime.send('{"x":1}', 'rolled-back', ${topic}, true)`;
        throw new Error('roll back');
      })
      .catch(() => {});
    await admin()`select realtime.send('{"x":2}', 'committed', ${topic}, true)`;
    await eventually(() => got.length >= 1);
    expect(got.map((m) => m.event)).toEqual(['committed']);
  });

  it('arrives as a binary kind-4 frame with the row id as metadata', async () => {
    const topic = uniqueTopic('test-room');
    const socket = await RawSocket.open(socketUrl(stack.url, stack.publishableKey));
    try {
      await socket.join(`realtime:${topic}`, joinPayload({ private: true, token: await userToken(await createUser()) }));
      await admin()`select realtime.send('{"k":"v"}', 'raw', ${topic}, true)`;
      await eventually(() => socket.binaries().length === 1);
      const frame = socket.binaries()[0]!;
      const meta = JSON.parse(frame.meta) as { id: string };
      expect({ kind: frame.kind, topic: frame.topic, event: frame.event, encoding: frame.encoding }).toEqual({
        kind: 4,
        topic: `realtime:${topic}`,
        event: 'raw',
        encoding: 1,
      });
      expect(JSON.parse(frame.payload.toString('utf8'))).toEqual({ k: 'v', id: meta.id });
    } finally {
      socket.close();
    }
  });

  it('delivers payloads far beyond the 8000-byte NOTIFY limit intact', async () => {
    const topic = uniqueTopic('test-room');
    const got = await privateListener(topic);
    const big = 'é'.repeat(20_000);
    await admin()`select realtime.send(jsonb_build_object('big', ${big}::text), 'big', ${topic}, true)`;
    await admin()`select realtime.send('{}', 'small-after', ${topic}, true)`;
    await eventually(() => got.length === 2);
    expect(got.map((m) => m.event)).toEqual(['big', 'small-after']);
    expect(got[0]!.payload.big).toBe(big);
  });

  it('delivers binary_payload rows as ArrayBuffer payloads', async () => {
    const topic = uniqueTopic('test-room');
    const got = await privateListener(topic);
    await admin()`insert into realtime.messages (topic, extension, event, private, binary_payload)
                  values (${topic}, 'broadcast', 'bytes', true, ${Buffer.from([0, 1, 254, 255])})`;
    await eventually(() => got.length === 1);
    expect([...new Uint8Array(got[0]!.payload as unknown as ArrayBuffer)]).toEqual([0, 1, 254, 255]);
  });

  it('respects the INSERT policy of the calling role: a denied send is only a warning and delivers nothing', async () => {
    const topic = uniqueTopic('test-room:nowrite');
    const got = await privateListener(topic);
    const user = await createUser();
    const claims = JSON.stringify({ sub: user, role: 'authenticated' });
    const warnings: string[] = [];
    const sql = (await import('postgres')).default(stack.dbUrl, { max: 1, onnotice: (n) => warnings.push(String(n.message)) });
    try {
      await sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
        await tx`select realtime.send('{}', 'denied', ${topic}, true)`;
      });
    } finally {
      await sql.end();
    }
    expect(warnings.join('\n')).toMatch(/row-level security/);
    await admin()`select realtime.send('{}', 'allowed', ${topic}, true)`;
    await eventually(() => got.length === 1);
    expect(got.map((m) => m.event)).toEqual(['allowed']);
  });
});

describe('replay', () => {
  it('pushes the newest stored private messages since `since` with meta.replayed, then live ones', async () => {
    const topic = uniqueTopic('test-room');
    // Once a live subscriber has all three, they are past the live path: only the replay can repeat them.
    const live = await privateListener(topic);
    for (const n of [1, 2, 3]) await admin()`select realtime.send(jsonb_build_object('n', ${n}::int), 'stored', ${topic}, true)`;
    await eventually(() => live.length === 3);
    const { client } = await realtimeClient({ token: await userToken(await createUser()) });
    const got: Received[] = [];
    const channel = client.channel(topic, { config: { private: true, broadcast: { replay: { since: Date.now() - 60_000, limit: 2 } } } });
    channel.on('broadcast', { event: '*' }, (m) => got.push(m as Received));
    await joined(channel);
    await admin()`select realtime.send('{"n":4}', 'live', ${topic}, true)`;
    await eventually(() => got.some((m) => m.event === 'live'));
    expect(got.map((m) => [m.event, m.payload.n, (m.meta as { replayed?: boolean }).replayed ?? false])).toEqual([
      ['stored', 2, true],
      ['stored', 3, true],
      ['live', 4, false],
    ]);
    for (const m of got) expect(m.payload.id).toBe(m.meta!.id);
  });
});

describe('read permissions per extension', () => {
  it('joins on presence read alone, gets presence but no broadcasts', async () => {
    const topic = `realtime:${uniqueTopic('test-room:presence-only')}`;
    const socket = await RawSocket.open(socketUrl(stack.url, stack.publishableKey));
    // The service role reads everything: once it has a broadcast, the fan-out has passed everyone.
    const witness = await RawSocket.open(socketUrl(stack.url, stack.secretKey));
    try {
      const { joinRef, reply } = await socket.join(topic, joinPayload({ private: true, presence: true, token: await userToken(await createUser()) }));
      expect((reply[4] as { status: string }).status).toBe('ok');
      expect(((await witness.join(topic, joinPayload({ private: true }))).reply[4] as { status: string }).status).toBe('ok');

      await admin()`select realtime.send('{}', 'hidden', ${topic.slice('realtime:'.length)}, true)`;
      await eventually(() => witness.binaries().length === 1);
      expect(socket.binaries()).toEqual([]);

      socket.send([joinRef, socket.nextRef(), topic, 'presence', { type: 'presence', event: 'track', payload: { here: true } }]);
      const diff = await socket.waitText((f) => f[3] === 'presence_diff');
      expect(Object.keys((diff[4] as { joins: object }).joins)).toHaveLength(1);
    } finally {
      socket.close();
      witness.close();
    }
  });
});

describe('realtime.broadcast_changes', () => {
  it('sends {id, schema, table, operation, record, old_record} for INSERT, UPDATE and DELETE', async () => {
    const room = uniqueTopic('r').slice(2);
    const got = await privateListener(`test-room:items:${room}`);
    const [{ id }] = (await admin()`insert into realtime_test.items (room, label) values (${room}, 'one') returning id`) as unknown as [{ id: string }];
    await admin()`update realtime_test.items set label = 'two' where id = ${id}`;
    await admin()`delete from realtime_test.items where id = ${id}`;
    await eventually(() => got.length === 3);

    const itemId = Number(id);
    const base = { schema: 'realtime_test', table: 'items' };
    expect(got.map((m) => m.event)).toEqual(['INSERT', 'UPDATE', 'DELETE']);
    expect(got[0]!.payload).toEqual({ ...base, id: got[0]!.meta!.id, operation: 'INSERT', record: { id: itemId, room, label: 'one' }, old_record: null });
    expect(got[1]!.payload).toEqual({
      ...base,
      id: got[1]!.meta!.id,
      operation: 'UPDATE',
      record: { id: itemId, room, label: 'two' },
      old_record: { id: itemId, room, label: 'one' },
    });
    expect(got[2]!.payload).toEqual({ ...base, id: got[2]!.meta!.id, operation: 'DELETE', record: null, old_record: { id: itemId, room, label: 'two' } });
  });

  it('matches listeners by event case-insensitively and with *', async () => {
    const room = uniqueTopic('r').slice(2);
    const inserts = await privateListener(`test-room:items:${room}`, 'insert');
    await admin()`insert into realtime_test.items (room, label) values (${room}, 'x')`;
    await eventually(() => inserts.length === 1);
    expect(inserts[0]!.payload.operation).toBe('INSERT');
  });
});

// The stand-in can also follow realtime.messages the way the real server does, through a temporary
// logical replication slot (bench/realtime.ts compares both); the same guarantees hold.
describe.skipIf(stack.external)('delivery through logical replication', () => {
  let replicated: TunedRealtime;

  beforeAll(async () => {
    replicated = await tunedRealtime({ delivery: 'replication' });
  });

  afterAll(async () => {
    await replicated.close();
  });

  it('delivers committed rows once, in order, with meta.id, in their namespace', async () => {
    const topic = uniqueTopic('test-room');
    const got = await privateListener(topic, '*', replicated.url);
    const tx = await admin().reserve();
    try {
      await tx`begin`;
      await tx`select realtime.send('{"n":1}', 'late', ${topic}, true)`;
      await admin()`select realtime.send('{"n":2}', 'early', ${topic}, true)`;
      await admin()`select realtime.send('{"n":3}', 'public', ${topic}, false)`;
      await eventually(() => got.length === 1);
      await tx`commit`;
    } finally {
      tx.release();
    }
    await admin()`select realtime.send(jsonb_build_object('big', repeat('x', 20000)), 'big', ${topic}, true)`;
    await eventually(() => got.length === 3);
    expect(got.map((m) => m.event)).toEqual(['early', 'late', 'big']);
    for (const m of got) expect(m.payload.id).toBe(m.meta!.id);
    expect((got[2]!.payload.big as string).length).toBe(20000);
  });
});
