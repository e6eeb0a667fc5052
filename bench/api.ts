// API benchmark: the REST API in Deno against the same transaction run by pgbench on the same
// database. GET /api/v1/brand-dna/:id (verify the token, rate-limit, one transaction: role + claims,
// the select) and PATCH of one axis (plus its version snapshot by trigger), each at 32 concurrent
// connections (autocannon) vs 32 pgbench clients. Prints requests/s, p50, p99 and the ratio
// (goal: the API at ≥ 40 % of pgbench). Prints, never asserts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createKeyRing } from '../local/jwt.ts';
import { startStack } from '../local/stack.ts';

const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

interface AutocannonResult {
  requests: { average: number; total: number };
  statusCodeStats?: Record<string, { count: number }>;
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A text literal pgbench will not mistake for `:variables` (JSON is full of colons). */
function textWithoutColons(value: string): string {
  return `convert_from(decode('${Buffer.from(value).toString('base64')}', 'base64'), 'utf8')`;
}

/** Runs a pgbench script at CONNECTIONS clients; latencies from its per-transaction log. */
async function pgbench(bin: string, dbUrl: string, script: string): Promise<Result> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'api-bench-'));
  try {
    const file = path.join(dir, 'script.sql');
    await writeFile(file, script);
    const args = ['-n', '-M', 'extended', '-c', String(CONNECTIONS), '-j', String(Math.min(CONNECTIONS, os.cpus().length)), '-T', String(SECONDS), '-f', file, '-l', `--log-prefix=${path.join(dir, 'log')}`, dbUrl];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`pgbench exited ${code}:\n${text}`))));
    });
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? NaN);
    const latencies: number[] = [];
    for (const name of await readdir(dir)) {
      if (!name.startsWith('log')) continue;
      for (const line of (await readFile(path.join(dir, name), 'utf8')).split('\n')) {
        const micros = Number(line.split(' ')[2]);
        if (Number.isFinite(micros) && line) latencies.push(micros / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    const failed = /number of failed transactions: (\d+)/.exec(output)?.[1];
    return { rps: tps, p50: percentile(latencies, 50), p99: percentile(latencies, 99), ...(failed && failed !== '0' ? { note: `${failed} failed` } : {}) };
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

function print(title: string, api: Result, baseline: Result | null): void {
  const row = (name: string, r: Result) =>
    `  ${name.padEnd(10)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms${r.note ? `   (${r.note})` : ''}`;
  console.log(`\n${title}`);
  console.log(row('API', api));
  if (baseline) {
    console.log(row('pgbench', baseline));
    const ratio = api.rps / baseline.rps;
    console.log(`  ratio      API at ${(ratio * 100).toFixed(0)} % of pgbench (goal ≥ 40 %)${ratio >= 0.4 ? '' : '  ← below goal'}`);
  }
}

export async function bench(): Promise<void> {
  const bin = pgbenchPath();
  const stack = await startStack({
    ephemeral: true,
    // The benchmark measures throughput, not the limiter's verdicts: limits out of reach (the
    // limiter itself still runs on every request).
    overrides: { functionEnv: { RATE_LIMIT_READ_PER_MINUTE: '1000000000', RATE_LIMIT_WRITE_PER_MINUTE: '1000000000' } },
  });
  const sql = postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
  try {
    const [user] = await sql<{ id: string; email: string }[]>`
      insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, created_at, updated_at)
      values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'bench@example.com',
              '{"provider":"email","providers":["email"]}', '{}', now(), now(), now())
      returning id, email`;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: `${stack.url}/auth/v1`, sub: user!.id, aud: 'authenticated', exp: now + 3600, iat: now, email: user!.email, phone: '',
      app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: {}, role: 'authenticated', aal: 'aal1',
      amr: [{ method: 'password', timestamp: now }], session_id: crypto.randomUUID(), is_anonymous: false,
    };
    const token = await (await createKeyRing(stack.config)).signAccessToken(claims);
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
    console.log(`API straight to the function in Deno (${stack.functionUrls.api}), ${CONNECTIONS} connections, ${SECONDS} s each; pgbench ${bin ?? 'missing'} at ${CONNECTIONS} clients.`);
    if (!bin) console.log('pgbench not found: install it with `apt-get install postgresql-client-15` (Debian) or set PGBENCH=/path/to/pgbench.');

    // The transaction the API runs for each request, as pgbench sees it.
    const setCaller = `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${textWithoutColons(JSON.stringify(claims))}, true),
  set_config('request.jwt.claim.sub', ${sqlString(user!.id)}, true), set_config('request.jwt.claim.role', 'authenticated', true),
  set_config('request.method', 'GET', true), set_config('request.path', '/api/v1/brand-dna', true), set_config('statement_timeout', '8000', true);`.replace(/\n/g, ' ');

    // Warm-up (JIT, pools, caches).
    await http(`${api}/brand-dna/${brand.id}`, { headers, duration: 2 });

    const getApi = await http(`${api}/brand-dna/${brand.id}`, { headers });
    const getDb = bin ? await pgbench(bin, stack.dbUrl, `BEGIN;\n${setCaller}\nselect * from public.brand_dna where id = '${brand.id}';\nCOMMIT;\n`) : null;
    print(`GET /api/v1/brand-dna/:id`, getApi, getDb);

    let n = 0;
    const patchApi = await http(`${api}/brand-dna/${brand.id}`, {
      method: 'PATCH',
      headers,
      body: '{"axes":{"density":0.500}}',
      // Same length every time (autocannon keeps the first Content-Length): density 0.100 … 0.999.
      setupRequest: (request: Record<string, unknown>) => ({ ...request, body: `{"axes":{"density":${(0.1 + (n++ % 900) / 1000).toFixed(3)}}}` }),
    });
    const patchDb = bin
      ? await pgbench(
          bin,
          stack.dbUrl,
          `\\set d random(0, 999)\nBEGIN;\n${setCaller.replace("'GET'", "'PATCH'")}\nupdate public.brand_dna set density = :d / 1000.0 where id = '${brand.id}' returning *;\nCOMMIT;\n`,
        )
      : null;
    print('PATCH /api/v1/brand-dna/:id (one axis; the trigger writes the version snapshot)', patchApi, patchDb);
    const [versions] = await sql<{ n: string }[]>`select count(*)::text as n from public.brand_dna_versions where brand_dna_id = ${brand.id}`;
    console.log(`  (${versions!.n} versions written)`);
  } finally {
    await sql.end({ timeout: 5 });
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bench();
  process.exit(0);
}
