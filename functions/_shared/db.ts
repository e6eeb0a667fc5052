// Database access for functions: postgres.js from SUPABASE_DB_URL with a small pool per isolate and
// `prepare: false` (so it also works behind Supavisor's transaction mode). Every request runs in one
// transaction that first takes the caller's role and claims, exactly as PostgREST does, so that RLS
// decides what the caller may see and change.
import net from 'node:net';
import postgres from 'postgres';
import type { Caller, DatabaseRole } from './auth.ts';

export type Sql = postgres.Sql;
/** The connection a request's transaction runs on. */
export type Tx = postgres.Sql;

/** The function's database connections: `run` lends one to `work` and takes it back. */
export interface Pool {
  run<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Closes the connections (an isolate's never need it; an app made in a test process does). */
  end(): Promise<void>;
}

export interface PoolOptions {
  url: string;
  size: number;
  applicationName: string;
}

const CONNECT_TIMEOUT_S = 10;

/**
 * `size` connections, each one a postgres.js client of its own that opens exactly one socket in its
 * life, lent to one request at a time. When that socket closes (idle, terminated, Postgres gone),
 * the client is ended and the next request gets a new one. Why not postgres.js's `reserve()`: a
 * reserved connection whose socket closed keeps taking queries, and writes them to a socket that no
 * longer exists (an uncaught TypeError that kills the process), or, once the pool has reconnected
 * it, runs the rest of a transaction on a fresh session as `postgres`. Here a query sent after the
 * close can only fail (CONNECTION_CLOSED / CONNECTION_ENDED: a 503), never reach another session.
 */
export function createPool({ url, size, applicationName }: PoolOptions): Pool {
  const clients: (Sql | null)[] = Array.from({ length: size }, () => null);
  const idle = [...clients.keys()];
  const waiting: ((slot: number) => void)[] = [];

  function clientOf(slot: number): Sql {
    const existing = clients[slot];
    if (existing) return existing;
    const retire = () => {
      if (clients[slot] !== client) return;
      clients[slot] = null;
      void client.end({ timeout: 0 });
    };
    const client: Sql = postgres(url, {
      max: 1,
      prepare: false,
      idle_timeout: 30,
      connect_timeout: CONNECT_TIMEOUT_S,
      max_lifetime: 60 * 30,
      onnotice: () => {},
      onclose: retire,
      connection: { application_name: applicationName },
      socket: oneSocket(retire),
    } as postgres.Options<Record<string, never>>);
    clients[slot] = client;
    return client;
  }

  return {
    async run(work) {
      const slot = idle.pop() ?? (await new Promise<number>((resolve) => waiting.push(resolve)));
      try {
        return await work(clientOf(slot));
      } finally {
        const next = waiting.shift();
        if (next) next(slot);
        else idle.push(slot);
      }
    },
    async end() {
      await Promise.all(clients.map((client) => client?.end({ timeout: 1 })));
    },
  };
}

/**
 * postgres.js's `socket` option: the first call connects; any later one (postgres.js reconnecting
 * for a query that was waiting when the connection closed) fails, so no query ever reaches a second
 * session. A failed connect retires the client too (postgres.js does not call onclose then). TCP
 * only: SUPABASE_DB_URL is a host and port.
 */
function oneSocket(retire: () => void) {
  let used = false;
  return ({ host, port }: { host: string[]; port: number[] }) =>
    new Promise<net.Socket>((resolve, reject) => {
      if (used) {
        retire();
        return reject(Object.assign(new Error('The database connection closed.'), { code: 'CONNECTION_CLOSED' }));
      }
      used = true;
      // `host` is what postgres.js reads for TLS's server name.
      const socket = Object.assign(net.connect({ host: host[0], port: port[0]! }), { host: host[0] });
      const fail = (err: Error) => {
        clearTimeout(timer);
        retire();
        reject(err);
      };
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error('Connecting to the database timed out.'), { code: 'CONNECT_TIMEOUT' })), CONNECT_TIMEOUT_S * 1000);
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        resolve(socket);
      });
    });
}

export interface RequestInfo {
  method: string;
  path: string;
  /** Per-statement limit of each role, milliseconds (anon's is the shortest). */
  statementTimeouts: Record<DatabaseRole, number>;
}

const ROLE_NAMES: Record<DatabaseRole, string> = { anon: 'anon', authenticated: 'authenticated', service_role: 'service_role' };

/**
 * The statement that makes the transaction the caller's: role, `request.jwt.claims`,
 * `request.jwt.claim.sub` and `.role`, `request.method`/`.path` (as PostgREST sets them) and the
 * role's statement timeout. A token with a session first has its session checked (SQLSTATE TKA01
 * when it has ended): the function in FROM runs before the role changes. Everything the client
 * sent travels as a parameter, never in the text, so that Postgres does not write claims (e-mail,
 * session id, metadata) into its log when the statement fails; the role is one of three names.
 */
