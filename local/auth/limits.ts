// `[auth.rate_limit]`, enforced as Supabase Auth enforces it: each limited route has token buckets
// keyed by client address, refilled at the configured number per 5 minutes and holding at most
// `burst` requests (30 in Supabase Auth); e-mails are counted project-wide per hour. The client
// address is the one the gateway appended to X-Forwarded-For, never an entry the client wrote.
import type { AuthRateLimits } from '../config.ts';
import { Errors } from './errors.ts';
import { clientAddress, type Request } from './http.ts';

const FIVE_MINUTES_S = 300;
const HOUR_MS = 3_600_000;
/** Past this many tracked addresses, full buckets (which mean the same as none) are dropped. */
const MAX_TRACKED = 10_000;

/** One token bucket per key; starts full. */
class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
  ) {}

  /** The bucket's tokens at `now`, refilled since it was last taken from. */
  private level(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
  }

  take(key: string, now = Date.now()): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    bucket.tokens = this.level(bucket, now);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_TRACKED) this.forgetFull(now);
    return allowed;
  }

  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.level(bucket, now) >= this.capacity) this.buckets.delete(key);
    }
  }
}

/** At most `events` per fixed window, for everyone together (Supabase Auth's e-mail limiter). */
class WindowCounter {
  private start = Date.now();
  private count = 0;

  constructor(
    private readonly events: number,
    private readonly windowMs: number,
  ) {}

  take(now = Date.now()): boolean {
    if (now - this.start >= this.windowMs) {
      this.start += Math.floor((now - this.start) / this.windowMs) * this.windowMs;
      this.count = 0;
    }
    if (this.count >= this.events) return false;
    this.count++;
    return true;
  }
}

export type LimitedRoute = 'token' | 'signup' | 'user';

export interface RateLimiter {
  /** Throws 429 `over_request_rate_limit` when the caller's bucket for `route` is empty. */
  request(route: LimitedRoute, r: Request): void;
  /** Throws 429 `over_email_send_rate_limit` when the project has sent its e-mails for the hour. */
  email(): void;
}

const UNLIMITED: RateLimiter = { request() {}, email() {} };

export function createRateLimiter(limits: AuthRateLimits | null): RateLimiter {
  if (!limits) return UNLIMITED;
  const buckets = (perFiveMinutes: number) => new TokenBuckets(perFiveMinutes / FIVE_MINUTES_S, limits.burst);
  // Separate limiters, as in Supabase Auth: /signup and PUT /user share a rate, not a bucket.
  const routes: Record<LimitedRoute, TokenBuckets> = {
    token: buckets(limits.tokenRefresh),
    signup: buckets(limits.signInSignUps),
    user: buckets(limits.signInSignUps),
  };
  const emails = new WindowCounter(limits.emailSent, HOUR_MS);
  return {
    request(route, r) {
      // Supabase Auth skips the limit when it has no address; ours always has the socket's.
      const key = clientAddress(r);
      if (key !== null && !routes[route].take(key)) throw Errors.overRequestRateLimit();
    },
    email() {
      if (!emails.take()) throw Errors.overEmailSendRateLimit();
    },
  };
}
