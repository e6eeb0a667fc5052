// Database access for functions: postgres.js from SUPABASE_DB_URL with a small pool per isolate and
// `prepare: false` (so it also works behind Supavisor's transaction mode). Every request runs in one
// transaction that first takes the caller's role and claims, exactly as PostgREST does, so that RLS
// decides what the caller may see and change.
import postgres from 'postgres';
import type { Caller } from './auth.ts';

export type Sql = postgres.Sql;
/** The connection a request's transaction runs on. */
export type Tx = postgres.Sql;

export function createPool(url: string, max: number, applicationName = 'tekton-api'): Sql {
  return postgres(url, {
    max,
    prepare: false,
    idle_timeout: 30,
    connect_timeout: 10,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
}

export interface RequestInfo {
  method: string;
  path: string;
  statementTimeoutMs: number;
}

/** A dollar-quoted SQL literal of `text`, with a tag that does not occur in it. */
export function dollarQuoted(text: string): string {
  let tag = '$q$';
  for (let n = 0; text.includes(tag); n++) tag = `$q${n}$`;
  return `${tag}${text}${tag}`;
}

/**
 * The statement that makes the transaction the caller's: role, `request.jwt.claims`,
 * `request.jwt.claim.sub` and `.role`, `request.method`/`.path` (as PostgREST sets them) and a
 * statement timeout. Values are inlined as literals so that `begin` and this statement travel as
 * one simple-protocol message; the role is one of three names and the rest is dollar-quoted.
 */
export function callerSetup(caller: Caller, request: RequestInfo): string {
  const role = { anon: 'anon', authenticated: 'authenticated', service_role: 'service_role' }[caller.role];
  if (!role) throw new Error(`unexpected role ${String(caller.role)}`);
  const timeout = Math.max(1, Math.floor(request.statementTimeoutMs));
  return `select set_config('role', '${role}', true), set_config('request.jwt.claims', ${dollarQuoted(JSON.stringify(caller.claims))}, true), set_config('request.jwt.claim.sub', ${dollarQuoted(caller.userId ?? '')}, true), set_config('request.jwt.claim.role', '${role}', true), set_config('request.method', ${dollarQuoted(request.method)}, true), set_config('request.path', ${dollarQuoted(request.path)}, true), set_config('statement_timeout', '${timeout}', true)`;
}

/**
 * Runs `work` in one transaction as the caller. `begin` and the caller's set-up go out as one
 * message, pipelined with the first query of `work` (one round trip); should the set-up fail, the
 * transaction is aborted and no query of `work` runs.
 */
export async function asCaller<T>(sql: Sql, caller: Caller, request: RequestInfo, work: (tx: Tx) => Promise<T>): Promise<T> {
  const tx = await sql.reserve();
  try {
    const setup = tx.unsafe(`begin; ${callerSetup(caller, request)}`).execute();
    // Its failure surfaces through the queries of `work` (25P02) or below.
    setup.catch(() => {});
    let result: T;
    try {
      result = await work(tx);
      await setup;
    } catch (err) {
      await tx.unsafe('rollback').catch(() => {});
      throw err;
    }
    await tx.unsafe('commit');
    return result;
  } finally {
    tx.release();
  }
}

/**
 * Runs one statement as the caller in its own transaction: `begin` with the caller's set-up, the
 * statement and `commit` all go out together (one round trip). If the statement fails, the commit
 * only ends the aborted transaction.
 */
export type OneStatement<R extends readonly postgres.MaybeRow[]> = (tx: Tx) => postgres.PendingQuery<R>;

export async function asCallerOnce<R extends readonly postgres.MaybeRow[]>(
  sql: Sql,
  caller: Caller,
  request: RequestInfo,
  statement: OneStatement<R>,
): Promise<postgres.RowList<R>> {
  const tx = await sql.reserve();
  try {
    const setup = tx.unsafe(`begin; ${callerSetup(caller, request)}`).execute();
    const query = statement(tx).execute();
    const commit = tx.unsafe('commit').execute();
    const [setupResult, queryResult, commitResult] = await Promise.allSettled([setup, query, commit]);
    for (const result of [setupResult, queryResult, commitResult]) if (result.status === 'rejected') throw result.reason;
    return (queryResult as PromiseFulfilledResult<postgres.RowList<R>>).value;
  } finally {
    tx.release();
  }
}
