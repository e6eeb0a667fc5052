// Shared set-up of the Realtime suites: the stack from the global set-up, signed-in users inserted
// straight into the database (tests/fixtures/users.ts) with tokens minted by the stack's own key
// ring (Auth is not needed), test RLS policies on realtime.messages for the `test-room:` prefix only,
// supabase-js clients, a raw WebSocket client for exact frames, and a second stand-in with short
// error delays.
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { inject, vi } from 'vitest';
import postgres from 'postgres';
import WebSocket from 'ws';
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { loadConfig } from '../../local/config.ts';
import { createKeyRing, passwordSessionClaims, type Claims, type KeyRing } from '../../local/jwt.ts';
import { insertSignedInUser, type SignedInUser } from '../fixtures/users.ts';
import type { RealtimeSettings } from '../../local/realtime/settings.ts';

export const stack = inject('stack');

const Transport = WebSocket as unknown as typeof globalThis.WebSocket;

let adminSql: postgres.Sql | undefined;
/** A `postgres` connection (no superuser, as on Supabase), as Studio or a migration would use. */
export function admin(): postgres.Sql {
  adminSql ??= postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
  return adminSql;
}

export async function closeAdmin(): Promise<void> {
  await adminSql?.end();
  adminSql = undefined;
}

/** A topic nobody else uses: suites run in parallel. */
export function uniqueTopic(prefix = 'test-room'): string {
  return `${prefix}:${randomUUID().slice(0, 8)}`;
}

// Read: any `test-room:` topic except `test-room:noread:…`, unless the token says
// app_metadata.rt_test_read = false (how a test takes access away from a user); on
// `test-room:presence-only:…` only presence. Write: the same minus `test-room:nowrite:…`.
const POLICIES = `
select pg_advisory_xact_lock(hashtext('tests/realtime policies'));
drop policy if exists "realtime tests: read test-room topics" on realtime.messages;
create policy "realtime tests: read test-room topics" on realtime.messages for select to authenticated
  using (realtime.topic() like 'test-room:%' and realtime.topic() not like 'test-room:noread:%'
         and coalesce(auth.jwt() -> 'app_metadata' ->> 'rt_test_read', 'true') = 'true'
         and (extension = 'presence'
              or (extension = 'broadcast' and realtime.topic() not like 'test-room:presence-only:%')));
drop policy if exists "realtime tests: write test-room topics" on realtime.messages;
create policy "realtime tests: write test-room topics" on realtime.messages for insert to authenticated
  with check (realtime.topic() like 'test-room:%' and realtime.topic() not like 'test-room:noread:%'
              and realtime.topic() not like 'test-room:nowrite:%'
              and extension in ('broadcast', 'presence'));

create schema if not exists realtime_test;
create table if not exists realtime_test.items (id bigint generated always as identity primary key, room text not null, label text not null);
create or replace function realtime_test.broadcast_item_change() returns trigger
language plpgsql security definer set search_path = ''
as $f$
begin
  perform realtime.broadcast_changes(
    'test-room:items:' || coalesce(new.room, old.room), tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end
$f$;
drop trigger if exists broadcast_item_change on realtime_test.items;
create trigger broadcast_item_change after insert or update or delete on realtime_test.items
  for each row execute function realtime_test.broadcast_item_change();
`;

/** Installs the suites' policies and test table once, whichever suite gets there first. */
export async function installTestPolicies(): Promise<void> {
  await admin().begin((tx) => tx.unsafe(POLICIES).simple());
}

let keyRing: Promise<KeyRing> | undefined;
function keys(): Promise<KeyRing> {
  keyRing ??= createKeyRing(loadConfig());
  return keyRing;
}

/** The test users by id, with the Auth session their tokens name. */
const users = new Map<string, SignedInUser>();

/** A user with one open Auth session, as after a password sign-in; their id. */
export async function createUser(): Promise<string> {
  const user = await insertSignedInUser(admin(), { name: 'rt' });
  users.set(user.id, user);
  return user.id;
}

/** Deletes the user's sessions, as Auth does at a global sign-out. */
export async function signOutEverywhere(userId: string): Promise<void> {
  await admin()`delete from auth.sessions where user_id = ${userId}`;
}

export interface TokenOptions {
  /** Seconds until exp (negative: already expired). */
  expiresIn?: number;
  appMetadata?: Record<string, unknown>;
  /** Claims to drop or override (e.g. `{ exp: undefined }`). */
  override?: Partial<Claims>;
}

