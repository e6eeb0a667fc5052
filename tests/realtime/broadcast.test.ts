// Broadcast with the real supabase-js 2.119 client (docs/PLATFORM.md, "Realtime socket check",
// "httpSend check"): public channels, ack and self, heartbeats, the REST endpoints (httpSend and
// the send() fallback) and their refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeAdmin,
  closeClients,
  createUser,
  eventually,
  forge,
  installTestPolicies,
  joined,
  admin,
  realtimeClient,
  stack,
  uniqueTopic,
  userToken,
} from './helpers.ts';

type Received = { type: string; event: string; payload: unknown; meta?: { id: string } };

beforeAll(async () => {
  await installTestPolicies();
});

afterAll(async () => {
  await closeClients();
  await closeAdmin();
});

function apiUrl(path: string): string {
  return `${stack.url}/realtime/v1/api${path}`;
}

describe('public channels', () => {
  it('delivers an ack\'ed send to the other subscriber, not back to the sender without self', async () => {
    const topic = uniqueTopic('public');
    const { client: a } = await realtimeClient();
    const { client: b } = await realtimeClient();
    const gotA: Received[] = [];
    const gotB: Received[] = [];
    const sender = await joined(a.channel(topic, { config: { broadcast: { ack: true } } }).on('broadcast', { event: '*' }, (m) => gotA.push(m as Received)));
    await joined(b.channel(topic).on('broadcast', { event: 'greet' }, (m) => gotB.push(m as Received)));

    expect(await sender.send({ type: 'broadcast', event: 'greet', payload: { hello: 'world' } })).toBe('ok');
    await eventually(() => gotB.length === 1);
    expect(gotB[0]).toEqual({ type: 'broadcast', event: 'greet', payload: { hello: 'world' } });
    // The server fans out before it acks, so an echo would have arrived before 'ok'.
    expect(gotA).toEqual([]);
  });

  it('echoes to the sender with self: true', async () => {
    const topic = uniqueTopic('public');
    const { client } = await realtimeClient();
    const got: Received[] = [];
    const channel = await joined(
      client.channel(topic, { config: { broadcast: { self: true, ack: true } } }).on('broadcast', { event: 'me' }, (m) => got.push(m as Received)),
    );
    expect(await channel.send({ type: 'broadcast', event: 'me', payload: { n: 1 } })).toBe('ok');
    expect(got).toEqual([{ type: 'broadcast', event: 'me', payload: { n: 1 } }]);
  });

  it('answers heartbeats (the client reports ok)', async () => {
    const statuses: string[] = [];
    const { client } = await realtimeClient({ heartbeatIntervalMs: 500 });
    client.realtime.onHeartbeat((status) => statuses.push(status));
    await joined(client.channel(uniqueTopic('public')));
    await eventually(() => statuses.includes('ok'));
    // 'ok' is the client's word for a phx_reply with status ok to its heartbeat; 'error' for any other.
    expect(statuses[statuses.indexOf('ok') - 1]).toBe('sent');
    expect(statuses).not.toContain('error');
  });

  it('reports CLOSED and sends phx_leave on unsubscribe, resolving "ok"', async () => {
    const { client } = await realtimeClient();
    const states: string[] = [];
    const channel = client.channel(uniqueTopic('public'));
    await new Promise<void>((resolve) => channel.subscribe((s) => (states.push(s), s === 'SUBSCRIBED' && resolve())));
    expect(await channel.unsubscribe()).toBe('ok');
    expect(states).toEqual(['SUBSCRIBED', 'CLOSED']);
  });
});