export function callerSetup(caller: Caller, request: RequestInfo): { text: string; values: string[] } {
  const role = ROLE_NAMES[caller.role];
  if (!role) throw new Error(`unexpected role ${String(caller.role)}`);
  const timeout = Math.max(1, Math.floor(request.statementTimeouts[caller.role]));
  const values = [JSON.stringify(caller.claims), caller.userId ?? '', request.method, request.path, String(timeout)];
  let text = `select set_config('role', '${role}', true), set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true), set_config('request.jwt.claim.role', '${role}', true), set_config('request.method', $3, true), set_config('request.path', $4, true), set_config('statement_timeout', $5, true)`;
  if (caller.sessionId && caller.userId) {
    text += ' from private.require_live_session($6, $7)';
    values.push(caller.sessionId, caller.userId);
  }
  return { text, values };
}

/**
 * A statement whose parameters all travel as text, typed by the server from where they are used.
 * With `prepare: false`, postgres.js first asks the server for the types of a statement's
 * parameters (Parse/Describe, then Bind/Execute once the answer is back): a round trip of its own
 * that also holds back every query pipelined behind it. Handed over as the query's parameter list,
 * text values need no such question, and the statement goes out at once with its neighbours.
 */
export function textStatement<R extends postgres.MaybeRow[] = postgres.Row[]>(tx: Tx, text: string, values: (string | null)[]): postgres.PendingQuery<R> {
  const query = tx.unsafe<R>(text, [], { simple: false } as postgres.UnsafeQueryOptions);
  (query as unknown as { parameters: (string | null)[] }).parameters = values;
  return query;
}

/**
 * `textStatement` as a tagged template: `textSql(tx)\`select … where id = ${id}\`` takes text values
 * only, so that the statement can be pipelined with the caller's set-up and the commit.
 */
export function textSql(tx: Tx) {
  return <R extends postgres.MaybeRow[] = postgres.Row[]>(strings: TemplateStringsArray, ...values: (string | null)[]) =>
    textStatement<R>(tx, strings.reduce((text, part, i) => `${text}$${i}${part}`), values);
}

/**
 * Column values as text parameters of a `textStatement`: `"name" = $2, "density" = $3` and the
 * values (numbers and booleans as their text, which the server reads by the column's type). The
 * column names are the API's own, never a client's.
 */
export function textAssignments(columns: Record<string, string | number | boolean | null>, firstParameter: number): { text: string; values: (string | null)[] } {
  const entries = Object.entries(columns);
  return {
    text: entries.map(([column], i) => `"${column.replace(/"/g, '""')}" = $${firstParameter + i}`).join(', '),
    values: entries.map(([, value]) => (value === null ? null : String(value))),
  };
}

/** `begin` and the caller's set-up, sent without waiting for anything. */
function beginAsCaller(tx: Tx, caller: Caller, request: RequestInfo): Promise<unknown> {
  const { text, values } = callerSetup(caller, request);
  tx.unsafe('begin').execute().catch(() => {});
  return textStatement(tx, text, values).execute();
}

/**
 * Runs `work` in one transaction as the caller, on a connection of its own. `begin` and the caller's
 * set-up are pipelined with the first query of `work`; should the set-up fail, the transaction is
 * aborted, no query of `work` runs, and the set-up's error is the one reported.
 */
export function asCaller<T>(pool: Pool, caller: Caller, request: RequestInfo, work: (tx: Tx) => Promise<T>): Promise<T> {
  return pool.run(async (tx) => {
    const setup = beginAsCaller(tx, caller, request);
    // Its failure surfaces through the queries of `work` (25P02) or below.
    setup.catch(() => {});
    let result: T;
    try {
      result = await work(tx);
      await setup;
    } catch (err) {
      await tx.unsafe('rollback').catch(() => {});
      // The set-up's own error, when it failed, is what the caller needs to hear.
      throw await setup.then(() => err, (setupErr: unknown) => setupErr);
    }
    await tx.unsafe('commit');
    return result;
  });
}

/**
 * Runs one statement as the caller in its own transaction: `begin` with the caller's set-up, the
 * statement and `commit` are pipelined, in a single round trip when the statement's parameters are
 * text (`textSql`). If the statement fails, the commit only ends the aborted transaction.
 */
export type OneStatement<R extends readonly postgres.MaybeRow[]> = (tx: Tx) => postgres.PendingQuery<R>;

export function asCallerOnce<R extends readonly postgres.MaybeRow[]>(
  pool: Pool,
  caller: Caller,
  request: RequestInfo,
  statement: OneStatement<R>,
): Promise<postgres.RowList<R>> {
  return pool.run(async (tx) => {
    const setup = beginAsCaller(tx, caller, request);
    const query = statement(tx).execute();
    const commit = tx.unsafe('commit').execute();
    const [setupResult, queryResult, commitResult] = await Promise.allSettled([setup, query, commit]);
    for (const result of [setupResult, queryResult, commitResult]) if (result.status === 'rejected') throw result.reason;
    return (queryResult as PromiseFulfilledResult<postgres.RowList<R>>).value;
  });
}
