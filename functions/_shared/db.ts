// Database access for functions: postgres.js from SUPABASE_DB_URL with a small pool per isolate and
// `prepare: false` (so it also works behind Supavisor's transaction mode). Every request runs in one
// transaction that first takes the caller's role and claims, exactly as PostgREST does, so that RLS
// decides what the caller may see and change.
import postgres from 'postgres';
import type { Caller } from './auth.ts';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

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
 * and `.role`, `request.method`/`.path` and a statement timeout are set in one round trip first.
 */
export async function asCaller<T>(sql: Sql, caller: Caller, request: RequestInfo, work: (tx: Tx) => Promise<T>): Promise<T> {
  const result = await sql.begin(async (tx) => {
    await tx`select
      set_config('role', ${caller.role}, true),
      set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true),
      set_config('request.jwt.claim.sub', ${caller.userId ?? ''}, true),
      set_config('request.jwt.claim.role', ${caller.role}, true),
      set_config('request.method', ${request.method}, true),
      set_config('request.path', ${request.path}, true),
      set_config('statement_timeout', ${String(request.statementTimeoutMs)}, true)`;
    return await work(tx);
  });
  return result as T;
}