describe('REST broadcast', () => {
  it('httpSend answers 202 → {success:true} and subscribers get the message', async () => {
    const topic = uniqueTopic('public');
    const { client } = await realtimeClient();
    const got: Received[] = [];
    const channel = await joined(client.channel(topic).on('broadcast', { event: 'rest' }, (m) => got.push(m as Received)));
    expect(await channel.httpSend('rest', { via: 'http' })).toEqual({ success: true });
    await eventually(() => got.length === 1);
    expect(got[0]).toEqual({ type: 'broadcast', event: 'rest', payload: { via: 'http' } });
  });

  it('httpSend on a private channel with persist carries private=true&persist=true and stores the message', async () => {
    const topic = uniqueTopic('test-room');
    const urls: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const user = await createUser();
    const { client } = await realtimeClient({ token: await userToken(user), fetch: recordingFetch });
    const got: Received[] = [];
    const channel = await joined(client.channel(topic, { config: { private: true } }).on('broadcast', { event: 'kept' }, (m) => got.push(m as Received)));

    expect(await channel.httpSend('kept', { v: 1 }, { persist: true })).toEqual({ success: true });
    const url = new URL(urls.at(-1)!);
    expect(url.pathname).toBe(`/realtime/v1/api/broadcast/${encodeURIComponent(topic)}/events/kept`);
    expect(url.searchParams.get('private')).toBe('true');
    expect(url.searchParams.get('persist')).toBe('true');

    // A stored message goes out through the database, so it carries the row id as meta.id.
    await eventually(() => got.length === 1);
    expect(got[0]).toEqual({ type: 'broadcast', event: 'kept', payload: { v: 1 }, meta: { id: expect.any(String) } });
    const rows = await admin()`select topic, event, private, payload from realtime.messages where id = ${got[0]!.meta!.id}`;
    expect(rows).toEqual([{ topic, event: 'kept', private: true, payload: { v: 1 } }]);
  });

  it('send() on a channel that is not joined falls back to POST /api/broadcast', async () => {
    const topic = uniqueTopic('public');
    const { client: listener } = await realtimeClient();
    const got: Received[] = [];
    await joined(listener.channel(topic).on('broadcast', { event: 'fallback' }, (m) => got.push(m as Received)));
    const { client } = await realtimeClient();
    const warn = console.warn;
    console.warn = () => {};
    try {
      expect(await client.channel(topic).send({ type: 'broadcast', event: 'fallback', payload: { rest: true } })).toBe('ok');
    } finally {
      console.warn = warn;
    }
    await eventually(() => got.length === 1);
    expect(got[0]).toEqual({ type: 'broadcast', event: 'fallback', payload: { rest: true } });
  });

  it('refuses forged, expired and missing tokens with 401', async () => {
    const expired = await userToken(await createUser(), { expiresIn: -5 });
    for (const authorization of [`Bearer ${forge(stack.anonKey)}`, `Bearer ${expired}`, 'Bearer nonsense']) {
      const res = await fetch(apiUrl('/broadcast/room/events/e'), {
        method: 'POST',
        headers: { apikey: stack.publishableKey, authorization, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(401);
    }
    const res = await fetch(apiUrl('/broadcast'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"messages":[]}' });
    expect(res.status).toBe(401);
  });

  it('httpSend rejects with the server\'s message when the token is forged', async () => {
    const { client } = await realtimeClient({ token: forge(await userToken(await createUser())) });
    await expect(client.channel(uniqueTopic('public')).httpSend('e', {})).rejects.toThrow(/Unauthorized/);
  });

  it('answers 422 for invalid batches and oversized payloads, 415 for other content types', async () => {
    const headers = { apikey: stack.publishableKey, 'content-type': 'application/json' };
    const invalid = await fetch(apiUrl('/broadcast'), { method: 'POST', headers, body: JSON.stringify({ messages: [{ topic: 'x' }] }) });
    expect(invalid.status).toBe(422);
    expect(await invalid.json()).toEqual({ errors: { messages: [{ event: ["can't be blank"], payload: ["can't be blank"] }] } });

    const big = await fetch(apiUrl('/broadcast/room/events/big'), { method: 'POST', headers, body: JSON.stringify({ b: 'x'.repeat(3000 * 1024) }) });
    expect(big.status).toBe(422);
    expect(await big.json()).toEqual({ errors: { payload: ['Payload size exceeds tenant limit'] } });

    const text = await fetch(apiUrl('/broadcast/room/events/t'), { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: 'hi' });
    expect(text.status).toBe(415);

    // The service is still fine for the next caller.
    const ok = await fetch(apiUrl('/broadcast/room/events/t'), { method: 'POST', headers, body: '{}' });
    expect(ok.status).toBe(202);
  });

  it('answers 403 to a private httpSend without an INSERT policy, and skips it silently in a batch', async () => {
    const token = await userToken(await createUser());
    const topic = uniqueTopic('test-room:nowrite');
    const headers = { apikey: stack.publishableKey, authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const single = await fetch(apiUrl(`/broadcast/${encodeURIComponent(topic)}/events/e?private=true`), { method: 'POST', headers, body: '{}' });
    expect(single.status).toBe(403);
    const batch = await fetch(apiUrl('/broadcast'), {
      method: 'POST',
      headers,
      body: JSON.stringify({ messages: [{ topic, event: 'e', payload: {}, private: true }] }),
    });
    expect(batch.status).toBe(202);
  });
});
