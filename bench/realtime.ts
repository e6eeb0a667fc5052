// Realtime benchmark: commit-to-client latency of Broadcast from the database.
//
// Boots its own throw-away stack, joins 20 supabase-js subscribers (members of one workspace) to
// one brand DNA's private topic, commits 100 updates of that brand DNA (the project's trigger
// broadcasts each) and prints p50/p95/max from the moment COMMIT is sent to the moment each
// client's callback runs. It measures both delivery paths of the stand-in (NOTIFY trigger and
// logical replication, see local/realtime/delivery.ts) and, as the baseline of the same run, a bare
// NOTIFY round trip to a LISTENing postgres.js connection. Prints, never asserts.
//
//   npx tsx bench/realtime.ts
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { startStack, type Stack } from '../local/stack.ts';
import { createKeyRing, type KeyRing } from '../local/jwt.ts';
import { createGateway } from '../local/gateway.ts';
import { freePort, serviceDbUrls } from '../local/db.ts';
import { createRealtimeService, type RealtimeService } from '../local/realtime/index.ts';
import { resolveSettings, type DeliveryMode } from '../local/realtime/settings.ts';
import { insertSignedInUser, sessionClaims, type SignedInUser } from '../tests/fixtures/users.ts';
import { percentile } from './stats.ts';

const SUBSCRIBERS = 20;
const MESSAGES = 100;
const WARMUP = 10;

/** The statement that broadcasts; it runs inside the transaction whose COMMIT starts the clock. */
export interface BenchStatement {
  label: string;
  /** The event subscribers listen for. */
  event: string;
  run(tx: postgres.ReservedSql, seq: number, topic: string): Promise<unknown>;
  /** Finds the sequence number in what a subscriber received. */
  seqOf(payload: Record<string, unknown>): number | undefined;
}

/** A change of a brand DNA, as a teammate makes it: the project's trigger broadcasts it. */
export const BRAND_DNA_UPDATE: BenchStatement = {
  label: 'update public.brand_dna set name = …, energy = … where id = … (the brand_dna_broadcast trigger sends to brand_dna:<id>:<epoch>)',
  event: 'UPDATE',
  run: (tx, seq, topic) => tx`update public.brand_dna set name = ${`Bench ${seq}`}, energy = ${(seq % 100) / 100} where id = ${topic.split(':')[1]!}`,
  seqOf: (payload) => {
    const name = (payload.record as { name?: unknown } | null)?.name;
    return typeof name === 'string' && name.startsWith('Bench ') ? Number(name.slice('Bench '.length)) : undefined;
  },
};

const STATEMENT: BenchStatement = BRAND_DNA_UPDATE;

interface Summary {
  p50: number;
  p95: number;
  max: number;
  n: number;
}

function summarize(samples: number[]): Summary {
  return { p50: percentile(samples, 0.5), p95: percentile(samples, 0.95), max: percentile(samples, 1), n: samples.length };
}

function format(s: Summary): string {
  return `p50 ${s.p50.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms  max ${s.max.toFixed(2)} ms  (n=${s.n})`;
}

/** 20 users, all members of one workspace with one brand DNA per delivery path. */
async function prepareDatabase(dbUrl: string, paths: number): Promise<{ users: SignedInUser[]; topics: string[] }> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    // Signed in: private channels need a live session behind the token.
    const users: SignedInUser[] = [];
    for (let i = 0; i < SUBSCRIBERS; i++) users.push(await insertSignedInUser(sql, { name: 'bench' }));
    const [workspace] = await sql<{ id: string; realtime_epoch: string }[]>`
      insert into public.workspaces (name) values ('Realtime bench') returning id, realtime_epoch`;
    for (const [i, { id }] of users.entries()) {
      await sql`insert into public.workspace_members (workspace_id, user_id, role) values (${workspace!.id}, ${id}, ${i === 0 ? 'owner' : 'editor'})`;
    }
    const topics: string[] = [];
    for (let i = 0; i < paths; i++) {
      const [brand] = await sql<{ id: string }[]>`
        insert into public.brand_dna (workspace_id, slug, name, density, warmth, playfulness, sophistication, energy)
        values (${workspace!.id}, ${`bench-${i}`}, ${`Bench path ${i}`}, 0.5, 0.5, 0.5, 0.5, 0.5) returning id`;
      topics.push(`brand_dna:${brand!.id}:${workspace!.realtime_epoch}`);
    }
    return { users, topics };
  } finally {
    await sql.end();
  }
}

