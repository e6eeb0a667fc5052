// Faults: database connections terminated under load, Postgres killed (kill -9) in the middle of a
// write burst, the function process itself killed. What a client sees is 2xx or a 503 problem
// (database_unavailable, Retry-After), never a 500 or a dead process; nothing acknowledged is lost.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../local/config.ts';
import { bootstrapPlatform, freePort, pushMigrations, startEmbeddedPostgres, type RunningDatabase } from '../../local/db.ts';
import { startFunction, type FunctionProcess } from '../../local/functions.ts';
import { createPool } from '../../functions/_shared/db.ts';
import { apiFunction, AXES_EXAMPLE, call, closeDb, createTeam, createBrandDna, db, es256Token, expectProblem, expectStatus, stack, startApiFunction, userClaims, type ApiResponse, type Team } from './helpers.ts';
import { insertSignedInUser } from '../fixtures/users.ts';

// The faults under test, not the limits: rates and concurrency out of reach.
const UNLIMITED = { RATE_LIMIT_READ_PER_WINDOW: '100000', RATE_LIMIT_WRITE_PER_WINDOW: '100000', MAX_CONCURRENT_REQUESTS_PER_CLIENT: '100' };

/** The answer, or status 0 when there was none (the connection broke: the process died). */
async function attempt(request: () => Promise<ApiResponse>): Promise<ApiResponse> {
  return request().catch((err: Error) => ({ status: 0, headers: new Headers(), body: null, text: `no answer: ${err.message}` }));
}

