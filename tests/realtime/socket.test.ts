// The Phoenix socket at the frame level (docs/PLATFORM.md, "Connecting", "Frames", "Channel
// lifecycle", "Broadcast"): what the real server answers to each input, checked with a raw
// WebSocket client, and that bad input never costs the next client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RawSocket,
  closeAdmin,
  encodeKind3,
  forge,
  joinPayload,
  refusedUpgrade,
  socketUrl,
  stack,
  tunedRealtime,
  uniqueTopic,
  type TunedRealtime,
} from './helpers.ts';

let tuned: TunedRealtime;
const sockets: RawSocket[] = [];

async function open(url = socketUrl(stack.url, stack.publishableKey), keep = true): Promise<RawSocket> {
  const socket = await RawSocket.open(url);
  if (keep) sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  tuned = await tunedRealtime();
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await tuned.close();
  await closeAdmin();
});

describe('connecting', () => {
  it('refuses an upgrade without an apikey with 401 {"error":"API key is missing"}', async () => {
    const answer = await refusedUpgrade(socketUrl(tuned.url, null));
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: 'API key is missing' });
  });

  it('refuses a key that is not a JWT', async () => {
    const answer = await refusedUpgrade(socketUrl(tuned.url, 'not-a-jwt'));
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: 'The token provided is not a valid JWT' });
  });

  it('refuses a forged key and an expired one', async () => {
    const forged = await refusedUpgrade(socketUrl(tuned.url, forge(stack.anonKey)));
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body).error).toEqual(expect.any(String));

    const { userToken, createUser } = await import('./helpers.ts');
    const expired = await userToken(await createUser(), { expiresIn: -30 });
    const answer = await refusedUpgrade(socketUrl(tuned.url, expired));
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error).toEqual(expect.any(String));
    if (!stack.external) expect(JSON.parse(answer.body).error).toMatch(/^Token has expired \d+ seconds ago$/);
  });

  it('accepts the publishable key, the secret key and the legacy JWT keys', async () => {
    for (const key of [stack.publishableKey, stack.secretKey, stack.anonKey, stack.serviceRoleKey]) {
      const socket = await open(socketUrl(stack.url, key), false);
      expect(await socket.heartbeat()).toEqual([null, expect.any(String), 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
      socket.close();
    }
  });
});

