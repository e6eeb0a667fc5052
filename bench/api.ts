// API benchmarks; each prints its numbers next to a baseline measured in the same run, never asserts.
//   1. The REST API in Deno against the same transaction run by pgbench on the same database:
//      GET /api/v1/brand-dna/:id (verify the token, rate-limit, one transaction: session check,
//      role + claims, the select) and PATCH of one axis (plus its version snapshot by trigger), each
//      at 32 concurrent connections vs 32 pgbench clients, with two load generators: autocannon
//      (Node) and wrk (C, Debian's `wrk`), which takes less of the CPU the API and Postgres share
//      (goal: GET ≥ 40 % of pgbench with both; PATCH ≥ 100 %). Generators and pgbench take turns.
//   2. The cost of the session check: the same GET with a token that has a session_id (checked)
//      and with one minted without it (not checked).
//   3. Isolation: a signed-in user's GET /workspaces, p50/p95 alone and while 12 clients flood
//      anonymous preset searches with the worst queries known (over 100,000 presets), once from one
//      address and once from twelve (goal: ≤ 2x), on a function process with the default pool and
//      in-flight caps, then once more with anonymous callers held to one request in flight, the
//      floor of what caps can do (BENCH_API_ISOLATION=0 skips it).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { loadConfig } from '../local/config.ts';
import { functionEnvironment, readFunctionDefinitions, startFunction } from '../local/functions.ts';
import { createKeyRing } from '../local/jwt.ts';
import { startStack } from '../local/stack.ts';
import { insertSignedInUser, sessionClaims } from '../tests/fixtures/users.ts';
import { generatePresets } from './db.ts';
import { median, percentile } from './stats.ts';

const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Section 1 runs each generator and pgbench in turns, this many times, SECONDS in all per generator. */
const TURNS = 3;

interface AutocannonResult {
  requests: { average: number; total: number };
  statusCodeStats?: Record<string, { count: number }>;
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const execFileAsync = promisify(execFile);
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Result {
  rps: number;
  p50: number;
  p99: number;
  note?: string;
}

function pgbenchPath(): string | null {
  const candidates = [
    process.env.PGBENCH,
    ...['17', '16', '15', '14'].map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`),
    '/usr/bin/pgbench',
    '/usr/local/bin/pgbench',
  ].filter((p): p is string => !!p);
  return candidates.find((p) => existsSync(p)) ?? null;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A text literal pgbench will not mistake for `:variables` (JSON is full of colons). */
function textWithoutColons(value: string): string {
  return `convert_from(decode('${Buffer.from(value).toString('base64')}', 'base64'), 'utf8')`;
}

/** What a load tool (pgbench, wrk) printed, stdout and stderr; it failing fails the benchmark with that output. */
async function outputOf(bin: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(bin, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout + stderr;
  } catch (err) {
    const { code, stdout = '', stderr = '' } = err as { code?: unknown; stdout?: string; stderr?: string };
    throw new Error(`${path.basename(bin)} exited ${String(code)}:\n${stdout}${stderr}`, { cause: err });
  }
}

/** Runs a pgbench script at CONNECTIONS clients; latencies from its per-transaction log. */
async function pgbench(bin: string, dbUrl: string, script: string, seconds = SECONDS): Promise<Result> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'api-bench-'));
  try {
    const file = path.join(dir, 'script.sql');
    await writeFile(file, script);
    const args = ['-n', '-M', 'extended', '-c', String(CONNECTIONS), '-j', String(Math.min(CONNECTIONS, os.cpus().length)), '-T', String(seconds), '-f', file, '-l', `--log-prefix=${path.join(dir, 'log')}`, dbUrl];
    const output = await outputOf(bin, args);
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? NaN);
    const latencies: number[] = [];
    for (const name of await readdir(dir)) {
      if (!name.startsWith('log')) continue;
      for (const line of (await readFile(path.join(dir, name), 'utf8')).split('\n')) {
        const micros = Number(line.split(' ')[2]);
        if (Number.isFinite(micros) && line) latencies.push(micros / 1000);
      }
    }
    const failed = /number of failed transactions: (\d+)/.exec(output)?.[1];
    return { rps: tps, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), ...(failed && failed !== '0' ? { note: `${failed} failed` } : {}) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function wrkPath(): string | null {
  return [process.env.WRK, '/usr/bin/wrk', '/usr/local/bin/wrk'].find((p): p is string => !!p && existsSync(p)) ?? null;
}

/** wrk's durations (`812.00us`, `1.23ms`, `2.01s`) in ms. */
function wrkMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
}

/** The same load with wrk; `body` is a format with one `%.3f`, filled like autocannon's PATCH bodies. */
async function wrk(bin: string, url: string, options: { method?: string; headers: Record<string, string>; body?: string }, seconds = SECONDS): Promise<Result> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'api-bench-wrk-'));
  try {
    const lua = [`wrk.method = ${JSON.stringify(options.method ?? 'GET')}`, ...Object.entries(options.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)];
    // PATCH: density 0.100 … 0.999, as in the autocannon run.
    if (options.body) lua.push('local n = 0', 'request = function()', '  n = n + 1', `  return wrk.format(nil, nil, nil, string.format(${JSON.stringify(options.body)}, 0.1 + (n % 900) / 1000))`, 'end');
    const script = path.join(dir, 'script.lua');
    await writeFile(script, `${lua.join('\n')}\n`);
    const threads = Math.min(2, os.cpus().length);
    const output = await outputOf(bin, [`-t${threads}`, `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script, url]);
    const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
    const socketErrors = /Socket errors: (.*)/.exec(output)?.[1];
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN),
      p50: wrkMs(/^\s+50%\s+(\S+)/m.exec(output)?.[1] ?? ''),
      p99: wrkMs(/^\s+99%\s+(\S+)/m.exec(output)?.[1] ?? ''),
      ...(bad || socketErrors ? { note: [bad ? `${bad} non-2xx` : '', socketErrors ? `socket errors: ${socketErrors}` : ''].filter(Boolean).join(', ') } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function http(url: string, options: Record<string, unknown>): Promise<Result> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...options });
  const bad = result.non2xx + result.errors;
  const statuses = Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => `${status}×${count}`).join(' ');
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, ...(bad > 0 ? { note: `${bad} non-2xx/errors: ${statuses}` } : {}) };
}