/** A 503 must be the documented problem; anything else but 2xx fails the test with the body. */
function expectOkOrUnavailable(res: ApiResponse): void {
  if (res.status >= 200 && res.status < 300) return;
  expectProblem(res, 503, 'database_unavailable');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

/** Calls `/health` until it answers 200 (failing after `limitMs`); returns how long that took (ms). */
async function healthyWithin(base: string, limitMs: number): Promise<number> {
  const started = performance.now();
  await vi.waitFor(async () => expectStatus(await call('/health', { base }), 200), { timeout: limitMs, interval: 50 });
  return performance.now() - started;
}

describe('connections terminated under load', () => {
  // A function process of its own, whose connections carry an application name of their own, so
  // that terminating them leaves the other suites' function alone.
  const appName = `tekton-api-faults-${randomBytes(3).toString('hex')}`;
  const log: string[] = [];
  let fn: FunctionProcess;
  let team: Team;
  let brandId: string;

  beforeAll(async () => {
    [fn, team] = await Promise.all([
      startApiFunction({ PGAPPNAME: appName, ...UNLIMITED }, (line) => log.push(line)),
      createTeam('Faults'),
    ]);
    brandId = (await createBrandDna(team)).id;
  }, 60_000);

  afterAll(async () => {
    await fn?.stop();
    await closeDb();
  });

  it('answers only 2xx or 503 while every backend is terminated, twice; the process stays up and /health recovers at once', async () => {
    const base = `${fn.upstream}/api/v1`;
    const pid = fn.pid;
    // Routes on asCaller (versions, PATCH) and on asCallerOnce (GET one, list).
    const requests: (() => Promise<ApiResponse>)[] = [
      () => call(`/brand-dna/${brandId}/versions`, { base, as: team.viewer }),
      () => call(`/brand-dna/${brandId}`, { base, as: team.viewer }),
      () => call(`/brand-dna?workspaceId=${team.workspaceId}`, { base, as: team.editor }),
      () => call(`/brand-dna/${brandId}`, { base, as: team.editor, method: 'PATCH', body: { axes: { energy: Math.round(Math.random() * 100) / 100 } } }),
    ];
    const responses: ApiResponse[] = [];
    let stop = false;
    const workers = Array.from({ length: 6 }, async (_, w) => {
      for (let i = w; !stop; i++) responses.push(await attempt(requests[i % requests.length]!));
    });
    const terminated: number[] = [];
    for (let round = 0; round < 2; round++) {
      await sleep(300);
      const rows = await db()`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${appName}`;
      terminated.push(rows.length);
    }
    while (responses.length < 300) await sleep(50);
    stop = true;
    await Promise.all(workers);

    expect(terminated.every((n) => n > 0)).toBe(true);
    for (const res of responses) expectOkOrUnavailable(res);
    expect(fn.pid).toBe(pid);
    expect(await healthyWithin(base, 2000)).toBeLessThan(2000);
    expect(log.filter((line) => /Uncaught|restart/i.test(line))).toEqual([]);
  });
});

describe('a connection that closes in the middle of a transaction', () => {
  afterAll(closeDb);

  it('takes no further query, neither one sent later nor one that was waiting: they fail and reach no other session', async () => {
    const appName = `tekton-api-closing-${randomBytes(3).toString('hex')}`;
    const pool = createPool({ url: stack.dbUrl, size: 1, applicationName: appName });
    const [later, waiting] = [`later-${randomUUID()}`, `waiting-${randomUUID()}`];
    // As `postgres` outside the transaction, these inserts would succeed.
    const insert = (sql: postgres.Sql, key: string) => sql`insert into private.rate_limit_buckets (key, window_started_at, hits) values (${key}, now(), 1)`;
    const outcome = await pool.run(async (sql) => {
      await sql`begin`;
      // Waits in the client's queue behind the sleep until the connection dies under it.
      const settled = Promise.allSettled([sql`select pg_sleep(${5})`.execute(), insert(sql, waiting).execute()]);
      await sleep(200);
      await db()`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${appName}`;
      const results = await settled;
      await sleep(100);
      results.push(...(await Promise.allSettled([insert(sql, later)])));
      return results;
    });
    expect(outcome.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of outcome) expect((r as PromiseRejectedResult).reason.code).toMatch(/^(57P01|CONNECTION_(CLOSED|ENDED|DESTROYED))$/);
    expect(await db()`select key from private.rate_limit_buckets where key in (${later}, ${waiting})`).toEqual([]);
    // The pool carries on with a new connection, and nothing reconnected behind its back.
    expect(await pool.run((sql) => sql`select 1 as one`)).toEqual([{ one: 1 }]);
    await sleep(200);
    expect(await db()`select count(*)::int as n from pg_stat_activity where application_name = ${appName}`).toEqual([{ n: 1 }]);
  });
});

describe('Postgres killed (kill -9) in the middle of a write burst', () => {
  // A throw-away cluster and function of their own: the shared stack is not disturbed.
  const dataDir = path.join(ROOT, '.data', `test-faults-${process.pid}-${randomBytes(4).toString('hex')}`);
  let port: number;
  let database: RunningDatabase;
  let fn: FunctionProcess;
  let sql: postgres.Sql;
  let token: string;
  let brandId: string;

  beforeAll(async () => {
    port = await freePort();
    database = await startEmbeddedPostgres({ port, dataDir });
    await bootstrapPlatform(database.url);
    await pushMigrations(database.url);
    sql = postgres(database.url, { max: 1, onnotice: () => {} });
    token = await es256Token(userClaims(await insertSignedInUser(sql, { name: 'burst' })));
    fn = await startApiFunction({ SUPABASE_DB_URL: database.url, ...UNLIMITED });
    const base = `${fn.upstream}/api/v1`;
    const workspace = await call('/workspaces', { base, as: token, method: 'POST', body: { name: 'Burst' } });
    const brand = await call('/brand-dna', { base, as: token, method: 'POST', body: { workspaceId: workspace.body.id, name: 'Burst', axes: AXES_EXAMPLE } });
    brandId = brand.body.id;
  }, 120_000);

  afterAll(async () => {
    await fn?.stop();
    await sql?.end({ timeout: 1 });
    await database?.stop();
  });

  /** kill -9 of the postmaster; its children notice and exit on their own. */
  function killPostmaster(): void {
    process.kill(Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
  }

  /** Starts the cluster again once the old backends are gone (crash recovery runs on start). */
  async function restartPostgres(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        database = await startEmbeddedPostgres({ port, dataDir, ephemeral: true });
        return;
      } catch (err) {
        if (attempt > 100) throw err;
        await sleep(100);
      }
    }
  }

  it('loses no acknowledged write, keeps versions gap-free, and answers /health within 2 s of the restart', async () => {
    const base = `${fn.upstream}/api/v1`;
    const pid = fn.pid;
    const acknowledged: { revision: number; name: string }[] = [];
    const responses: ApiResponse[] = [];
    let stop = false;
    let n = 0;
    const writers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const name = `Write ${++n}`;
        const res = await attempt(() => call(`/brand-dna/${brandId}`, { base, as: token, method: 'PATCH', body: { name } }));
        responses.push(res);
        if (res.status === 200) acknowledged.push({ revision: res.body.revision, name });
        else await sleep(20);
      }
    });
    await sleep(500);
    killPostmaster();
    await sleep(300);
    await restartPostgres();
    const recoveredIn = await healthyWithin(base, 2000);
    await sleep(500);
    stop = true;
    await Promise.all(writers);

    for (const res of responses) expectOkOrUnavailable(res);
    expect(responses.some((res) => res.status === 503)).toBe(true);
    expect(fn.pid).toBe(pid);
    expect(recoveredIn).toBeLessThan(2000);

    await sql.end({ timeout: 1 });
    sql = postgres(database.url, { max: 1, onnotice: () => {} });
    const versions = await sql<{ version_number: number; name: string }[]>`
      select version_number, name from public.brand_dna_versions where brand_dna_id = ${brandId} order by version_number`;
    const [brand] = await sql<{ revision: number }[]>`select revision from public.brand_dna where id = ${brandId}`;
    expect(versions.map((v) => v.version_number)).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
    expect(brand!.revision).toBe(versions.length);
    const byNumber = new Map(versions.map((v) => [v.version_number, v.name]));
    for (const ack of acknowledged) expect(byNumber.get(ack.revision)).toBe(ack.name);
    expect(acknowledged.length).toBeGreaterThan(10);
  });
});

