// Rate limiting kept in Postgres (private.rate_limit_buckets), so that it holds across isolates.
// An isolate takes a lease of several requests at once (private.take_rate_limit) and spends
// it from memory, so that most requests cost no database round trip; small limits get leases of
// one, which is exact. The lease runs on the function's own connection before any role switch, in
// its own statement, so that requests which fail later still count.
import type { Caller } from './auth.ts';
import type { RateLimits } from './config.ts';
import type { Pool } from './db.ts';

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

/** Requests leased at once: a tenth of the limit, at most 50; 1 (exact) for limits below 20. */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(50, Math.floor(limit / 10)));
}

interface Lease {
  /** Requests this isolate may still spend in the window. */
  tokens: number;
  /** What the database had left after granting them. */
  remainingInDb: number;
  /** When the window ends (ms). */
  endsAt: number;
  /** The database granted nothing: limited until the window ends (ms), no need to ask again. */
  limitedUntil: number;
  /** A lease being taken right now (concurrent requests wait for it instead of taking their own). */
  pending?: Promise<void>;
}

const MAX_BUCKETS = 10_000;

export interface RateLimiter {
  take(subject: string, klass: RateClass): Promise<RateDecision>;
}

function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil((ms - Date.now()) / 1000));
}

export function createRateLimiter(pool: Pool, limits: RateLimits): RateLimiter {
  const leases = new Map<string, Lease>();

  async function refill(key: string, lease: Lease, limit: number): Promise<void> {
    // Losing a few counts in a crash is harmless: do not wait for the WAL flush.
    const [row] = await pool.run((sql) => sql<{ granted: number; remaining: number; reset_seconds: number }[]>`
      select set_config('synchronous_commit', 'off', true), granted, remaining, reset_seconds
      from private.take_rate_limit(${key}, ${limit}, ${limits.windowSeconds}, ${leaseSize(limit)})`);
    lease.tokens = row!.granted;
    lease.remainingInDb = row!.remaining;
    lease.endsAt = Date.now() + row!.reset_seconds * 1000;
    lease.limitedUntil = row!.granted === 0 ? lease.endsAt : 0;
  }

  function leaseFor(key: string): Lease {
    let lease = leases.get(key);
    if (lease) return lease;
    if (leases.size >= MAX_BUCKETS) {
      const now = Date.now();
      for (const [k, l] of leases) if (l.endsAt <= now && !l.pending) leases.delete(k);
      if (leases.size >= MAX_BUCKETS) leases.delete(leases.keys().next().value as string);
    }
    lease = { tokens: 0, remainingInDb: 0, endsAt: 0, limitedUntil: 0 };
    leases.set(key, lease);
    return lease;
  }

  return {
    async take(subject, klass) {
      const limit = limits[klass];
      const key = `${subject}:${klass}`;
      const lease = leaseFor(key);
      for (let attempt = 0; attempt < 3; attempt++) {
        const now = Date.now();
        if (lease.tokens > 0 && now < lease.endsAt) {
          lease.tokens--;
          return { allowed: true, limit, remaining: lease.remainingInDb + lease.tokens, resetSeconds: secondsUntil(lease.endsAt) };
        }
        if (now < lease.limitedUntil) break;
        if (!lease.pending) {
          lease.pending = refill(key, lease, limit).finally(() => {
            lease.pending = undefined;
          });
        }
        await lease.pending;
      }
      return { allowed: false, limit, remaining: 0, resetSeconds: secondsUntil(lease.endsAt) };
    },
  };
}
