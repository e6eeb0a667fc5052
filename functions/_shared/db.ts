// Database access for functions: postgres.js from SUPABASE_DB_URL with a small pool per isolate and
// `prepare: false` (so it also works behind Supavisor's transaction mode). Every request runs in one
// transaction that first takes the caller's role and claims, exactly as PostgREST does, so that RLS
// decides what the caller may see and change.
import postgres from 'postgres';
import type { Caller } from './auth.ts';

export type Sql = postgres.Sql;
/** The connection a request's transaction runs on. */
export type Tx = postgres.Sql;

export function createPool(url: string, max: number): Sql {
  return postgres(url, {
    max,
    prepare: false,
    idle_timeout: 30,
    connect_timeout: 10,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    connection: { application_name: 'tekton-api' },
  });
}

export interface RequestInfo {
  method: string;
  path: string;
  statementTimeoutMs: number;
}

/**
 * Runs `work` in one transaction as the caller: role, `request.jwt.claims`, `request.jwt.claim.sub`
 * and `.role`, `request.method`/`.path` and a statement timeout are set first, exactly as PostgREST
 * does. `begin`, that statement and the first query of `work` are pipelined on one connection (one
 * round trip); if the set-up failed, the transaction is aborted and nothing of `work` runs.
 */
export async function asCaller<T>(sql: Sql, caller: Caller, request: RequestInfo, work: (tx: Tx) => Promise<T>): Promise<T> {
  const tx = await sql.reserve();
  try {
    const begin = tx`begin`.execute();
    const setup = tx`select
      set_config('role', ${caller.role}, true),
      set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true),
      set_config('request.jwt.claim.sub', ${caller.userId ?? ''}, true),
      set_config('request.jwt.claim.role', ${caller.role}, true),
      set_config('request.method', ${request.method}, true),
      set_config('request.path', ${request.path}, true),
      set_config('statement_timeout', ${String(request.statementTimeoutMs)}, true)`.execute();
    // Failures of these two surface through the queries of `work` (25P02) or below.
    begin.catch(() => {});
    setup.catch(() => {});
    let result: T;
    try {
      result = await work(tx);
      await begin;
      await setup;
    } catch (err) {
      await tx`rollback`.catch(() => {});
      throw err;
    }
    await tx`commit`;
    return result;
  } finally {
    tx.release();
  }
}
