// Auth stand-in throughput through the gateway: password sign-ins and refresh-token rotations with
// plain fetch, each against a baseline measured in the same run (bcrypt compares on the same worker
// pool for sign-in; GET /.well-known/jwks.json, the cheapest Auth route, for refresh); and failed
// sign-ins for an unknown e-mail against wrong passwords for a real account, whose latencies should
// match (no account oracle). Prints, never asserts time.
import { startStack } from '../local/stack.ts';
import { createPasswordHasher } from '../local/auth/passwords.ts';
import { median, percentile } from './stats.ts';

const SIGN_INS = 500;
const FAILED_SIGN_INS = 200;
const REFRESHES = 2000;
const JWKS_CALLS = 4000;
const CONCURRENCY = 16;
const PASSWORD = 'bench-password-1';

interface Result {
  label: string;
  count: number;
  ms: number;
  latencies: number[];
}

/** Runs `count` calls of `task`, `concurrency` at a time, timing each. */
async function measure(
  label: string,
  count: number,
  concurrency: number,
  task: (i: number, lane: number) => Promise<void>,
): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await task(i, lane);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { label, count, ms: performance.now() - started, latencies };
}

const rps = (r: Result) => (r.count / r.ms) * 1000;

function report(r: Result): void {
  console.log(
    `  ${r.label.padEnd(34)} ${String(r.count).padStart(5)} req  ${rps(r).toFixed(1).padStart(8)} req/s  ` +
      `p50 ${percentile(r.latencies, 0.5).toFixed(1).padStart(7)} ms  p95 ${percentile(r.latencies, 0.95).toFixed(1).padStart(7)} ms`,
  );
}

async function post(url: string, headers: Record<string, string>, body: unknown, expected = 200): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== expected) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

export async function bench(): Promise<void> {
  // Throughput, not the limiter's verdicts: one client address would use up [auth.rate_limit] at once.
  const stack = await startStack({ ephemeral: true, functions: false, overrides: { auth: { rateLimits: null } } });
  try {
    const auth = `${stack.url}/auth/v1`;
    const { anonKey, serviceRoleKey } = stack.config;
    const headers = { apikey: anonKey, Authorization: `Bearer ${anonKey}`, 'X-Supabase-Api-Version': '2024-01-01' };
    const email = `bench-${Date.now()}@example.com`;
    await post(
      `${auth}/admin/users`,
      { ...headers, Authorization: `Bearer ${serviceRoleKey}` },
      { email, password: PASSWORD, email_confirm: true },
    );
    const signInOnce = () =>
      post(`${auth}/token?grant_type=password`, headers, { email, password: PASSWORD, gotrue_meta_security: {} });

    // Warm-up: connections, JIT, the bcrypt workers.
    for (let i = 0; i < 8; i++) await signInOnce();

    // Baselines first, on the same machine and in the same process as the service.
    const hasher = createPasswordHasher();
    const hash = await hasher.hash(PASSWORD);
    await Promise.all(Array.from({ length: 8 }, () => hasher.verify(PASSWORD, hash)));
    const bcryptBaseline = await measure('bcrypt compare (worker pool)', SIGN_INS, CONCURRENCY, async () => {
      if (!(await hasher.verify(PASSWORD, hash))) throw new Error('bcrypt baseline failed');
    });
    await hasher.close();
    const jwksBaseline = await measure('GET /.well-known/jwks.json', JWKS_CALLS, CONCURRENCY, async () => {
      const res = await fetch(`${auth}/.well-known/jwks.json`, { headers });
      if (res.status !== 200) throw new Error(`jwks answered ${res.status}`);
      await res.arrayBuffer();
    });

    const signIns = await measure('POST /token?grant_type=password', SIGN_INS, CONCURRENCY, async () => {
      await signInOnce();
    });

    // Each lane rotates its own session's chain, as one client would.
    const chains: string[] = [];
    for (let lane = 0; lane < CONCURRENCY; lane++) chains.push((await signInOnce()).refresh_token as string);
    const refreshes = await measure('POST /token?grant_type=refresh_token', REFRESHES, CONCURRENCY, async (_, lane) => {
      const session = await post(`${auth}/token?grant_type=refresh_token`, headers, { refresh_token: chains[lane] });
      chains[lane] = session.refresh_token as string;
    });

    // One at a time and alternating, so both kinds see the same load: their p50s should match.
    const wrongPassword: Result = { label: 'wrong password, real account', count: FAILED_SIGN_INS, ms: 0, latencies: [] };
    const unknownEmail: Result = { label: 'unknown e-mail', count: FAILED_SIGN_INS, ms: 0, latencies: [] };
    for (let i = 0; i < FAILED_SIGN_INS * 2; i++) {
      const [result, address] = i % 2 === 0 ? [wrongPassword, email] : [unknownEmail, `nobody-${i}-${Date.now()}@example.com`];
      const t0 = performance.now();
      await post(`${auth}/token?grant_type=password`, headers, { email: address, password: `wrong-${i}` }, 400);
      const ms = performance.now() - t0;
      result.latencies.push(ms);
      result.ms += ms;
    }

    console.log(`\n## Auth stand-in (concurrency ${CONCURRENCY}, through the gateway)`);
    report(bcryptBaseline);
    report(signIns);
    console.log(`  ratio sign-in / bare bcrypt throughput:  ${(rps(signIns) / rps(bcryptBaseline)).toFixed(2)}x`);
    report(jwksBaseline);
    report(refreshes);
    console.log(`  ratio refresh / JWKS throughput:         ${(rps(refreshes) / rps(jwksBaseline)).toFixed(2)}x`);
    console.log('  failed sign-ins, one at a time (no account oracle: the p50s should match)');
    report(wrongPassword);
    report(unknownEmail);
    const p50 = (r: Result) => median(r.latencies);
    console.log(`  ratio p50 unknown e-mail / wrong password: ${(p50(unknownEmail) / p50(wrongPassword)).toFixed(2)}x`);
  } finally {
    await stack.stop();
  }
}

// `tsx bench/auth.ts` runs it on its own; bench/run.ts imports it.
if (import.meta.url === `file://${process.argv[1]}`) {
  bench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