interface Subscribers {
  topic: string;
  clients: SupabaseClient[];
  /** seq → receive times (performance.now()) of every subscriber. */
  received: Map<number, number[]>;
  waitFor(seq: number, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

async function subscribe(url: string, publishableKey: string, tokens: string[], topic: string): Promise<Subscribers> {
  const received = new Map<number, number[]>();
  const waiters = new Map<number, () => void>();
  const clients = tokens.map((token) =>
    createClient(url, publishableKey, {
      accessToken: async () => token,
      realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    }),
  );
  // realtime-js only puts the callback's token into a join once it has resolved it.
  await Promise.all(clients.map((client) => client.realtime.setAuth()));
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve, reject) => {
          client
            .channel(topic, { config: { private: true } })
            .on('broadcast', { event: STATEMENT.event }, (message) => {
              const at = performance.now();
              const seq = STATEMENT.seqOf((message.payload ?? {}) as Record<string, unknown>);
              if (seq === undefined) return;
              const times = received.get(seq) ?? [];
              times.push(at);
              received.set(seq, times);
              if (times.length === clients.length) waiters.get(seq)?.();
            })
            .subscribe((status, err) => {
              if (status === 'SUBSCRIBED') resolve();
              else if (status !== 'CLOSED') reject(new Error(`subscribe: ${status} ${err?.message ?? ''}`));
            });
        }),
    ),
  );
  return {
    topic,
    clients,
    received,
    waitFor(seq, timeoutMs) {
      if ((received.get(seq)?.length ?? 0) === clients.length) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.delete(seq);
          resolve(false);
        }, timeoutMs);
        waiters.set(seq, () => {
          clearTimeout(timer);
          waiters.delete(seq);
          resolve(true);
        });
      });
    },
    async close() {
      await Promise.all(clients.map((client) => client.removeAllChannels()));
      for (const client of clients) client.realtime.disconnect();
    },
  };
}

interface PathResult {
  mode: DeliveryMode;
  /** From sending COMMIT to each subscriber's callback. */
  perClient: number[];
  /** From sending COMMIT to the last of the subscribers' callbacks. */
  lastClient: number[];
  /** From COMMIT's acknowledgement to each callback (the delivery path alone; can be < 0). */
  afterAck: number[];
  commit: number[];
  lost: number;
}

function emptyResult(mode: DeliveryMode): PathResult {
  return { mode, perClient: [], lastClient: [], afterAck: [], commit: [], lost: 0 };
}

/** One round of committed broadcasts, one at a time (latency, not throughput). */
async function measureRound(result: PathResult, subscribers: Subscribers, dbUrl: string, seqBase: number, count: number): Promise<void> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const tx = await sql.reserve();
  try {
    for (let i = 0; i < WARMUP + count; i++) {
      const seq = seqBase + i;
      await tx`begin`;
      await STATEMENT.run(tx, seq, subscribers.topic);
      const committing = performance.now();
      await tx`commit`;
      const committed = performance.now();
      const complete = await subscribers.waitFor(seq, 2000);
      if (i < WARMUP) continue;
      result.commit.push(committed - committing);
      const times = subscribers.received.get(seq) ?? [];
      if (!complete) result.lost += SUBSCRIBERS - times.length;
      for (const at of times) {
        result.perClient.push(at - committing);
        result.afterAck.push(at - committed);
      }
      if (times.length > 0) result.lastClient.push(Math.max(...times) - committing);
    }
  } finally {
    tx.release();
    await sql.end();
  }
}

/**
 * Baselines on a LISTENing postgres.js connection, commit to callback: a bare pg_notify, and one
 * sent by a transaction that also writes a realtime.messages row (so it pays the same WAL flush).
 */
async function measureNotifyBaseline(dbUrl: string, withRow: boolean): Promise<number[]> {
  const listener = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const sender = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const waiters = new Map<number, (at: number) => void>();
  await listener.listen('bench_baseline', (payload) => waiters.get(Number(payload))?.(performance.now()));
  const tx = await sender.reserve();
  const samples: number[] = [];
  try {
    for (let i = 0; i < WARMUP + MESSAGES; i++) {
      const arrived = new Promise<number>((resolve) => waiters.set(i, resolve));
      await tx`begin`;
      if (withRow) await tx`insert into realtime.messages (topic, extension, event, payload) values ('bench-baseline', 'presence', 'x', '{}')`;
      await tx`select pg_notify('bench_baseline', ${String(i)})`;
      const committing = performance.now();
      await tx`commit`;
      const at = await arrived;
      waiters.delete(i);
      if (i >= WARMUP) samples.push(at - committing);
    }
  } finally {
    tx.release();
    await sender.end();
    await listener.end();
  }
  return samples;
}

