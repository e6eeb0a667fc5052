// Rows the service itself writes to realtime.messages: persisted broadcasts (`persist` over the
// socket or REST). They reach subscribers through the database delivery path like realtime.send's,
// so they carry `meta.id` and are delivered only once committed.
import type postgres from 'postgres';
import { connect, serviceDbUrls } from '../db.ts';

export interface StoredMessage {
  topic: string;
  event: string;
  private: boolean;
  json?: string;
  bytes?: Buffer;
}

/** A stored broadcast read back for replay. */
export interface StoredBroadcast {
  id: string;
  event: string;
  json?: string;
  bytes?: Buffer;
}

export class MessageStore {
  constructor(private readonly sql: postgres.Sql) {}

  async insert(message: StoredMessage): Promise<string> {
    const payload = message.json === undefined ? null : (JSON.parse(message.json) as postgres.JSONValue);
    const [row] = await this.sql<{ id: string }[]>`
      insert into realtime.messages (topic, event, private, extension, payload, binary_payload)
      values (${message.topic}, ${message.event}, ${message.private}, 'broadcast',
              ${payload === null ? null : this.sql.json(payload)}, ${message.bytes ?? null})
      returning id`;
    return row!.id;
  }

  /**
   * Stored private broadcasts of a topic since `since` (ms epoch), the newest `limit`, oldest first:
   * what a join with `broadcast.replay` gets before live messages (docs/PLATFORM.md, "Broadcast from the database").
   */
  async replay(topic: string, since: number, limit: number): Promise<StoredBroadcast[]> {
    const rows = await this.sql<{ id: string; event: string | null; payload: unknown; binary_payload: Buffer | null }[]>`
      select id, event, payload, binary_payload from (
        select id, event, payload, binary_payload, inserted_at from realtime.messages
        where topic = ${topic} and extension = 'broadcast' and private is true
          and inserted_at >= to_timestamp(${since}::double precision / 1000)::timestamp
        order by inserted_at desc limit ${limit}
      ) newest order by inserted_at`;
    return rows.map((row) => ({
      id: row.id,
      event: row.event ?? '',
      ...(row.binary_payload ? { bytes: Buffer.from(row.binary_payload) } : { json: JSON.stringify(row.payload ?? {}) }),
    }));
  }

  /**
   * What the real server does at start and every hour, logged in as its admin role: one partition
   * of realtime.messages per UTC day from yesterday to three days ahead, owned by
   * supabase_realtime_admin, and partitions older than 72 hours dropped (docs/PLATFORM.md, "Broadcast
   * from the database").
   */
  async maintainPartitions(): Promise<void> {
    await maintainMessagePartitions(this.sql);
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** `messages_YYYY_MM_DD` and its range for the UTC day `offset` days from today. */
function partitionOfDay(offset: number): { name: string; from: string; to: string } {
  const day = (n: number) => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + n * DAY_MS).toISOString().slice(0, 10);
  return { name: `messages_${day(offset).replaceAll('-', '_')}`, from: day(offset), to: day(offset + 1) };
}

/** Needs a role that may create tables in the realtime schema (Realtime's supabase_admin). */
export async function maintainMessagePartitions(sql: postgres.Sql): Promise<void> {
  await sql.begin(async (tx) => {
    // Two services starting at once may race on the same day: the lock makes the check reliable.
    await tx`select pg_advisory_xact_lock(hashtext('realtime.messages partitions'))`;
    for (let offset = -1; offset <= 3; offset++) {
      const { name, from, to } = partitionOfDay(offset);
      await tx.unsafe(`create table if not exists realtime.${name} partition of realtime.messages for values from ('${from}') to ('${to}')`);
      await tx.unsafe(`alter table realtime.${name} owner to supabase_realtime_admin`);
    }
  });
  const old = await sql<{ name: string }[]>`
    select c.relname as name
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'realtime.messages'::regclass
      and c.relname ~ '^messages_[0-9]{4}_[0-9]{2}_[0-9]{2}$'
      and to_date(substr(c.relname, 10), 'YYYY_MM_DD') < ${partitionOfDay(-3).from}::date`;
  for (const { name } of old) await sql.unsafe(`drop table if exists realtime."${name.replace(/"/g, '')}"`);
}

/** What the Realtime service does when it starts, for tools that run without it (pgTAP, benchmarks). */
export async function maintainMessagePartitionsAsRealtime(dbUrl: string): Promise<void> {
  const sql = connect(serviceDbUrls(dbUrl).realtime);
  try {
    await maintainMessagePartitions(sql);
  } finally {
    await sql.end();
  }
}