/** A user access token with Auth's claim set, signed like Auth signs them. */
export async function userToken(userId: string, options: TokenOptions = {}): Promise<string> {
  const user = users.get(userId);
  if (!user) throw new Error(`${userId} is not a user of createUser()`);
  const claims = passwordSessionClaims(
    { id: userId, email: user.email, appMetadata: options.appMetadata },
    { issuer: `${stack.url}/auth/v1`, expiresIn: options.expiresIn, overrides: { session_id: user.sessionId, ...options.override } },
  );
  return (await keys()).signAccessToken(claims);
}

/** Flips one character of the signature: same header and claims, invalid signature. */
export function forge(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

const clients: SupabaseClient[] = [];

export interface UserClient {
  client: SupabaseClient;
  /** Change it, then `await client.realtime.setAuth()` — what a token refresh does. */
  auth: { token: string };
}

/** supabase-js as an app uses it; with `token`, realtime sends it the way a signed-in session would. */
export async function realtimeClient(options: { token?: string; url?: string; heartbeatIntervalMs?: number; fetch?: typeof fetch } = {}): Promise<UserClient> {
  const auth = { token: options.token ?? '' };
  const client = createClient(options.url ?? stack.url, stack.publishableKey, {
    ...(options.token ? { accessToken: async () => auth.token } : {}),
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: {
      transport: Transport,
      ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    },
  });
  clients.push(client);
  // realtime-js puts the callback's token into joins only once it has resolved it.
  if (options.token) await client.realtime.setAuth();
  return { client, auth };
}

export async function closeClients(): Promise<void> {
  const all = clients.splice(0);
  await Promise.all(all.map((client) => client.removeAllChannels().catch(() => [])));
  for (const client of all) client.realtime.disconnect();
}

export interface SubscribeResult {
  status: string;
  error?: Error;
}

/** Subscribes and reports the first outcome (SUBSCRIBED, CHANNEL_ERROR, TIMED_OUT or CLOSED). */
export function subscribe(channel: RealtimeChannel): Promise<SubscribeResult> {
  return new Promise((resolve) => {
    let done = false;
    channel.subscribe((status, error) => {
      if (done) return;
      done = true;
      resolve({ status, ...(error ? { error } : {}) });
    });
  });
}

export type Received = { type: string; event: string; payload: unknown; meta?: { id: string } };
export type SystemMessage = { extension: string; status: string; message: string; channel: string };

/** Records a channel's broadcasts, system messages and subscribe states. */
function watch(channel: RealtimeChannel, event = '*') {
  const seen = { broadcasts: [] as Received[], system: [] as SystemMessage[], states: [] as string[] };
  channel.on('broadcast', { event }, (m) => seen.broadcasts.push(m as Received));
  channel.on('system', {}, (m) => seen.system.push(m as SystemMessage));
  return seen;
}

/** Joins, failing the test unless that succeeds, and keeps recording what the channel sees. */
export async function joinWatched(channel: RealtimeChannel, event = '*') {
  const seen = watch(channel, event);
  await new Promise<void>((resolve, reject) =>
    channel.subscribe((status, err) => {
      seen.states.push(status);
      if (status === 'SUBSCRIBED') resolve();
      else if (seen.states.length === 1) reject(new Error(`${status} ${err?.message ?? ''}`));
    }),
  );
  return seen;
}

/** Subscribes and fails the test unless the join succeeds. */
export async function joined(channel: RealtimeChannel): Promise<RealtimeChannel> {
  const result = await subscribe(channel);
  if (result.status !== 'SUBSCRIBED') throw new Error(`join failed: ${result.status} ${result.error?.message ?? ''}`);
  return channel;
}

/** Resolves once `check` returns something; no deadline beyond the test's own timeout. */
export async function eventually<T>(check: () => T | undefined | null | false, timeout = 15_000): Promise<T> {
  return vi.waitFor(
    () => {
      const value = check();
      if (value === undefined || value === null || value === false) throw new Error('not yet');
      return value;
    },
    { timeout, interval: 10 },
  );
}

// -- raw WebSocket ---------------------------------------------------------------------------------

export interface BinaryBroadcast {
  kind: number;
  topic: string;
  event: string;
  meta: string;
  encoding: number;
  payload: Buffer;
  raw: Buffer;
}

export type Frame = { text: unknown } | { binary: BinaryBroadcast };

export function decodeKind4(raw: Buffer): BinaryBroadcast {
  const [kind, topicLength, eventLength, metaLength, encoding] = [raw[0]!, raw[1]!, raw[2]!, raw[3]!, raw[4]!];
  let offset = 5;
  const take = (n: number) => raw.subarray(offset, (offset += n));
  return {
    kind,
    topic: take(topicLength).toString('utf8'),
    event: take(eventLength).toString('utf8'),
    meta: take(metaLength).toString('utf8'),
    encoding,
    payload: raw.subarray(offset),
    raw,
  };
}

/** Builds a client broadcast push (kind 3) exactly as realtime-js' serializer does. */
export function encodeKind3(joinRef: string, ref: string, topic: string, event: string, payload: unknown, meta = ''): Buffer {
  const fields = [joinRef, ref, topic, event, meta].map((field) => Buffer.from(field, 'utf8'));
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return Buffer.concat([Buffer.from([3, ...fields.map((f) => f.length), 1]), ...fields, body]);
}

export function socketUrl(base: string, apikey: string | null, vsn: string | null = '2.0.0'): string {
  const url = new URL('/realtime/v1/websocket', base.replace(/^http/, 'ws'));
  if (apikey !== null) url.searchParams.set('apikey', apikey);
  if (vsn !== null) url.searchParams.set('vsn', vsn);
  return url.toString();
}

/** A bare Phoenix client: sends what it is told, records every frame. */
export class RawSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private ref = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push(isBinary ? { binary: decodeKind4(Buffer.from(data)) } : { text: JSON.parse(data.toString('utf8')) });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(url: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new RawSocket(ws)));
      ws.once('error', reject);
    });
  }

  nextRef(): string {
    return String(++this.ref);
  }

  send(message: unknown[] | Record<string, unknown> | string | Buffer): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** Text frames as arrays (vsn 2.0.0). */
  texts(): unknown[][] {
    return this.frames.flatMap((frame) => ('text' in frame && Array.isArray(frame.text) ? [frame.text as unknown[]] : []));
  }

  binaries(): BinaryBroadcast[] {
    return this.frames.flatMap((frame) => ('binary' in frame ? [frame.binary] : []));
  }

  /** The first text frame after index `from` that matches. */
  async waitText(match: (frame: unknown[]) => boolean, from = 0): Promise<unknown[]> {
    return eventually(() => this.texts().slice(from).find(match));
  }

  /** The reply to a push, by ref. */
  reply(ref: string): Promise<unknown[]> {
    return this.waitText((f) => f[1] === ref && f[3] === 'phx_reply');
  }

  async join(topic: string, payload: Record<string, unknown>): Promise<{ joinRef: string; reply: unknown[] }> {
    const joinRef = this.nextRef();
    this.send([joinRef, joinRef, topic, 'phx_join', payload]);
    return { joinRef, reply: await this.reply(joinRef) };
  }

  /** A heartbeat's reply: proof that everything sent before it has been handled. */
  async heartbeat(): Promise<unknown[]> {
    const ref = this.nextRef();
    this.send([null, ref, 'phoenix', 'heartbeat', {}]);
    return this.reply(ref);
  }

  close(): void {
    this.ws.close();
  }
}

