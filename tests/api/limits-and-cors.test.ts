// Rate limits (kept in Postgres, so they hold across isolates) and CORS, against apps in this process
// with settings of their own on the stack's database, so that the main function's limits and
// allow-list stay as they are. Windows are long, so that no test races a window's end; each test
// starts from empty buckets (its addresses' rows deleted, fresh isolates) instead of waiting.
import { randomInt } from 'node:crypto';
import { corsHeaders } from '@supabase/supabase-js/cors';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, closeDb, createUser, db, expectProblem, expectStatus, stack, type TestUser } from './helpers.ts';
import { inProcessApi, type InProcessApi } from './in-process.ts';

const ORIGIN = 'https://studio.example';
const WINDOW_SECONDS = 60;
const LIMITS = {
  RATE_LIMIT_READ_PER_WINDOW: '3',
  RATE_LIMIT_WRITE_PER_WINDOW: '2',
  RATE_LIMIT_AUTH_PER_WINDOW: '1',
  RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
  CORS_ALLOWED_ORIGINS: `${ORIGIN}, https://other.example`,
};

// Client addresses of this run only (buckets are per address and shared by every isolate).
const run = randomInt(0x10000).toString(16);
const ADDRESS = `2001:db8:${run}::1`;
let user: TestUser;
// Two isolates with the same settings, as two instances of the function would be.
let api: InProcessApi;
let twin: InProcessApi;

beforeAll(async () => {
  user = await createUser();
});

beforeEach(async () => {
  await db()`delete from private.rate_limit_buckets where key like ${`ip:2001:db8:${run}::%`} or key like ${`user:${user.id}:%`}`;
  [api, twin] = [inProcessApi(LIMITS), inProcessApi(LIMITS)];
});

afterEach(() => Promise.all([api.close(), twin.close()]));
afterAll(closeDb);

const headers = { 'X-Forwarded-For': ADDRESS };
const bucket = (klass: string) => `ip:${ADDRESS}:${klass}`;

