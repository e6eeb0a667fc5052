// Abuse: password guessing through POST /auth/login (whatever token or address the guesser sends),
// a forged X-Forwarded-For, and one client flooding the function so that others would wait. Each
// runs against an app of its own (small limits, a small pool) on the shared database: in this
// process, except the forged address, which goes through a gateway like the local stack's to a
// function process.
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress } from '../../functions/_shared/rate-limit.ts';
import { loadConfig } from '../../local/config.ts';
import { createGateway } from '../../local/gateway.ts';
import { createKeyRing } from '../../local/jwt.ts';
import { createUser as createAuthUser, PASSWORD } from '../auth/helpers.ts';
import { AXES_EXAMPLE, call, closeDb, createBrandDna, createTeam, createUser, db, expectProblem, expectStatus, startApiFunction, type ApiResponse, type TestUser } from './helpers.ts';
import { inProcessApi, type InProcessApi } from './in-process.ts';

const config = loadConfig();
const randomIp = () => `198.51.100.${1 + (randomBytes(1)[0]! % 250)}`;
const SIGN_IN_LIMIT = 4;

let api: InProcessApi;
let others: TestUser[];

beforeAll(async () => {
  api = inProcessApi({ RATE_LIMIT_SIGN_IN_PER_ACCOUNT: String(SIGN_IN_LIMIT), RATE_LIMIT_AUTH_PER_WINDOW: '1000' });
  others = await Promise.all(Array.from({ length: 12 }, () => createUser({ name: 'other' })));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await closeDb();
});