/** A second Realtime service on the same database with the other delivery path, behind its own gateway. */
async function startSideRealtime(stack: Stack, keys: KeyRing, delivery: DeliveryMode): Promise<{ url: string; stop(): Promise<void> }> {
  const realtime: RealtimeService = await createRealtimeService({ config: stack.config, dbUrl: serviceDbUrls(stack.dbUrl).realtime, keys, settings: { delivery } });
  const port = await freePort();
  const gateway: Server = createGateway({ ...stack.config, apiPort: port }, keys, { realtime, functions: [] });
  await new Promise<void>((resolve) => gateway.listen(port, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      // WebSockets count as the gateway's connections until Realtime closes them.
      await realtime.close();
      gateway.closeAllConnections();
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
    },
  };
}

export async function bench(): Promise<void> {
  console.log(`Realtime: ${SUBSCRIBERS} supabase-js subscribers on one private brand_dna:<id>:<epoch> topic, ${MESSAGES} committed updates per path`);
  console.log(`statement: ${STATEMENT.label}`);
  const stack = await startStack({ ephemeral: true, functions: false });
  const stackMode = resolveSettings().delivery;
  const otherMode: DeliveryMode = stackMode === 'notify' ? 'replication' : 'notify';
  let side: { url: string; stop(): Promise<void> } | undefined;
  const subscriberSets: Subscribers[] = [];
  try {
    const keys = await createKeyRing(stack.config);
    const { users, topics } = await prepareDatabase(stack.dbUrl, 2);
    const tokens = await Promise.all(users.map((user) => keys.signAccessToken(sessionClaims(user, `${stack.url}/auth/v1`))));
    side = await startSideRealtime(stack, keys, otherMode);

    const paths = [
      // One topic per path, so that each commit is delivered by one path only.
      { result: emptyResult(stackMode), subscribers: await subscribe(stack.url, stack.config.publishableKey, tokens, topics[0]!) },
      { result: emptyResult(otherMode), subscribers: await subscribe(side.url, stack.config.publishableKey, tokens, topics[1]!) },
    ];
    subscriberSets.push(...paths.map((path) => path.subscribers));
    // Alternate the paths in rounds so that disk-flush noise (COMMIT waits for fsync) hits both alike.
    const rounds = 4;
    let seq = 0;
    for (let round = 0; round < rounds; round++) {
      for (const path of paths) {
        await measureRound(path.result, path.subscribers, stack.dbUrl, seq, MESSAGES / rounds);
        seq += 1000;
      }
    }
    const bare = summarize(await measureNotifyBaseline(stack.dbUrl, false));
    const flushed = summarize(await measureNotifyBaseline(stack.dbUrl, true));

    console.log(`baseline: pg_notify → LISTEN (postgres.js), commit to callback      ${format(bare)}`);
    console.log(`baseline: same, in a transaction writing a realtime.messages row    ${format(flushed)}`);
    for (const { result: r } of paths) {
      const perClient = summarize(r.perClient);
      console.log(`delivery ${r.mode}${r.mode === stackMode ? ' (stack default)' : ''}:`);
      console.log(`  commit → each client        ${format(perClient)}`);
      console.log(`  commit → last client        ${format(summarize(r.lastClient))}`);
      console.log(`  COMMIT acknowledged → client ${format(summarize(r.afterAck))}`);
      console.log(`  COMMIT round trip            ${format(summarize(r.commit))}`);
      console.log(
        `  ratio to the flushed baseline p50 ×${(perClient.p50 / flushed.p50).toFixed(2)}  p95 ×${(perClient.p95 / flushed.p95).toFixed(2)}` +
          `; to bare NOTIFY p50 ×${(perClient.p50 / bare.p50).toFixed(1)}`,
      );
      if (r.lost > 0) console.log(`  not received within 2 s: ${r.lost}`);
    }
  } finally {
    for (const subscribers of subscriberSets) await subscribers.close();
    await side?.stop();
    await stack.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
