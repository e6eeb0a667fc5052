// Rate limiting kept in Postgres (private.take_rate_limit), so that it holds across isolates. It
// runs on the function's own connection before any role switch, in its own statement, so that
// requests which fail later still count.
import type { Caller } from './auth.ts';
import type { RateLimits } from './config.ts';
import type { Sql } from './db.ts';

export type RateClass = 'read' | 'write' | 'auth';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** Who a bucket belongs to: the user, else the client address. */
export function rateSubject(caller: Caller | null, clientIp: string): string {
  if (caller?.userId) return `user:${caller.userId}`;
  if (caller?.role === 'service_role') return 'service';
  return `ip:${clientIp}`;
}

export function rateClass(method: string, path: string): RateClass {
  if (/\/v1\/auth(\/|$)/.test(path)) return 'auth';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

export async function takeRateLimit(sql: Sql, limits: RateLimits, subject: string, klass: RateClass): Promise<RateDecision> {
  const limit = limits[klass];
  // Losing a few counts in a crash is harmless: do not wait for the WAL flush (the bucket row is
  // locked until commit, and every request of one user goes through it).
  const [row] = await sql<{ allowed: boolean; remaining: number; reset_seconds: number }[]>`
    select set_config('synchronous_commit', 'off', true), allowed, remaining, reset_seconds
    from private.take_rate_limit(${`${subject}:${klass}`}, ${limit}, ${limits.windowSeconds})`;
  return { allowed: row!.allowed, limit, remaining: row!.remaining, resetSeconds: row!.reset_seconds };
}

export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
  };
}

/** The client address: the first X-Forwarded-For entry (the gateway sets it), else the socket's. */
export function clientAddress(forwardedFor: string | null | undefined, socketAddress: string | undefined): string {
  const first = forwardedFor?.split(',')[0]?.trim() ?? '';
  if (first && first.length <= 64 && /^[0-9a-fA-F:.]+$/.test(first)) return first;
  return socketAddress && socketAddress.length <= 64 ? socketAddress : 'unknown';
}