describe('password guessing', () => {
  it('failed sign-ins for one account are limited whatever bearer token and address each guess carries', async () => {
    const { email } = await createAuthUser('victim');
    const statuses: number[] = [];
    for (const [i, other] of others.slice(0, 10).entries()) {
      const res = await call('/auth/login', {
        api,
        method: 'POST',
        as: other,
        headers: { 'X-Forwarded-For': randomIp() },
        // The same account, spelled differently.
        body: { email: i % 2 ? email.toUpperCase() : email, password: `guess ${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        expectProblem(res, 429, 'too_many_sign_in_attempts');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(statuses).toEqual([...Array(SIGN_IN_LIMIT).fill(400), ...Array(10 - SIGN_IN_LIMIT).fill(429)]);
    // While the account is locked, even the right password waits (the guesser cannot tell).
    expectProblem(await call('/auth/login', { api, method: 'POST', body: { email, password: PASSWORD } }), 429, 'too_many_sign_in_attempts');
    // The bucket is keyed by a hash of the address, not the address itself.
    const key = `sign-in:${createHash('sha256').update(email).digest('hex')}`;
    expect(await db()`select key from private.rate_limit_buckets where key like ${`%${email}%`}`).toEqual([]);
    expect(await db()`select hits from private.rate_limit_buckets where key = ${key}`).toHaveLength(1);
  });

  it('a successful sign-in forgets the failed ones', async () => {
    const { email } = await createAuthUser('victim');
    const login = (password: string) => call('/auth/login', { api, method: 'POST', headers: { 'X-Forwarded-For': randomIp() }, body: { email, password } });
    const statuses: number[] = [];
    for (let i = 0; i < SIGN_IN_LIMIT - 1; i++) statuses.push((await login(`wrong ${i}`)).status);
    statuses.push((await login(PASSWORD)).status);
    for (let i = 0; i < SIGN_IN_LIMIT - 1; i++) statuses.push((await login(`wrong again ${i}`)).status);
    expect(statuses).toEqual([...Array(SIGN_IN_LIMIT - 1).fill(400), 200, ...Array(SIGN_IN_LIMIT - 1).fill(400)]);
  });
});

describe('client address', () => {
  it('is the entry the trusted proxy appended to X-Forwarded-For, never the client-controlled leftmost one', () => {
    expect(clientAddress('203.0.113.5', '127.0.0.1', 1)).toBe('203.0.113.5');
    expect(clientAddress('6.6.6.6, 203.0.113.5', '127.0.0.1', 1)).toBe('203.0.113.5');
    expect(clientAddress('6.6.6.6, 203.0.113.5, 10.0.0.2', '127.0.0.1', 2)).toBe('203.0.113.5');
    expect(clientAddress('2001:db8::1 ,  10.0.0.2', '127.0.0.1', 2)).toBe('2001:db8::1');
    // Fewer entries than trusted proxies, no header, garbage: the socket's address.
    expect(clientAddress('203.0.113.5', '127.0.0.1', 2)).toBe('127.0.0.1');
    expect(clientAddress(null, '127.0.0.1', 1)).toBe('127.0.0.1');
    expect(clientAddress('not an address', '127.0.0.1', 1)).toBe('127.0.0.1');
    expect(clientAddress('203.0.113.5', '127.0.0.1', 0)).toBe('127.0.0.1');
  });

  it('through the gateway, a forged leftmost X-Forwarded-For and other users\' tokens share the one bucket of the client', async () => {
    const limited = await startApiFunction({ RATE_LIMIT_AUTH_PER_WINDOW: '3' });
    const server = createGateway(config, await createKeyRing(config), { functions: [limited] });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/functions/v1/api/v1`;
      // Addresses nobody else uses in this run.
      const run = randomBytes(2).toString('hex');
      const forged = others.map((_, i) => `2001:db8:${run}::${i + 1}`);
      const statuses: number[] = [];
      for (const [i, other] of others.slice(0, 6).entries()) {
        const res = await call('/auth/login', {
          base,
          method: 'POST',
          as: other,
          headers: { 'X-Forwarded-For': forged[i]! },
          body: { email: `nobody-${i}@example.com`, password: 'wrong password' },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([400, 400, 400, 429, 429, 429]);
      // The gateway appended the socket's address, and that is what the function counted.
      expect(await db()`select key from private.rate_limit_buckets where key = any(${forged.map((ip) => `ip:${ip}:auth`)})`).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await limited.stop();
    }
  });
});

/**
 * Holds `lock` (SQL run in a transaction of the test's own) while `flood` runs, and asks `served`
 * meanwhile: whether `served` was answered while the flood was still stuck behind the lock (the
 * lock is let go after 5 s at the latest, so that a failing test does not hang).
 */
async function whileLocked(lock: (sql: postgres.ReservedSql) => Promise<unknown>, flood: () => Promise<ApiResponse>[], served: () => Promise<ApiResponse>) {
  const locker = await db().reserve();
  try {
    await locker`begin`;
    await lock(locker);
    const flooding = flood();
    await sleep(300);
    let released = false;
    const fallback = setTimeout(() => {
      released = true;
      void locker`rollback`;
    }, 5000);
    const answer = await served();
    const servedWhileLocked = !released;
    clearTimeout(fallback);
    await locker`rollback`.catch(() => {});
    return { answer, servedWhileLocked, flood: await Promise.all(flooding) };
  } finally {
    locker.release();
  }
}

function expectRefusedAsTooMany(results: ApiResponse[], admitted: number): void {
  expect(results.filter((r) => r.status === 200)).toHaveLength(admitted);
  const refused = results.filter((r) => r.status === 429);
  expect(refused).toHaveLength(results.length - admitted);
  for (const res of refused) {
    expectProblem(res, 429, 'too_many_concurrent_requests');
    expect(res.headers.get('retry-after')).toBe('1');
  }
}

describe('floods', () => {
  const env = { DB_POOL_SIZE: '4', MAX_CONCURRENT_REQUESTS_PER_CLIENT: '2', MAX_CONCURRENT_ANONYMOUS_REQUESTS: '2', RATE_LIMIT_WRITE_PER_WINDOW: '1000', RATE_LIMIT_READ_PER_WINDOW: '1000' };
  let small: InProcessApi;
  beforeAll(() => {
    small = inProcessApi(env);
  });
  afterAll(() => small?.close());

  it('one user cannot hold more than their share of the pool: the excess gets 429 too_many_concurrent_requests, and another user is served meanwhile', async () => {
    const team = await createTeam('Flood');
    const brand = await createBrandDna(team);
    // The flood's writes wait for a row lock the test holds, keeping their connections busy.
    const { answer, servedWhileLocked, flood } = await whileLocked(
      (sql) => sql`select 1 from public.brand_dna where id = ${brand.id} for update`,
      () => Array.from({ length: 10 }, (_, i) => call(`/brand-dna/${brand.id}`, { api: small, method: 'PATCH', as: team.editor, body: { axes: { ...AXES_EXAMPLE, energy: i / 10 } } })),
      () => call('/workspaces', { api: small, as: team.viewer }),
    );
    expectStatus(answer, 200);
    expect(servedWhileLocked).toBe(true);
    expectRefusedAsTooMany(flood, 2);
  });

  it('anonymous clients, from however many addresses, together hold at most their share: signed-in users are served meanwhile', async () => {
    const user = await createUser();
    const run = randomBytes(2).toString('hex');
    // Anonymous reads of presets wait behind a lock on the table.
    const { answer, servedWhileLocked, flood } = await whileLocked(
      (sql) => sql`lock table public.presets in access exclusive mode`,
      () => Array.from({ length: 8 }, (_, i) => call('/presets', { api: small, headers: { 'X-Forwarded-For': `2001:db8:${run}::${i + 1}` } })),
      () => call('/workspaces', { api: small, as: user }),
    );
    expectStatus(answer, 200);
    expect(servedWhileLocked).toBe(true);
    expectRefusedAsTooMany(flood, 2);
  });
});
