// Private channels authorized through RLS on realtime.messages (docs/PLATFORM.md, "Channel
// authorization", "Realtime socket check", "Private channel policy check"), and the token lifecycle
// of a joined channel (docs/PLATFORM.md, "Access-token refresh on channels"): refresh, expiry,
// revocation. Policies for the `test-room:` prefix come from helpers.ts; nothing here touches other
// topics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RawSocket,
  closeAdmin,
  closeClients,
  createUser,
  eventually,
  forge,
  installTestPolicies,
  joinPayload,
  joinWatched,
  joined,
  realtimeClient,
  socketUrl,
  stack,
  subscribe,
  tunedRealtime,
  uniqueTopic,
  userToken,
  type TunedRealtime,
} from './helpers.ts';

let tuned: TunedRealtime;

beforeAll(async () => {
  await installTestPolicies();
  tuned = await tunedRealtime();
});

afterAll(async () => {
  await closeClients();
  await tuned.close();
  await closeAdmin();
});

describe('private channels', () => {
  it('joins with a SELECT policy; an ack\'ed send with an INSERT policy reaches private subscribers only', async () => {
    const topic = uniqueTopic('test-room');
    const alice = await realtimeClient({ token: await userToken(await createUser()) });
    const bob = await realtimeClient({ token: await userToken(await createUser()) });
    const { client: outsider } = await realtimeClient();

    const sender = alice.client.channel(topic, { config: { private: true, broadcast: { ack: true } } });
    await joined(sender);
    const bobSeen = await joinWatched(bob.client.channel(topic, { config: { private: true } }));
    const publicSeen = await joinWatched(outsider.channel(topic));

    expect(await sender.send({ type: 'broadcast', event: 'secret', payload: { n: 1 } })).toBe('ok');
    await eventually(() => bobSeen.broadcasts.length === 1);
    expect(bobSeen.broadcasts[0]).toEqual({ type: 'broadcast', event: 'secret', payload: { n: 1 } });

    // A public message on the same topic string reaches the public subscriber; the private one never did.
    const marker = await realtimeClient();
    expect(await marker.client.channel(topic).httpSend('marker', {})).toEqual({ success: true });
    await eventually(() => publicSeen.broadcasts.length === 1);
    expect(publicSeen.broadcasts.map((m) => m.event)).toEqual(['marker']);
  });

  it('refuses a private join without a SELECT policy with the exact Unauthorized reason', async () => {
    const topic = uniqueTopic('test-room:noread');
    const { client } = await realtimeClient({ url: tuned.url, token: await userToken(await createUser()) });
    const channel = client.channel(topic, { config: { private: true } });
    const result = await subscribe(channel);
    await client.removeChannel(channel);
    expect(result.status).toBe('CHANNEL_ERROR');
    expect(result.error?.message).toBe(`Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`);
  });

  it('refuses a private join with only the project key (anon has no policy)', async () => {
    const topic = uniqueTopic('test-room');
    const { client } = await realtimeClient({ url: tuned.url });
    const channel = client.channel(topic, { config: { private: true } });
    const result = await subscribe(channel);
    await client.removeChannel(channel);
    expect(result.status).toBe('CHANNEL_ERROR');
    expect(result.error?.message).toBe(`Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`);
  });

  it('drops a send without an INSERT policy: no ack (the client says "timed out"), nothing delivered', async () => {
    const topic = uniqueTopic('test-room:nowrite');
    const alice = await realtimeClient({ token: await userToken(await createUser()) });
    const bob = await realtimeClient({ token: await userToken(await createUser()) });
    const sender = alice.client.channel(topic, { config: { private: true, broadcast: { ack: true } } });
    await joined(sender);
    const bobSeen = await joinWatched(bob.client.channel(topic, { config: { private: true } }));

    expect(await sender.send({ type: 'broadcast', event: 'dropped', payload: {} }, { timeout: 1500 })).toBe('timed out');
    // The service role may write anywhere: its message arrives, the dropped one never did.
    const service = await fetch(`${stack.url}/realtime/v1/api/broadcast/${encodeURIComponent(topic)}/events/marker?private=true`, {
      method: 'POST',
      headers: { apikey: stack.secretKey, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(service.status).toBe(202);
    await eventually(() => bobSeen.broadcasts.length === 1);
    expect(bobSeen.broadcasts.map((m) => m.event)).toEqual(['marker']);
  });

  it('shares presence on a private channel with the policy; each entry carries the verified user id as `sub`', async () => {
    const topic = uniqueTopic('test-room');
    const user = await createUser();
    const alice = await realtimeClient({ token: await userToken(user) });
    const channel = alice.client.channel(topic, { config: { private: true, presence: { key: 'alice' } } });
    channel.on('presence', { event: 'sync' }, () => {});
    await joined(channel);
    // A `sub` the client makes up is replaced by the one its token proves (the real server keeps it).
    expect(await channel.track({ status: 'here', sub: 'someone-else' })).toBe('ok');
    await eventually(() => channel.presenceState().alice);
    const sub = stack.external ? 'someone-else' : user;
    expect(channel.presenceState().alice).toEqual([{ status: 'here', sub, presence_ref: expect.any(String) }]);
  });
});

describe('tokens on a joined channel', () => {
  it('closes the channel when its token expires: system error, then CLOSED', async () => {
    const topic = uniqueTopic('test-room');
    const { client } = await realtimeClient({ token: await userToken(await createUser(), { expiresIn: 2 }) });
    const seen = await joinWatched(client.channel(topic, { config: { private: true } }));
    await eventually(() => seen.states.includes('CLOSED'), 10_000);
    expect(seen.system).toEqual([
      { extension: 'system', status: 'error', message: expect.stringMatching(/^Token has expired \d+ seconds ago$/), channel: topic },
    ]);
  });

  it('takes a refreshed access_token: the channel outlives the first token', async () => {
    const topic = uniqueTopic('test-room');
    const user = await createUser();
    const first = await userToken(user, { expiresIn: 2 });
    const { client, auth } = await realtimeClient({ token: first });
    const channel = client.channel(topic, { config: { private: true } });
    const seen = await joinWatched(channel);

    auth.token = await userToken(user, { expiresIn: 3600 });
    await client.realtime.setAuth(); // pushes access_token on every joined channel
    const firstExpiry = (JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
    await eventually(() => Date.now() > firstExpiry * 1000 + 1500, 10_000);

    expect(await channel.httpSend('still-here', {})).toEqual({ success: true });
    await eventually(() => seen.broadcasts.length === 1);
    expect(seen.states).toEqual(['SUBSCRIBED']);
    expect(seen.system).toEqual([]);
  });

  it('shuts the channel when a new token loses read access', async () => {
    const topic = uniqueTopic('test-room');
    const user = await createUser();
    const { client, auth } = await realtimeClient({ token: await userToken(user) });
    const seen = await joinWatched(client.channel(topic, { config: { private: true } }));
    auth.token = await userToken(user, { appMetadata: { rt_test_read: false } });
    await client.realtime.setAuth();
    await eventually(() => seen.states.includes('CLOSED'));
    expect(seen.system).toEqual([
      { extension: 'system', status: 'error', message: `You do not have permissions to read from this Channel topic: ${topic}`, channel: topic },
    ]);
  });

  it('shuts the channel when pushed an expired or forged token', async () => {
    const user = await createUser();
    for (const [bad, message] of [
      [await userToken(user, { expiresIn: -10 }), /^Token has expired \d+ seconds ago$/],
      [forge(await userToken(user)), /./],
    ] as const) {
      const topic = uniqueTopic('test-room');
      const { client, auth } = await realtimeClient({ token: await userToken(user) });
      const seen = await joinWatched(client.channel(topic, { config: { private: true } }));
      auth.token = bad;
      await client.realtime.setAuth();
      await eventually(() => seen.states.includes('CLOSED'));
      expect(seen.system).toHaveLength(1);
      expect(seen.system[0]).toMatchObject({ extension: 'system', status: 'error', channel: topic });
      expect(seen.system[0]!.message).toMatch(message);
    }
  });

  it('ignores access_token pushes of sb_ keys and of the token in use', async () => {
    const topic = `realtime:${uniqueTopic('test-room')}`;
    const token = await userToken(await createUser());
    const socket = await RawSocket.open(socketUrl(stack.url, stack.publishableKey));
    try {
      const { joinRef, reply } = await socket.join(topic, joinPayload({ private: true, token }));
      expect((reply[4] as { status: string }).status).toBe('ok');
      const before = socket.texts().length;
      socket.send([joinRef, socket.nextRef(), topic, 'access_token', { access_token: stack.publishableKey }]);
      socket.send([joinRef, socket.nextRef(), topic, 'access_token', { access_token: token }]);
      socket.send([joinRef, socket.nextRef(), topic, 'access_token', { access_token: null }]);
      await socket.heartbeat();
      expect(socket.texts().slice(before).map((f) => f[3])).toEqual(['phx_reply']);
    } finally {
      socket.close();
    }
  });
});

describe('refused joins', () => {
  async function reason(token: string): Promise<string | undefined> {
    const socket = await RawSocket.open(socketUrl(tuned.url, stack.publishableKey));
    try {
      const { reply } = await socket.join(`realtime:${uniqueTopic('test-room')}`, joinPayload({ private: true, token }));
      const body = reply[4] as { status: string; response: { reason?: string } };
      expect(body.status).toBe('error');
      return body.response.reason;
    } finally {
      socket.close();
    }
  }

  it('words each bad token like the real server', async () => {
    const user = await createUser();
    expect(await reason(await userToken(user, { expiresIn: -30 }))).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
    expect(await reason('garbage')).toBe('MalformedJWT: The token provided is not a valid JWT');
    expect(await reason(await userToken(user, { override: { exp: undefined } }))).toBe('InvalidJWTToken: Fields `role` and `exp` are required in JWT');
    const forged = await reason(forge(await userToken(user)));
    if (!stack.external) expect(forged).toBe('JwtSignatureError: Failed to validate JWT signature');
  });

  it('keeps serving the socket and other channels after a refused join', async () => {
    const socket = await RawSocket.open(socketUrl(tuned.url, stack.publishableKey));
    try {
      const good = `realtime:${uniqueTopic('public')}`;
      await socket.join(good, joinPayload());
      const { reply } = await socket.join(`realtime:${uniqueTopic('test-room:noread')}`, joinPayload({ private: true, token: await userToken(await createUser()) }));
      expect((reply[4] as { status: string }).status).toBe('error');
      expect(await socket.heartbeat()).toBeTruthy();
      const other = await RawSocket.open(socketUrl(tuned.url, stack.publishableKey));
      const { joinRef } = await other.join(good, joinPayload());
      other.send([joinRef, '9', good, 'broadcast', { type: 'broadcast', event: 'after', payload: {} }]);
      await eventually(() => socket.binaries().some((b) => b.event === 'after'));
      other.close();
    } finally {
      socket.close();
    }
  });
});
