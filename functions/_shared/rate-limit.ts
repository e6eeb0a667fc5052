// Limits per caller. Rate limits are kept in Postgres (private.rate_limit_buckets), so that they
// hold across isolates: an isolate takes a lease of several requests at once
// (private.take_rate_limit) and spends it from memory, so that most requests cost no database round
// trip; small limits get leases of one, which is exact. The lease runs on the function's own
// connection before any role switch, in its own statement, so that requests which fail later still
// count. Sign-in attempts are also counted per target account, and the requests one caller has in
// flight are capped per isolate, so that nobody can hold the connection pool.
import type { Caller } from './auth.ts';
import type { RateLimits } from './config.ts';
import { textSql, type Pool } from './db.ts';

export type RateClass = 'read' | 'write' | 'auth';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Who a bucket belongs to: the user, else the client address. The auth routes always count by
 * address: whatever bearer token comes along (anybody's) must not open a fresh bucket.
 */
export function rateSubject(caller: Caller | null, clientIp: string, klass: RateClass): string {
  if (klass === 'auth') return `ip:${clientIp}`;
  if (caller?.userId) return `user:${caller.userId}`;
  if (caller?.role === 'service_role') return 'service';
  return `ip:${clientIp}`;
}

/**
 * The in-flight caps a request counts against: its subject's, and for anonymous callers all of
 * theirs together (from however many addresses), so that signed-in users always find connections.
 * The service role is the project's own backend: not capped. Sign-ins hold no connection: they do
 * not wait behind anonymous floods.
 */
export function inFlightCaps(
  caller: Caller | null,
  subject: string,
  klass: RateClass,
  limits: { maxConcurrentPerClient: number; maxConcurrentAnonymous: number },
): Record<string, number> {
  if (caller?.role === 'service_role') return {};
  const caps: Record<string, number> = { [subject]: limits.maxConcurrentPerClient };
  if (!caller?.userId && klass !== 'auth') caps.anonymous = limits.maxConcurrentAnonymous;
  return caps;
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

/**
 * The client address. Each proxy appends the address it was reached from to X-Forwarded-For, so
 * with `trustedHops` proxies in front of the function, the entry that many places from the right is
 * the client's; anything left of it is whatever the client sent. Without such an entry (fewer
 * entries, or not an address): the socket's address.
 */
export function clientAddress(forwardedFor: string | null | undefined, socketAddress: string | undefined, trustedHops: number): string {
  const entries = forwardedFor?.split(',') ?? [];
  const appended = trustedHops >= 1 ? entries[entries.length - trustedHops]?.trim() : undefined;
  if (appended && appended.length <= 64 && /^[0-9a-fA-F:.]+$/.test(appended)) return appended;
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
  /** One sign-in attempt for the account with this e-mail address, from anybody. */
  takeSignIn(email: string): Promise<RateDecision>;
  /** A successful sign-in: the account's count starts again. */
  forgetSignIns(email: string): Promise<void>;
}

/** The sign-in bucket of an account: a hash, so that the table holds no e-mail addresses. */
async function signInKey(email: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(email.trim().toLowerCase()));
  return `sign-in:${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil((ms - Date.now()) / 1000));
}

export function createRateLimiter(pool: Pool, limits: RateLimits): RateLimiter {
  const leases = new Map<string, Lease>();

  async function refill(key: string, lease: Lease, limit: number, windowSeconds: number): Promise<void> {
    // Losing a few counts in a crash is harmless: do not wait for the WAL flush. Text parameters
    // (textSql): one round trip, without postgres.js first asking for their types.
    const [row] = await pool.run((sql) => textSql(sql)<{ granted: number; remaining: number; reset_seconds: number }[]>`
      select set_config('synchronous_commit', 'off', true), granted, remaining, reset_seconds
      from private.take_rate_limit(${key}, ${String(limit)}, ${String(windowSeconds)}, ${String(leaseSize(limit))})`);
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

  async function take(key: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const lease = leaseFor(key);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      if (lease.tokens > 0 && now < lease.endsAt) {
        lease.tokens--;
        return { allowed: true, limit, remaining: lease.remainingInDb + lease.tokens, resetSeconds: secondsUntil(lease.endsAt) };
      }
      if (now < lease.limitedUntil) break;
      if (!lease.pending) {
        lease.pending = refill(key, lease, limit, windowSeconds).finally(() => {
          lease.pending = undefined;
        });
      }
      await lease.pending;
    }
    return { allowed: false, limit, remaining: 0, resetSeconds: secondsUntil(lease.endsAt) };
  }

  return {
    take: (subject, klass) => take(`${subject}:${klass}`, limits[klass], limits.windowSeconds),
    takeSignIn: async (email) => take(await signInKey(email), limits.signInPerAccount, limits.signInWindowSeconds),
    async forgetSignIns(email) {
      const key = await signInKey(email);
      leases.delete(key);
      await pool.run((sql) => textSql(sql)`delete from private.rate_limit_buckets where key = ${key}`);
    },
  };
}

/**
 * Requests in flight per subject, in this isolate (each may hold one of the pool's few database
 * connections). `enter` counts a request against each given subject and returns its release, or
 * null, counting nothing, when one of them already has its maximum in flight.
 */
export function createInFlightLimiter() {
  const inFlight = new Map<string, number>();
  return {
    enter(caps: Record<string, number>): (() => void) | null {
      const subjects = Object.keys(caps);
      if (subjects.some((subject) => (inFlight.get(subject) ?? 0) >= caps[subject]!)) return null;
      for (const subject of subjects) inFlight.set(subject, (inFlight.get(subject) ?? 0) + 1);
      return () => {
        for (const subject of subjects) {
          const n = inFlight.get(subject)! - 1;
          if (n <= 0) inFlight.delete(subject);
          else inFlight.set(subject, n);
        }
      };
    },
  };
}