describe('rate limits', () => {
  it('counts requests per client address across isolates, then 429 with Retry-After until the window ends', async () => {
    // The client's own (leftmost) entry is not trusted: the one the proxy appended counts.
    const forwarded = { 'X-Forwarded-For': `10.0.0.1, ${ADDRESS}` };
    const first = await call('/health', { api, headers: forwarded });
    expectStatus(first, 200);
    expect(first.headers.get('ratelimit-limit')).toBe('3');
    expect(first.headers.get('ratelimit-remaining')).toBe('2');
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(WINDOW_SECONDS - 10);
    // The other isolate shares the counters (they live in Postgres).
    expect((await call('/health', { api: twin, headers: forwarded })).headers.get('ratelimit-remaining')).toBe('1');
    expect((await call('/health', { api, headers: forwarded })).headers.get('ratelimit-remaining')).toBe('0');
    const limited = await call('/health', { api: twin, headers: forwarded });
    expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(WINDOW_SECONDS - 10);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(await db()`select key from private.rate_limit_buckets where key like ${'ip:10.0.0.1:%'}`).toEqual([]);
  });

  it('a refused client is served again once Retry-After has passed', async () => {
    // A full bucket whose window ends in two seconds.
    await db()`
      insert into private.rate_limit_buckets (key, window_started_at, hits)
      values (${bucket('read')}, now() - make_interval(secs => ${WINDOW_SECONDS - 2}), 3)`;
    const limited = await call('/health', { api, headers });
    expectProblem(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 200));
    const again = await call('/health', { api, headers });
    expectStatus(again, 200);
    expect(again.headers.get('ratelimit-remaining')).toBe('2');
  });

  it('users have their own buckets, and writes a stricter one than reads', async () => {
    for (let i = 0; i < 3; i++) await call('/health', { api, headers });
    expectProblem(await call('/health', { api, headers }), 429);
    // Same address, but signed in: the user's own bucket.
    expectStatus(await call('/workspaces', { api, headers, as: user }), 200);
    const writes = [];
    for (let i = 0; i < 3; i++) writes.push(await call('/workspaces', { api, headers, as: user, method: 'POST', body: { name: `Burst ${i}` } }));
    expect(writes.map((r) => r.status)).toEqual([201, 201, 429]);
    expect(writes[2]!.headers.get('ratelimit-limit')).toBe('2');
    expect(writes[2]!.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('requests with bad tokens count against the client address too', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('/presets', { api, headers, as: 'forged.token.value' })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('auth routes have the strictest bucket', async () => {
    const body = { email: 'nobody@example.com', password: 'wrong password' };
    const first = await call('/auth/login', { api, headers, method: 'POST', body });
    expect(first.headers.get('ratelimit-limit')).toBe('1');
    expectProblem(await call('/auth/login', { api, headers, method: 'POST', body }), 429, 'rate_limited');
    // The route is found after percent-decoding the path, and so is its bucket.
    expectProblem(await call('/%61uth/login', { api, headers, method: 'POST', body, as: user }), 429, 'rate_limited');
    // Reads from the same address are still allowed: another bucket.
    expectStatus(await call('/health', { api, headers }), 200);
  });

  it('leases of several requests still add up to exactly the limit across isolates', async () => {
    // A limit of 40 is spent in leases of 4 requests per database round trip.
    const leased = { RATE_LIMIT_READ_PER_WINDOW: '40' };
    const [one, other] = [inProcessApi(leased), inProcessApi(leased)];
    try {
      const statuses: number[] = [];
      const remaining: number[] = [];
      for (let i = 0; i < 50; i++) {
        const res = await call('/health', { api: i % 2 ? other : one, headers });
        statuses.push(res.status);
        if (res.status === 200) remaining.push(Number(res.headers.get('ratelimit-remaining')));
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(40);
      expect(statuses.slice(40).every((s) => s === 429)).toBe(true);
      expect(remaining.every((r) => r >= 0 && r < 40)).toBe(true);
      // The bucket counts what was asked for, refused asks included, so it stands at or above the limit.
      const [row] = await db()`select hits from private.rate_limit_buckets where key = ${bucket('read')}`;
      expect(row!.hits).toBeGreaterThanOrEqual(40);
    } finally {
      await Promise.all([one.close(), other.close()]);
    }
  });

  it('the main function has generous defaults', async () => {
    const res = await call('/health');
    expect(Number(res.headers.get('ratelimit-limit'))).toBeGreaterThanOrEqual(600);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, path: string, method = 'PATCH') =>
    call(path, {
      api,
      method: 'OPTIONS',
      headers: { ...headers, Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization, x-client-info, apikey, content-type, if-match' },
    });

  it('answers a preflight from an allowed origin with every header supabase-js sends, and the API\'s own', async () => {
    const res = await preflight(ORIGIN, '/brand-dna/00000000-0000-0000-0000-000000000000');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim());
    const clientHeaders = corsHeaders['Access-Control-Allow-Headers']!.split(',').map((h) => h.trim());
    expect(clientHeaders).toContain('x-client-info');
    for (const header of [...clientHeaders, 'if-match', 'if-none-match', 'x-request-id']) expect(allowed).toContain(header);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect(res.headers.get('ratelimit-limit')).toBeNull(); // preflights are not counted
  });

  it('refuses a preflight from another origin (403, no Allow-Origin)', async () => {
    const res = await preflight('https://evil.example', '/workspaces');
    expectProblem(res, 403, 'origin_not_allowed');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('marks responses for allowed origins only, exposing ETag, RateLimit-*, Retry-After, X-Request-Id, Location', async () => {
    const ok = await call('/health', { api, headers: { ...headers, Origin: 'https://other.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://other.example');
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const exposed = (ok.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
    for (const header of ['etag', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'x-request-id', 'location']) expect(exposed).toContain(header);
    const evil = await call('/health', { api, headers: { ...headers, Origin: 'https://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // Errors carry CORS headers too, so browsers can read the problem.
    const error = await call('/nope', { api, headers: { ...headers, Origin: ORIGIN } });
    expectProblem(error, 404, 'not_found');
    expect(error.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('with `*` (the main function) any origin is allowed', async () => {
    const res = await fetch(`${stack.apiUrl}/presets`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://anywhere.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});
