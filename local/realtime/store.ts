// Rows the service itself writes to realtime.messages: persisted broadcasts (`persist` over the
// socket or REST). They reach subscribers through the database delivery path like realtime.send's,
// so they carry `meta.id` and are delivered only once committed.
import type postgres from 'postgres';

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
   * what a join with `broadcast.replay` gets before live messages (reference B.8).
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

  /** Creates the partitions for yesterday..today+3 and drops those older than 72 hours (B.8). */
  async maintainPartitions(): Promise<void> {
    await this.sql`select realtime.ensure_message_partitions()`;
    const old = await this.sql<{ name: string }[]>`
      select c.relname as name
      from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent
      join pg_namespace n on n.oid = p.relnamespace
      where n.nspname = 'realtime' and p.relname = 'messages'
        and c.relname ~ '^messages_[0-9]{4}_[0-9]{2}_[0-9]{2}$'
        and to_date(substr(c.relname, 10), 'YYYY_MM_DD') < current_date - 3`;
    for (const { name } of old) await this.sql.unsafe(`drop table if exists realtime."${name.replace(/"/g, '')}"`);
  }
}
