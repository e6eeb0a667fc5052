// Rate limits (kept in Postgres, so they hold across function processes) and CORS, each against
// extra function processes with their own settings on the same database, so that the main suite's
// limits and allow-list stay as they are.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../local/config.ts';
import { functionEnvironment, readFunctionDefinitions, startFunction, type RunningFunction } from '../../local/functions.ts';
import { call, closeDb, createUser, db, expectProblem, expectStatus, stack, type TestUser } from './helpers.ts';

const ORIGIN = 'https://studio.example';
let limited: RunningFunction;
let limitedTwin: RunningFunction;
let leased: RunningFunction;
let leasedTwin: RunningFunction;
let user: TestUser;

async function start(env: Record<string, string>): Promise<RunningFunction> {
  const definition = readFunctionDefinitions().find((fn) => fn.name === 'api')!;
  return startFunction(definition, { ...functionEnvironment(loadConfig(), stack.url, stack.dbUrl), ...env });
}

beforeAll(async () => {
  const env = {
    RATE_LIMIT_READ_PER_MINUTE: '3',
    RATE_LIMIT_WRITE_PER_MINUTE: '2',
    RATE_LIMIT_AUTH_PER_MINUTE: '1',
    RATE_LIMIT_WINDOW_SECONDS: '2',
    CORS_ALLOWED_ORIGINS: `${ORIGIN}, https://other.example`,
  };
  // A limit of 40 is spent in leases of 4 requests per database round trip.
  const leasedEnv = { RATE_LIMIT_READ_PER_MINUTE: '40', RATE_LIMIT_WINDOW_SECONDS: '60' };
  [limited, limitedTwin, leased, leasedTwin, user] = await Promise.all([start(env), start(env), start(leasedEnv), start(leasedEnv), createUser()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([limited?.stop(), limitedTwin?.stop(), leased?.stop(), leasedTwin?.stop()]);
  await closeDb();
});

const base = () => `${limited.upstream}/api/v1`;
const twin = () => `${limitedTwin.upstream}/api/v1`;
// A client address no other request of this run uses (buckets are per address and shared).
let addresses = 0;
const run = randomInt(0x10000).toString(16);
const ip = () => `2001:db8:${run}::${(++addresses).toString(16)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limits', () => {
  it('counts requests per client address across processes, then 429 with Retry-After, which is honoured', async () => {
    // The client's own (leftmost) entry is not trusted: the one the proxy appended counts.
    const headers = { 'X-Forwarded-For': `10.0.0.1, ${ip()}` };
    const first = await call('/health', { base: base(), headers });
    expectStatus(first, 200);
    expect(first.headers.get('ratelimit-limit')).toBe('3');
    expect(first.headers.get('ratelimit-remaining')).toBe('2');
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    // The second process shares the counters (they live in Postgres).
    expect((await call('/health', { base: twin(), headers })).headers.get('ratelimit-remaining')).toBe('1');
    expect((await call('/health', { base: base(), headers })).headers.get('ratelimit-remaining')).toBe('0');
    const limitedRes = await call('/health', { base: twin(), headers });
    expectProblem(limitedRes, 429, 'rate_limited');
    const retryAfter = Number(limitedRes.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect(limitedRes.headers.get('ratelimit-remaining')).toBe('0');

    await sleep(retryAfter * 1000 + 200);
    const again = await call('/health', { base: base(), headers });
    expectStatus(again, 200);
    expect(again.headers.get('ratelimit-remaining')).toBe('2');
  });

  it('users have their own buckets, and writes a stricter one than reads', async () => {
    const headers = { 'X-Forwarded-For': ip() };
    for (let i = 0; i < 3; i++) await call('/health', { base: base(), headers });
    expectProblem(await call('/health', { base: base(), headers }), 429);
    // Same address, but signed in: the user's own bucket.
    expectStatus(await call('/workspaces', { base: base(), headers, as: user }), 200);
    const writes = [];
    for (let i = 0; i < 3; i++) writes.push(await call('/workspaces', { base: base(), headers, as: user, method: 'POST', body: { name: `Burst ${i}` } }));
    expect(writes.map((r) => r.status)).toEqual([201, 201, 429]);
    expect(writes[2]!.headers.get('ratelimit-limit')).toBe('2');
    expect(writes[2]!.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('requests with bad tokens count against the client address too', async () => {
    const headers = { 'X-Forwarded-For': ip() };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('/presets', { base: base(), headers, as: 'forged.token.value' })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('auth routes have the strictest bucket', async () => {
    const headers = { 'X-Forwarded-For': ip() };
    const body = { email: 'nobody@example.com', password: 'wrong password' };
    const first = await call('/auth/login', { base: base(), headers, method: 'POST', body });
    expect(first.headers.get('ratelimit-limit')).toBe('1');
    expectProblem(await call('/auth/login', { base: base(), headers, method: 'POST', body }), 429, 'rate_limited');
    // Reads from the same address are still allowed: another bucket.
    expectStatus(await call('/health', { base: base(), headers }), 200);
  });

  it('leases of several requests still add up to exactly the limit across processes', async () => {
    const headers = { 'X-Forwarded-For': ip() };
    const statuses: number[] = [];
    const remaining: number[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await call('/health', { base: `${(i % 2 ? leasedTwin : leased).upstream}/api/v1`, headers });
      statuses.push(res.status);
      if (res.status === 200) remaining.push(Number(res.headers.get('ratelimit-remaining')));
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.slice(40).every((s) => s === 429)).toBe(true);
    expect(remaining.every((r) => r >= 0 && r < 40)).toBe(true);
    // The bucket counts what was asked for, refused asks included, so it stands at or above the limit.
    const [row] = await db()`select hits from private.rate_limit_buckets where key = ${`ip:${headers['X-Forwarded-For']}:read`}`;
    expect(row!.hits).toBeGreaterThanOrEqual(40);
  });

  it('the main function has generous defaults', async () => {
    const res = await call('/health');
    expect(Number(res.headers.get('ratelimit-limit'))).toBeGreaterThanOrEqual(600);
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string, method = 'PATCH') =>
    fetch(url, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': method,
        'Access-Control-Request-Headers': 'authorization, x-client-info, apikey, content-type, if-match',
      },
    });

  it('answers a preflight from an allowed origin with the headers supabase-js sends', async () => {
    const res = await preflight(`${base()}/brand-dna/00000000-0000-0000-0000-000000000000`, ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim());
    for (const header of ['authorization', 'x-client-info', 'apikey', 'content-type', 'x-retry-count', 'traceparent', 'tracestate', 'baggage', 'if-match', 'x-request-id']) {
      expect(allowed).toContain(header);
    }
    expect(res.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
    expect(res.headers.get('vary')).toMatch(/Origin/);
    expect(res.headers.get('ratelimit-limit')).toBeNull(); // preflights are not counted
  });

  it('refuses a preflight from another origin (403, no Allow-Origin)', async () => {
    const res = await preflight(`${base()}/workspaces`, 'https://evil.example');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await res.json()).code).toBe('origin_not_allowed');
  });

  it('marks responses for allowed origins only, exposing ETag, RateLimit-*, Retry-After, X-Request-Id, Location', async () => {
    const headers = { 'X-Forwarded-For': ip() };
    const ok = await call('/health', { base: base(), headers: { ...headers, Origin: 'https://other.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://other.example');
    const exposed = (ok.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
    for (const header of ['etag', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'x-request-id', 'location']) expect(exposed).toContain(header);
    const evil = await call('/health', { base: base(), headers: { ...headers, Origin: 'https://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // Errors carry CORS headers too, so browsers can read the problem.
    const error = await call('/nope', { base: base(), headers: { ...headers, Origin: ORIGIN } });
    expect(error.status).toBe(404);
    expect(error.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('with `*` (the main function) any origin is allowed', async () => {
    const res = await preflight(`${stack.apiUrl}/presets`, 'https://anywhere.example', 'GET');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});