type Runner = (seconds: number) => Promise<Result>;

/**
 * Runs each runner for SECONDS / TURNS, in turns, TURNS times: drift in the load of the shared
 * machine then touches all of them alike. Per runner, the results of its turns.
 */
async function inTurns(runners: Record<string, Runner | null>): Promise<Record<string, Result[]>> {
  const seconds = Math.max(2, Math.round(SECONDS / TURNS));
  const results: Record<string, Result[]> = {};
  for (let turn = 0; turn < TURNS; turn++) {
    for (const [name, run] of Object.entries(runners)) if (run) (results[name] ??= []).push(await run(seconds));
  }
  return results;
}

/** Throughput over all turns; latencies, the median turn's. */
function overall(turns: Result[]): Result {
  const notes = turns.map((t) => t.note).filter(Boolean);
  return {
    rps: turns.reduce((sum, t) => sum + t.rps, 0) / turns.length,
    p50: median(turns.map((t) => t.p50)),
    p99: median(turns.map((t) => t.p99)),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

function print(title: string, results: Record<string, Result[]>, goal: number): void {
  const row = (name: string, r: Result) =>
    `  ${name.padEnd(16)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms${r.note ? `   (${r.note})` : ''}`;
  console.log(`\n${title}`);
  const { pgbench: baseline, ...generators } = results;
  for (const [name, turns] of Object.entries(generators)) console.log(row(`API, ${name}`, overall(turns)));
  if (!baseline) return;
  console.log(row('pgbench', overall(baseline)));
  for (const [name, turns] of Object.entries(generators)) {
    const ratio = overall(turns).rps / overall(baseline).rps;
    const each = turns.map((t, i) => `${((100 * t.rps) / baseline[i]!.rps).toFixed(0)}`).join(' / ');
    console.log(`  ratio, ${name.padEnd(10)} API at ${(ratio * 100).toFixed(0)} % of pgbench (turns: ${each} %; goal ≥ ${goal * 100} %)${ratio >= goal ? '' : '  ← below goal'}`);
  }
}

/** A signed-in user as Auth leaves one (user, session, refresh token) and the claims of their access token. */
async function signedInUser(sql: postgres.Sql, issuer: string) {
  const user = await insertSignedInUser(sql, { name: 'bench' });
  return { id: user.id, claims: sessionClaims(user, issuer) };
}

export async function bench(): Promise<void> {
  const bin = pgbenchPath();
  const wrkBin = wrkPath();
  const stack = await startStack({
    ephemeral: true,
    // Sections 1 and 2 measure throughput, not the limiter's verdicts: limits out of reach (the
    // limiter itself still runs on every request), and one user may use all 32 connections.
    overrides: { functionEnv: { RATE_LIMIT_READ_PER_WINDOW: '1000000000', RATE_LIMIT_WRITE_PER_WINDOW: '1000000000', MAX_CONCURRENT_REQUESTS_PER_CLIENT: '1000' } },
  });
  const sql = postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
  try {
    const keys = await createKeyRing(stack.config);
    const user = await signedInUser(sql, `${stack.url}/auth/v1`);
    const claims = user.claims;
    const token = await keys.signAccessToken(claims);
    const api = `${stack.functionUrls.api}/api/v1`;
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const workspace = await (await fetch(`${api}/workspaces`, { method: 'POST', headers, body: JSON.stringify({ name: 'Bench' }) })).json();
    const brand = await (
      await fetch(`${api}/brand-dna`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ workspaceId: workspace.id, name: 'Bench brand', axes: { density: 0.5, warmth: 0.5, playfulness: 0.5, sophistication: 0.5, energy: 0.5 } }),
      })
    ).json();
    if (!brand.id) throw new Error(`could not create the brand DNA: ${JSON.stringify(brand)}`);
    console.log(`API straight to the function in Deno (${stack.functionUrls.api}), ${CONNECTIONS} connections, by autocannon and by wrk (${wrkBin ?? 'missing'}); pgbench ${bin ?? 'missing'} at ${CONNECTIONS} clients; each ${SECONDS} s in ${TURNS} turns.`);
    if (!bin) console.log('pgbench not found: install it with `apt-get install postgresql-client-15` (Debian) or set PGBENCH=/path/to/pgbench.');
    if (!wrkBin) console.log('wrk not found: install it with `apt-get install wrk` (Debian; `npm run setup` does) or set WRK=/path/to/wrk.');

    // The transaction the API runs for each request, as pgbench sees it (session check included).
    const setCaller = `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${textWithoutColons(JSON.stringify(claims))}, true),
  set_config('request.jwt.claim.sub', ${sqlString(user.id)}, true), set_config('request.jwt.claim.role', 'authenticated', true),
  set_config('request.method', 'GET', true), set_config('request.path', '/api/v1/brand-dna', true), set_config('statement_timeout', '8000', true)
  from private.require_live_session(${sqlString(String(claims.session_id))}, ${sqlString(user.id)});`.replace(/\n/g, ' ');

    // Warm-up (JIT, pools, caches).
    await http(`${api}/brand-dna/${brand.id}`, { headers, duration: 2 });

    // The load generators take turns with pgbench (see inTurns).
    const url = `${api}/brand-dna/${brand.id}`;
    const getScript = `BEGIN;\n${setCaller}\nselect * from public.brand_dna where id = '${brand.id}';\nCOMMIT;\n`;
    const get = await inTurns({
      autocannon: (seconds) => http(url, { headers, duration: seconds }),
      pgbench: bin ? (seconds) => pgbench(bin, stack.dbUrl, getScript, seconds) : null,
      wrk: wrkBin ? (seconds) => wrk(wrkBin, url, { headers }, seconds) : null,
    });
    print(`GET /api/v1/brand-dna/:id`, get, 0.4);

    let n = 0;
    const patchBody = '{"axes":{"density":%.3f}}';
    const patchScript = `\\set d random(0, 999)\nBEGIN;\n${setCaller.replace("'GET'", "'PATCH'")}\nupdate public.brand_dna set density = :d / 1000.0 where id = '${brand.id}' returning *;\nCOMMIT;\n`;
    const patch = await inTurns({
      autocannon: (seconds) =>
        http(url, {
          method: 'PATCH',
          headers,
          duration: seconds,
          body: '{"axes":{"density":0.500}}',
          // Same length every time (autocannon keeps the first Content-Length): density 0.100 … 0.999.
          setupRequest: (request: Record<string, unknown>) => ({ ...request, body: patchBody.replace('%.3f', (0.1 + (n++ % 900) / 1000).toFixed(3)) }),
        }),
      pgbench: bin ? (seconds) => pgbench(bin, stack.dbUrl, patchScript, seconds) : null,
      wrk: wrkBin ? (seconds) => wrk(wrkBin, url, { method: 'PATCH', headers, body: patchBody }, seconds) : null,
    });
    print('PATCH /api/v1/brand-dna/:id (one axis; the trigger writes the version snapshot)', patch, 1);
    const [versions] = await sql<{ n: string }[]>`select count(*)::text as n from public.brand_dna_versions where brand_dna_id = ${brand.id}`;
    console.log(`  (${versions!.n} versions written)`);

    // 2. The session check: the same GET with a token that has no session_id (nothing to check);
    // three runs of each, taken in turns so that warm-up and load drift touch both alike.
    const { session_id: _checked, ...unchecked } = claims;
    const variants = { 'with the check': headers, without: { ...headers, Authorization: `Bearer ${await keys.signAccessToken(unchecked)}` } };
    const runs: Record<string, Result[]> = { 'with the check': [], without: [] };
    for (let i = 0; i < 3; i++) {
      for (const [name, variantHeaders] of Object.entries(variants)) runs[name]!.push(await http(`${api}/brand-dna/${brand.id}`, { headers: variantHeaders, duration: Math.ceil(SECONDS / 2) }));
    }
    console.log('\nSession check (GET /api/v1/brand-dna/:id; the session is looked up in the set-up statement), medians of 3 runs');
    for (const [name, results] of Object.entries(runs)) {
      console.log(`  ${name.padEnd(16)} ${median(results.map((r) => r.rps)).toFixed(0).padStart(8)} req/s   p50 ${median(results.map((r) => r.p50)).toFixed(2).padStart(7)} ms   p99 ${median(results.map((r) => r.p99)).toFixed(2).padStart(7)} ms`);
    }
    const [withCheck, without] = [runs['with the check']!, runs.without!];
    console.log(`  ratio            throughput with/without ${(median(withCheck.map((r) => r.rps)) / median(without.map((r) => r.rps))).toFixed(2)}x, p50 ${(median(withCheck.map((r) => r.p50)) / median(without.map((r) => r.p50))).toFixed(2)}x`);

    if (process.env.BENCH_API_ISOLATION !== '0') await benchIsolation(stack, sql, keys);
  } finally {
    await sql.end({ timeout: 5 });
    await stack.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Isolation: a signed-in user's reads while anonymous clients flood preset searches
// ---------------------------------------------------------------------------------------------

/** The searches that were slowest before they were bounded: stop words, short terms, typos, repetition. */
const WORST_SEARCHES = ['with', 'and', 'la', 'layoutss', 'la '.repeat(60).trim(), 'the of and with', 'a', 'serif'];
const FLOOD_CLIENTS = 12;
const MEASURE_MS = 5000;

/** `GET /workspaces` one after the other for MEASURE_MS: latencies in ms. */
async function userReads(api: string, token: string): Promise<{ latencies: number[]; bad: number }> {
  const latencies: number[] = [];
  let bad = 0;
  const until = performance.now() + MEASURE_MS;
  while (performance.now() < until) {
    const started = performance.now();
    const res = await fetch(`${api}/workspaces`, { headers: { Authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    latencies.push(performance.now() - started);
    if (res.status !== 200) bad++;
  }
  return { latencies, bad };
}

// The flood runs in a Node process of its own, as an attacker's would, so that the user's client
// measures from an event loop that is not busy with the flood's responses. It stops when its
// stdin closes and prints how many searches got which status.
const FLOOD_SCRIPT = `
const [api, addresses, clients, queries] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), JSON.parse(process.argv[4])];
let stop = false;
process.stdin.on('end', () => { stop = true; }).resume();
const statuses = {};
await Promise.all(Array.from({ length: clients }, async (_, client) => {
  for (let i = client; !stop; i++) {
    const res = await fetch(api + '/presets?q=' + encodeURIComponent(queries[i % queries.length]), { headers: { 'X-Forwarded-For': '203.0.113.' + (1 + (client % addresses)) } });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    // A client told to wait does (Retry-After), so the flood does not turn into a busy loop.
    if (res.status === 429) await new Promise((resolve) => setTimeout(resolve, 1000 * Number(res.headers.get('retry-after') ?? 1)));
  }
}));
process.stdout.write(JSON.stringify(statuses));
`;

/** FLOOD_CLIENTS clients search in a loop from `addresses` client addresses while the user reads. */
async function readsDuringFlood(api: string, token: string, addresses: number): Promise<{ latencies: number[]; bad: number; statuses: Record<string, number> }> {
  const flood = spawn(process.execPath, ['--input-type=module', '-e', FLOOD_SCRIPT, '--', api, String(addresses), String(FLOOD_CLIENTS), JSON.stringify(WORST_SEARCHES)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  flood.stdout.on('data', (chunk: Buffer) => (output += chunk));
  const ended = new Promise((resolve) => flood.on('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const during = await userReads(api, token);
  flood.stdin.end();
  await ended;
  return { ...during, statuses: JSON.parse(output || '{}') as Record<string, number> };
}

async function benchIsolation(stack: Awaited<ReturnType<typeof startStack>>, sql: postgres.Sql, keys: Awaited<ReturnType<typeof createKeyRing>>): Promise<void> {
  const started = performance.now();
  await generatePresets(sql, 100_000);
  console.log(`\n(generated 100,000 presets in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const token = await keys.signAccessToken((await signedInUser(sql, `${stack.url}/auth/v1`)).claims);
  console.log(`\nIsolation: a signed-in user's GET /workspaces (sequential, ${MEASURE_MS / 1000} s) while ${FLOOD_CLIENTS} clients flood anonymous preset searches`);
  console.log(`  queries: ${WORST_SEARCHES.map((q) => JSON.stringify(q.length > 20 ? `${q.slice(0, 12)}… (${q.length} chars)` : q)).join(', ')}`);
  // A function process of its own with the default pool, in-flight caps and statement timeouts;
  // only the rate limits are out of reach, so that what is measured is the isolation, not the 429s.
  // Then the floor: anonymous callers held to one request at a time, which leaves the pool alone
  // and shows what is left, the CPU that the flood's searches, the function and this load
  // generator share with the user on this machine.
  const settings: [string, Record<string, string>, number[]][] = [
    ['default caps', {}, [1, FLOOD_CLIENTS]],
    ['1 anonymous request in flight', { MAX_CONCURRENT_ANONYMOUS_REQUESTS: '1' }, [FLOOD_CLIENTS]],
  ];
  for (const [name, env, floods] of settings) {
    const fn = await startFunction(readFunctionDefinitions().find((d) => d.name === 'api')!, {
      ...functionEnvironment(loadConfig(), stack.url, stack.dbUrl),
      RATE_LIMIT_READ_PER_WINDOW: '1000000000',
      ...env,
    });
    try {
      const api = `${fn.upstream}/api/v1`;
      await userReads(api, token); // warm-up
      const alone = await userReads(api, token);
      console.log(`  ${name}:`);
      console.log(`    alone                    p50 ${percentile(alone.latencies, 0.5).toFixed(1).padStart(7)} ms   p95 ${percentile(alone.latencies, 0.95).toFixed(1).padStart(7)} ms   (${alone.latencies.length} requests)`);
      for (const addresses of floods) {
        const during = await readsDuringFlood(api, token, addresses);
        const label = addresses === 1 ? 'flood from 1 address' : `flood from ${addresses} addresses`;
        const flooded = Object.entries(during.statuses).map(([status, n]) => `${status}×${n}`).join(' ');
        const ratio = percentile(during.latencies, 0.95) / percentile(alone.latencies, 0.95);
        console.log(`    ${label.padEnd(24)} p50 ${percentile(during.latencies, 0.5).toFixed(1).padStart(7)} ms   p95 ${percentile(during.latencies, 0.95).toFixed(1).padStart(7)} ms   (${during.latencies.length} requests${during.bad ? `, ${during.bad} not 200` : ''}; searches: ${flooded})`);
        console.log(`    ${''.padEnd(24)} p95 ratio ${ratio.toFixed(2)}x (goal ≤ 2x)${ratio <= 2 ? '' : '  ← above goal'}`);
      }
    } finally {
      await fn.stop();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bench();
  process.exit(0);
}
