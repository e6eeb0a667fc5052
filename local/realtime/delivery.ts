// Broadcast from the database (docs/PLATFORM.md, "Broadcast from the database"): rows inserted into
// realtime.messages reach the subscribers of their topic only once committed, with `meta.id` = row
// id, in the private or public namespace per the row's `private` flag. Two interchangeable ways to
// learn about committed rows:
//
// - `notify`: an AFTER INSERT trigger calls pg_notify, which Postgres delivers at COMMIT (never for a
//   rolled-back transaction). NOTIFY payloads stop at 8000 bytes, so big rows are announced by id
//   and read back.
// - `replication`: what the real server does: a publication on realtime.messages and a temporary
//   logical slot (pgoutput) streaming INSERTs, which only ever contain committed rows.
//
// bench/realtime.ts measures both; the faster one is the default (settings.ts).
import postgres from 'postgres';
import type { DeliveryMode } from './settings.ts';

export interface DbMessage {
  id: string;
  topic: string;
  event: string;
  private: boolean;
  /** JSON text of `payload`, or the bytes of `binary_payload`. */
  json?: string;
  bytes?: Buffer;
}

export interface DeliverySource {
  readonly mode: DeliveryMode;
  start(): Promise<void>;
  close(): Promise<void>;
}

export const NOTIFY_CHANNEL = 'realtime_local_broadcast';
const PUBLICATION = 'supabase_realtime_messages_publication';
/** Leaves room under Postgres' 8000-byte NOTIFY limit. */
const INLINE_LIMIT = 7900;

// Installed by the service at start, idempotently; an advisory lock keeps two services (tests,
// benchmark) from racing on the same catalog rows.
const INSTALL_NOTIFY = `
select pg_advisory_xact_lock(hashtext('realtime-local-delivery'));

create or replace function realtime.local_broadcast_notify() returns trigger
language plpgsql
as $$
declare
  body text;
begin
  body := json_build_object(
    'id', new.id, 'topic', new.topic, 'event', new.event, 'private', coalesce(new.private, false),
    'payload', new.payload,
    'binary', case when new.binary_payload is null then null else encode(new.binary_payload, 'base64') end)::text;
  if octet_length(body) > ${INLINE_LIMIT} then
    body := json_build_object('id', new.id, 'fetch', true)::text;
  end if;
  perform pg_notify('${NOTIFY_CHANNEL}', body);
  return null;
end
$$;
comment on function realtime.local_broadcast_notify() is
  'Local Realtime stand-in: announces committed broadcast rows of realtime.messages to the service (NOTIFY is sent at COMMIT).';

do $$
begin
  if not exists (select 1 from pg_trigger
                 where tgname = 'local_broadcast_notify' and tgrelid = 'realtime.messages'::regclass) then
    create trigger local_broadcast_notify
      after insert on realtime.messages
      for each row when (new.extension = 'broadcast')
      execute function realtime.local_broadcast_notify();
  end if;
end
$$;
`;

const INSTALL_PUBLICATION = `
select pg_advisory_xact_lock(hashtext('realtime-local-delivery'));
do $$
begin
  if not exists (select 1 from pg_publication where pubname = '${PUBLICATION}') then
    create publication ${PUBLICATION} for table realtime.messages
      with (publish = 'insert', publish_via_partition_root = true);
  end if;
end
$$;
`;

interface NotifyBody {
  id: string;
  topic?: string;
  event?: string | null;
  private?: boolean;
  payload?: unknown;
  binary?: string | null;
  fetch?: boolean;
}

function fromRow(row: { id: string; topic: string; event: string | null; private: boolean | null; payload: unknown; binary_payload: Buffer | null }): DbMessage {
  return {
    id: row.id,
    topic: row.topic,
    event: row.event ?? '',
    private: row.private === true,
    ...(row.binary_payload ? { bytes: Buffer.from(row.binary_payload) } : { json: JSON.stringify(row.payload ?? {}) }),
  };
}

class NotifySource implements DeliverySource {
  readonly mode = 'notify' as const;
  private chain: Promise<void> = Promise.resolve();
  private listener: { unlisten(): Promise<void> } | undefined;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly onMessage: (message: DbMessage) => void,
    private readonly warn: (message: string, err?: unknown) => void,
  ) {}

  async start(): Promise<void> {
    await this.sql.begin((tx) => tx.unsafe(INSTALL_NOTIFY).simple());
    this.listener = await this.sql.listen(NOTIFY_CHANNEL, (text) => this.received(text));
  }

  private received(text: string): void {
    let body: NotifyBody;
    try {
      body = JSON.parse(text) as NotifyBody;
    } catch {
      return;
    }
    if (!body.fetch) {
      // The common case stays synchronous: no read-back, no reordering.
      const message: DbMessage = {
        id: body.id,
        topic: body.topic ?? '',
        event: body.event ?? '',
        private: body.private === true,
        ...(typeof body.binary === 'string' ? { bytes: Buffer.from(body.binary, 'base64') } : { json: JSON.stringify(body.payload ?? {}) }),
      };
      this.chain = this.chain.then(() => this.onMessage(message));
      return;
    }
    // Large rows: read back by id (the primary key's first column, so every partition has an index
    // for it), still in commit order.
    const row = this.sql<{ id: string; topic: string; event: string | null; private: boolean | null; payload: unknown; binary_payload: Buffer | null }[]>`
      select id, topic, event, private, payload, binary_payload from realtime.messages where id = ${body.id}`;
    this.chain = this.chain.then(async () => {
      try {
        const [found] = await row;
        if (found) this.onMessage(fromRow(found));
      } catch (err) {
        this.warn('reading a broadcast row back', err);
      }
    });
  }

  async close(): Promise<void> {
    await this.listener?.unlisten().catch(() => {});
    await this.chain;
  }
}

class ReplicationSource implements DeliverySource {
  readonly mode = 'replication' as const;
  private readonly replication: postgres.Sql;

  constructor(
    private readonly sql: postgres.Sql,
    dbUrl: string,
    private readonly onMessage: (message: DbMessage) => void,
  ) {
    this.replication = postgres(dbUrl, {
      publications: PUBLICATION,
      onnotice: () => {},
      connection: { application_name: 'realtime-local-replication' },
    });
  }

  async start(): Promise<void> {
    await this.sql.begin((tx) => tx.unsafe(INSTALL_PUBLICATION).simple());
    await this.replication.subscribe('insert:realtime.messages', (row) => {
      const r = row as unknown as { id: string; topic: string; event: string | null; private: boolean | null; payload: unknown; binary_payload: Buffer | null; extension: string };
      if (r.extension === 'broadcast') this.onMessage(fromRow(r));
    });
  }

  async close(): Promise<void> {
    // Ending the replication connection drops the temporary slot with it.
    await this.replication.end({ timeout: 1 }).catch(() => {});
  }
}

export function createDeliverySource(
  mode: DeliveryMode,
  options: { sql: postgres.Sql; dbUrl: string; onMessage: (message: DbMessage) => void; warn: (message: string, err?: unknown) => void },
): DeliverySource {
  return mode === 'replication'
    ? new ReplicationSource(options.sql, options.dbUrl, options.onMessage)
    : new NotifySource(options.sql, options.onMessage, options.warn);
}
