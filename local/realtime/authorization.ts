// Private-channel authorization exactly as Realtime does it (docs/PLATFORM.md, "Channel
// authorization"): RLS policies on realtime.messages decide. Read: insert probe rows as superuser,
// then SELECT them back under the caller's role and claims. Write: INSERT under the caller's role
// inside a savepoint. Both roll back. Beyond the real server, a user token whose Auth session has
// ended opens nothing private.
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { NIL_UUID } from '../auth/context.ts';
import { Errors } from '../auth/errors.ts';
import { isUuid } from '../auth/validate.ts';
import type { Claims } from '../jwt.ts';

export type Extension = 'broadcast' | 'presence';

export interface AuthContext {
  /** The sub-topic (`room:1`), what `realtime.topic()` returns. */
  topic: string;
  role: string;
  claims: Claims;
  /** Handshake headers, visible to policies as `request.headers`. */
  headers: Record<string, string>;
}

export type Access = Record<Extension, boolean>;

/** Why a check could not be answered (as opposed to answered "no"). */
export class PolicyError extends Error {
  constructor(
    readonly kind: 'rls' | 'partition' | 'database',
    message: string,
  ) {
    super(message);
  }
}

type Sql = postgres.Sql;
type Tx = postgres.ReservedSql;

const INSUFFICIENT_PRIVILEGE = '42501';

/** Why a token with a good signature and exp is refused when its session is gone (Auth's wording). */
export const SESSION_ENDED = Errors.sessionFromClaimMissing().message;

function classify(err: unknown): PolicyError {
  const error = err as { code?: string; message?: string };
  const message = error.message ?? String(err);
  if (error.code === '23514' && /no partition/i.test(message)) return new PolicyError('partition', 'MissingPartition');
  // A SQLSTATE means Postgres answered: a bad role claim or a policy that fails to evaluate.
  if (typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) && !/^(08|57|53)/.test(error.code)) {
    return new PolicyError('rls', message);
  }
  return new PolicyError('database', message);
}

async function setClaims(tx: Tx, ctx: AuthContext): Promise<void> {
  const sub = typeof ctx.claims.sub === 'string' ? ctx.claims.sub : '';
  await tx`
    select set_config('role', ${ctx.role}, true),
           set_config('realtime.topic', ${ctx.topic}, true),
           set_config('request.jwt.claims', ${JSON.stringify(ctx.claims)}, true),
           set_config('request.jwt.claim.sub', ${sub}, true),
           set_config('request.jwt.claim.role', ${ctx.role}, true),
           set_config('request.headers', ${JSON.stringify(ctx.headers)}, true)`;
}

export class Authorizer {
  constructor(private readonly sql: Sql) {}

  /**
   * Whether the Auth session the token names (`session_id`) still exists and has not timed out;
   * Auth deletes it at sign-out, on refresh-token reuse and with the user. Tokens that name no
   * session (API keys, service tokens) have none to lose.
   */
  async sessionActive(claims: Claims): Promise<boolean> {
    const id = claims.session_id;
    if (id === undefined || id === null || id === '' || id === NIL_UUID) return true;
    if (!isUuid(id)) return false;
    try {
      const [row] = await this.sql<{ active: boolean }[]>`
        select exists (select 1 from auth.sessions where id = ${id} and (not_after is null or not_after > now())) as active`;
      return row?.active === true;
    } catch (err) {
      throw classify(err);
    }
  }

  /** One transaction, always rolled back: nothing a check writes is ever seen. */
  private async inRollback<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    let tx: Tx;
    try {
      tx = await this.sql.reserve();
    } catch (err) {
      throw classify(err);
    }
    try {
      await tx`begin`;
      return await run(tx);
    } catch (err) {
      throw err instanceof PolicyError ? err : classify(err);
    } finally {
      await tx`rollback`.catch(() => {});
      tx.release();
    }
  }

  async read(ctx: AuthContext, extensions: Extension[]): Promise<Access> {
    return this.inRollback(async (tx) => {
      const probes = extensions.map((extension) => ({ id: randomUUID(), topic: ctx.topic, extension }));
      await tx`insert into realtime.messages ${tx(probes, 'id', 'topic', 'extension')}`;
      await setClaims(tx, ctx);
      const ids = probes.map((probe) => probe.id);
      let visible: Set<string>;
      try {
        const rows = await tx<{ id: string }[]>`select id from realtime.messages where id in ${tx(ids)}`;
        visible = new Set(rows.map((row) => row.id));
      } catch (err) {
        // No SELECT grant at all reads the same as no policy.
        if ((err as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw err;
        visible = new Set();
      }
      const access: Access = { broadcast: false, presence: false };
      for (const probe of probes) access[probe.extension] = visible.has(probe.id);
      return access;
    });
  }

  async write(ctx: AuthContext, extensions: Extension[]): Promise<Access> {
    return this.inRollback(async (tx) => {
      await setClaims(tx, ctx);
      const access: Access = { broadcast: false, presence: false };
      for (const extension of extensions) {
        await tx`savepoint write_check`;
        try {
          await tx`insert into realtime.messages (topic, extension) values (${ctx.topic}, ${extension})`;
          access[extension] = true;
        } catch (err) {
          if ((err as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw err;
        }
        await tx`rollback to savepoint write_check`;
      }
      return access;
    });
  }
}
