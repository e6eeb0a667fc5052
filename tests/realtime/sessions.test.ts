// Signed-out tokens (beyond the real Realtime, which only checks signature and expiry): a user token
// names its Auth session (`session_id`); once Auth has deleted that session (sign-out, refresh-token
// reuse, user deleted), the token no longer opens private channels, and a joined private channel is
// closed at its next token check (an access_token push, or the periodic re-check). Public channels
// need no session, as on the real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client as authClient, createUser as createAuthUser, signIn } from '../auth/helpers.ts';
import {
  closeAdmin,
  closeClients,
  createUser,
  eventually,
  installTestPolicies,
  joinWatched,
  joined,
  realtimeClient,
  signOutEverywhere,
  stack,
  subscribe,
  tunedRealtime,
  uniqueTopic,
  userToken,
  type TunedRealtime,
} from './helpers.ts';

const SESSION_ENDED = 'Session from session_id claim in JWT does not exist';

let tuned: TunedRealtime;
let rechecking: TunedRealtime;

beforeAll(async () => {
  await installTestPolicies();
  tuned = await tunedRealtime();
  rechecking = await tunedRealtime({ confirmTokenIntervalMs: 200 });
});

afterAll(async () => {
  await closeClients();
  await Promise.all([tuned?.close(), rechecking?.close()]);
  await closeAdmin();
});

describe.skipIf(stack.external)('a token whose session has ended', () => {
  it('cannot join a private channel, though its signature and exp are good', async () => {
    const user = await createUser();
    const token = await userToken(user);
    const { client } = await realtimeClient({ url: tuned.url, token });
    await joined(client.channel(uniqueTopic('test-room'), { config: { private: true } }));

    await signOutEverywhere(user);
    const topic = uniqueTopic('test-room');
    const result = await subscribe(client.channel(topic, { config: { private: true } }));
    expect(result.status).toBe('CHANNEL_ERROR');
    expect(result.error?.message).toBe(`Unauthorized: ${SESSION_ENDED}`);
  });

  it('still joins public channels, which need no session', async () => {
    const user = await createUser();
    await signOutEverywhere(user);
    const { client } = await realtimeClient({ url: tuned.url, token: await userToken(user) });
    expect((await subscribe(client.channel(uniqueTopic('public')))).status).toBe('SUBSCRIBED');
  });

  it('closes a joined private channel at its next access_token', async () => {
    const user = await createUser();
    const { client, auth } = await realtimeClient({ token: await userToken(user) });
    const topic = uniqueTopic('test-room');
    const seen = await joinWatched(client.channel(topic, { config: { private: true } }));

    await signOutEverywhere(user);
    // A new token of the ended session (say, minted just before the sign-out) is refused too.
    auth.token = await userToken(user, { expiresIn: 1800 });
    await client.realtime.setAuth();
    await eventually(() => seen.states.includes('CLOSED'));
    expect(seen.system).toEqual([{ extension: 'system', status: 'error', message: SESSION_ENDED, channel: topic }]);
  });

  it('closes a joined private channel at the periodic token check, without any push', async () => {
    const user = await createUser();
    const { client } = await realtimeClient({ url: rechecking.url, token: await userToken(user) });
    const topic = uniqueTopic('test-room');
    const seen = await joinWatched(client.channel(topic, { config: { private: true } }));
    await signOutEverywhere(user);
    await eventually(() => seen.states.includes('CLOSED'));
    expect(seen.system).toEqual([{ extension: 'system', status: 'error', message: SESSION_ENDED, channel: topic }]);
  });

  it('cannot send to a private topic over REST', async () => {
    const user = await createUser();
    const token = await userToken(user);
    const send = () =>
      fetch(`${stack.url}/realtime/v1/api/broadcast/${encodeURIComponent(uniqueTopic('test-room'))}/events/e?private=true`, {
        method: 'POST',
        headers: { apikey: stack.publishableKey, Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
    expect((await send()).status).toBe(202);
    await signOutEverywhere(user);
    expect((await send()).status).toBe(403);
  });
});

describe.skipIf(stack.external)('with the real Auth', () => {
  it('a global sign-out elsewhere ends what the old access token can join', async () => {
    const user = await createAuthUser('rt-signout');
    const here = await signIn(user);
    const elsewhere = await signIn(user);
    const token = here.session.access_token;
    const { client } = await realtimeClient({ url: tuned.url, token });
    await joined(client.channel(uniqueTopic('test-room'), { config: { private: true } }));

    expect((await elsewhere.client.auth.signOut({ scope: 'global' })).error).toBeNull();
    const result = await subscribe(client.channel(uniqueTopic('test-room'), { config: { private: true } }));
    expect(result.status).toBe('CHANNEL_ERROR');
    expect(result.error?.message).toBe(`Unauthorized: ${SESSION_ENDED}`);
    // The refresh token died with the session, so the client cannot get a working token back.
    expect((await authClient().auth.refreshSession({ refresh_token: here.session.refresh_token })).error?.code).toBe(
      'refresh_token_not_found',
    );
  });
});