export function joinPayload(options: { private?: boolean; ack?: boolean; self?: boolean; presence?: boolean; token?: string } = {}): Record<string, unknown> {
  return {
    config: {
      broadcast: { ack: options.ack ?? false, self: options.self ?? false },
      presence: { key: '', enabled: options.presence ?? false },
      postgres_changes: [],
      private: options.private ?? false,
    },
    ...(options.token ? { access_token: options.token } : {}),
  };
}

/** The answer to a refused WebSocket upgrade. */
export function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {});
  });
}

// -- a stand-in with short error delays --------------------------------------------------------------

export interface TunedRealtime {
  /** SUPABASE_URL-like base of a gateway in front of it. */
  url: string;
  close(): Promise<void>;
}

/**
 * Refused joins and upgrades are answered after deliberate delays (5 s / 2 s, as the real server).
 * Locally the suites start a second stand-in on the same database with tiny delays; against an
 * external stack they use it as it is, only slower.
 */
export async function tunedRealtime(settings: Partial<RealtimeSettings> = {}): Promise<TunedRealtime> {
  if (stack.external) return { url: stack.url, close: async () => {} };
  const [{ createRealtimeService }, { createGateway }, { freePort, serviceDbUrls }] = await Promise.all([
    import('../../local/realtime/index.ts'),
    import('../../local/gateway.ts'),
    import('../../local/db.ts'),
  ]);
  const config = loadConfig();
  const ring = await keys();
  const realtime = await createRealtimeService({
    config,
    dbUrl: serviceDbUrls(stack.dbUrl).realtime,
    keys: ring,
    settings: { channelErrorBackoffMs: 20, connectErrorBackoffMs: 20, ...settings },
  });
  const port = await freePort();
  const gateway: Server = createGateway({ ...config, apiPort: port }, ring, { realtime, functions: [] });
  await new Promise<void>((resolve) => gateway.listen(port, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      // WebSockets count as the gateway's connections until Realtime closes them.
      await realtime.close();
      gateway.closeAllConnections();
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
    },
  };
}