describe('frames', () => {
  it('answers a heartbeat with the exact phx_reply', async () => {
    const socket = await open();
    socket.send([null, '41', 'phoenix', 'heartbeat', {}]);
    expect(await socket.reply('41')).toEqual([null, '41', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
  });

  it('answers vsn 1.0.0 clients with JSON objects', async () => {
    const socket = await open(socketUrl(stack.url, stack.publishableKey, '1.0.0'));
    socket.send({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '7' });
    await expect.poll(() => socket.frames.length).toBe(1);
    expect(socket.frames[0]).toEqual({ text: { topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '7' } });
  });

  it('joins a public channel: ok with an empty postgres_changes echo', async () => {
    const socket = await open();
    const topic = `realtime:${uniqueTopic('public')}`;
    const { joinRef, reply } = await socket.join(topic, joinPayload());
    expect(reply).toEqual([joinRef, joinRef, topic, 'phx_reply', { status: 'ok', response: { postgres_changes: [] } }]);
  });

  it('echoes requested postgres_changes filters with numeric ids, by index', async () => {
    const socket = await open();
    const topic = `realtime:${uniqueTopic('public')}`;
    const filters = [
      { event: '*', schema: 'public', table: 'a' },
      { event: 'INSERT', schema: 'public', table: 'b', filter: 'id=eq.1' },
    ];
    const payload = joinPayload();
    (payload.config as Record<string, unknown>).postgres_changes = filters;
    const { reply } = await socket.join(topic, payload);
    const echo = (reply[4] as { response: { postgres_changes: Record<string, unknown>[] } }).response.postgres_changes;
    expect(echo).toHaveLength(2);
    echo.forEach((entry, i) => expect(entry).toEqual({ ...filters[i], id: expect.any(Number) }));
  });

  it('relays an ack\'ed binary broadcast (kind 3 in) as kind 4 to the others, not to the sender', async () => {
    const topic = `realtime:${uniqueTopic('public')}`;
    const sender = await open();
    const receiver = await open();
    const { joinRef } = await sender.join(topic, joinPayload({ ack: true }));
    await receiver.join(topic, joinPayload());

    const ref = sender.nextRef();
    sender.send(encodeKind3(joinRef, ref, topic, 'cursor', { x: 1, y: 'ü' }));
    expect(await sender.reply(ref)).toEqual([joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]);

    await expect.poll(() => receiver.binaries().length).toBe(1);
    const frame = receiver.binaries()[0]!;
    const body = Buffer.from(JSON.stringify({ x: 1, y: 'ü' }));
    expect(frame.raw).toEqual(
      Buffer.concat([Buffer.from([4, Buffer.byteLength(topic), 6, 0, 1]), Buffer.from(topic), Buffer.from('cursor'), body]),
    );
    // The ack comes after the fan-out, so an echo to the sender would already be here.
    expect(sender.binaries()).toEqual([]);
  });

  it('forwards a text broadcast as kind 4 and binary payloads with encoding 0', async () => {
    const topic = `realtime:${uniqueTopic('public')}`;
    const sender = await open();
    const receiver = await open();
    const { joinRef } = await sender.join(topic, joinPayload());
    await receiver.join(topic, joinPayload());

    sender.send([joinRef, sender.nextRef(), topic, 'broadcast', { type: 'broadcast', event: 'text', payload: { a: 1 } }]);
    const fields = [joinRef, sender.nextRef(), topic, 'bytes', ''].map((f) => Buffer.from(f));
    sender.send(Buffer.concat([Buffer.from([3, ...fields.map((f) => f.length), 0]), ...fields, Buffer.from([1, 2, 3])]));

    await expect.poll(() => receiver.binaries().length).toBe(2);
    const [text, bytes] = receiver.binaries();
    expect({ event: text!.event, encoding: text!.encoding, payload: JSON.parse(text!.payload.toString()) }).toEqual({ event: 'text', encoding: 1, payload: { a: 1 } });
    expect({ event: bytes!.event, encoding: bytes!.encoding, payload: [...bytes!.payload] }).toEqual({ event: 'bytes', encoding: 0, payload: [1, 2, 3] });
  });

  it('ignores unknown events on a joined channel and keeps the socket usable', async () => {
    const socket = await open();
    const topic = `realtime:${uniqueTopic('public')}`;
    const { joinRef } = await socket.join(topic, joinPayload());
    const before = socket.texts().length;
    socket.send([joinRef, socket.nextRef(), topic, 'no_such_event', { anything: true }]);
    await socket.heartbeat();
    // Only the heartbeat reply arrived after it.
    expect(socket.texts().slice(before).map((f) => f[2])).toEqual(['phoenix']);
  });

  it('answers events for topics the socket has not joined with "unmatched topic"', async () => {
    const socket = await open();
    socket.send(['1', '2', 'realtime:not-joined', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }]);
    expect(await socket.reply('2')).toEqual([null, '2', 'realtime:not-joined', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
    socket.send(['3', '3', 'room:no-prefix', 'phx_join', joinPayload()]);
    expect(await socket.reply('3')).toEqual([null, '3', 'room:no-prefix', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
  });

  it('answers a join whose payload is not an object with "join crashed"', async () => {
    const socket = await open();
    socket.send(['5', '5', 'realtime:crash', 'phx_join', 'oops']);
    expect(await socket.reply('5')).toEqual(['5', '5', 'realtime:crash', 'phx_reply', { status: 'error', response: { reason: 'join crashed' } }]);
    expect(await socket.heartbeat()).toBeTruthy();
  });

  it('closes the socket on a frame it cannot decode, and the next client is served', async () => {
    for (const bad of ['{not json', '{"an":"object"}', Buffer.from([9, 0, 0, 0, 0, 0, 0]), Buffer.from([3, 200, 0, 0, 0, 0, 1])]) {
      const socket = await open(undefined, false);
      socket.send(bad);
      const { code } = await socket.closed;
      // The real server's socket process crashes; the stand-in says so with 1011.
      if (!stack.external) expect(code).toBe(1011);
    }
    const next = await open();
    expect(await next.heartbeat()).toEqual([null, expect.any(String), 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
  });

  it('refuses an oversized broadcast with an error reply, forwards nothing, keeps the socket', async () => {
    const topic = `realtime:${uniqueTopic('public')}`;
    const sender = await open();
    const receiver = await open();
    const { joinRef } = await sender.join(topic, joinPayload({ ack: true }));
    await receiver.join(topic, joinPayload());

    const big = { blob: 'x'.repeat(3000 * 1024 + 10) };
    const ref = sender.nextRef();
    sender.send([joinRef, ref, topic, 'broadcast', { type: 'broadcast', event: 'big', payload: big }]);
    const refused = await sender.reply(ref);
    expect(refused).toEqual([joinRef, ref, topic, 'phx_reply', { status: 'error', response: expect.anything() }]);
    if (!stack.external) expect(refused[4]).toEqual({ status: 'error', response: { reason: 'Payload size exceeds tenant limit' } });

    const small = sender.nextRef();
    sender.send(encodeKind3(joinRef, small, topic, 'small', { ok: true }));
    await sender.reply(small);
    await expect.poll(() => receiver.binaries().length).toBe(1);
    expect(receiver.binaries().map((b) => b.event)).toEqual(['small']);
  });

  it.skipIf(stack.external)('closes the socket with 1009 on a frame beyond the hard frame limit; the service carries on', async () => {
    const socket = await open(undefined, false);
    socket.send('x'.repeat(9 * 1024 * 1024));
    expect((await socket.closed).code).toBe(1009);
    const next = await open();
    expect(await next.heartbeat()).toBeTruthy();
  });
});

describe('channel lifecycle', () => {
  it('answers phx_leave with ok, then phx_close with the join ref', async () => {
    const socket = await open();
    const topic = `realtime:${uniqueTopic('public')}`;
    const { joinRef } = await socket.join(topic, joinPayload());
    const ref = socket.nextRef();
    socket.send([joinRef, ref, topic, 'phx_leave', {}]);
    const close = await socket.waitText((f) => f[3] === 'phx_close');
    const texts = socket.texts();
    const replyAt = texts.findIndex((f) => f[1] === ref && f[3] === 'phx_reply');
    expect(texts[replyAt]).toEqual([joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]);
    expect(close).toEqual([joinRef, joinRef, topic, 'phx_close', {}]);
    expect(texts.indexOf(close)).toBeGreaterThan(replyAt);
    // After leaving, the topic is unknown to the socket again.
    socket.send([joinRef, '99', topic, 'broadcast', { type: 'broadcast', event: 'x', payload: {} }]);
    expect((await socket.reply('99'))[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
  });

  it('replaces a channel joined twice on one socket: phx_close for the old join ref, ok for the new', async () => {
    const socket = await open();
    const topic = `realtime:${uniqueTopic('public')}`;
    const first = await socket.join(topic, joinPayload());
    const second = await socket.join(topic, joinPayload());
    expect(second.reply[4]).toEqual({ status: 'ok', response: { postgres_changes: [] } });
    expect(socket.texts()).toContainEqual([first.joinRef, first.joinRef, topic, 'phx_close', {}]);
  });

  it('answers a presence track whose payload is not a map with an error', async () => {
    const socket = await open();
    const topic = `realtime:${uniqueTopic('public')}`;
    const { joinRef } = await socket.join(topic, joinPayload({ presence: true }));
    const ref = socket.nextRef();
    socket.send([joinRef, ref, topic, 'presence', { type: 'presence', event: 'track', payload: [1, 2] }]);
    expect((await socket.reply(ref))[4]).toEqual({ status: 'error', response: { reason: 'Presence track payload must be a map' } });
  });

  it('sends presence_state after a join with presence enabled, and a diff after track', async () => {
    const socket = await open();
    const topic = `realtime:${uniqueTopic('public')}`;
    const payload = joinPayload({ presence: true });
    (payload.config as { presence: { key: string } }).presence.key = 'me';
    const { joinRef } = await socket.join(topic, payload);
    expect(await socket.waitText((f) => f[3] === 'presence_state')).toEqual([joinRef, null, topic, 'presence_state', {}]);
    const ref = socket.nextRef();
    socket.send([joinRef, ref, topic, 'presence', { type: 'presence', event: 'track', payload: { name: 'Ada' } }]);
    expect((await socket.reply(ref))[4]).toEqual({ status: 'ok', response: {} });
    const diff = await socket.waitText((f) => f[3] === 'presence_diff');
    expect(diff).toEqual([joinRef, null, topic, 'presence_diff', { joins: { me: { metas: [{ name: 'Ada', phx_ref: expect.any(String) }] } }, leaves: {} }]);
  });
});

describe.skipIf(stack.external)('stand-in housekeeping', () => {
  it('closes a socket that sends nothing for the idle timeout (Phoenix: 60 s), with code 1000', async () => {
    const quick = await tunedRealtime({ idleTimeoutMs: 300 });
    try {
      const socket = await RawSocket.open(socketUrl(quick.url, stack.publishableKey));
      expect((await socket.closed).code).toBe(1000);
    } finally {
      await quick.close();
    }
  });

  it('keeps partitions of realtime.messages from yesterday to three days ahead and drops those past 72 hours', async () => {
    const { admin } = await import('./helpers.ts');
    const { connect, serviceDbUrls } = await import('../../local/db.ts');
    // Only Realtime's own role may create partitions (postgres has no CREATE on the schema).
    const asRealtime = connect(serviceDbUrls(stack.dbUrl).realtime);
    await asRealtime.unsafe(`
      create table if not exists realtime.messages_2001_01_01 partition of realtime.messages
        for values from ('2001-01-01') to ('2001-01-02')`);
    await asRealtime.end();
    const fresh = await tunedRealtime(); // maintains partitions at start, then hourly
    try {
      const rows = await admin()<{ name: string }[]>`
        select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'realtime.messages'::regclass order by 1`;
      const names = rows.map((r) => r.name);
      expect(names).not.toContain('messages_2001_01_01');
      const [{ days }] = (await admin()`
        select array_agg('messages_' || to_char(d, 'YYYY_MM_DD') order by d) as days
        from generate_series(current_date - 1, current_date + 3, interval '1 day') d`) as unknown as [{ days: string[] }];
      for (const day of days) expect(names).toContain(day);
    } finally {
      await fresh.close();
    }
  });
});