describe('the function entry point', () => {
  it('logs errors thrown outside any request and rejections nobody awaited, and keeps serving', async () => {
    const log: string[] = [];
    const fn = await startFunction({ ...apiFunction(), name: 'failing', entrypoint: path.join(ROOT, 'tests/api/fixtures/failing-function.ts') }, {}, (line) => log.push(line));
    try {
      const pid = fn.pid;
      expect(await (await fetch(`${fn.upstream}/failing/fail`)).text()).toBe('scheduled');
      await sleep(300);
      expect(await (await fetch(`${fn.upstream}/failing/ok`)).text()).toBe('ok');
      expect(fn.pid).toBe(pid);
      expect(log.some((line) => line.includes('"msg":"uncaught error"') && line.includes('thrown from a timer'))).toBe(true);
      expect(log.some((line) => line.includes('"msg":"unhandled rejection"') && line.includes('rejected and never awaited'))).toBe(true);
    } finally {
      await fn.stop();
    }
  });
});

describe('the local function runner', () => {
  it('starts a function process again when it exits, on the same address, and says so in the log', async () => {
    const log: string[] = [];
    const fn = await startApiFunction({}, (line) => log.push(line));
    try {
      const upstream = fn.upstream;
      const pid = fn.pid;
      process.kill(pid, 'SIGKILL');
      await vi.waitFor(
        async () => {
          expect(fn.pid, 'a new process').not.toBe(pid);
          expect((await fetch(`${upstream}/api/v1/openapi.json`)).status).toBe(200);
        },
        { timeout: 30_000, interval: 100 },
      );
      expect(fn.upstream).toBe(upstream);
      expect(log.some((line) => /function api exited .*restart/i.test(line))).toBe(true);
    } finally {
      await fn.stop();
    }
  }, 60_000);
});
