// Edge Functions of the local stack: each function of supabase/config.toml runs in its own real
// Deno process (local/edge-runtime/main.ts) with the environment Supabase gives a function.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT, readSupabaseToml, type LocalConfig } from './config.ts';
import { freePort, StackError } from './db.ts';

export interface FunctionDefinition {
  name: string;
  /** Absolute path of the entry module. */
  entrypoint: string;
  /** Absolute path of the deno.json / import map. */
  importMap?: string;
  verifyJwt: boolean;
}

export interface RunningFunction extends FunctionDefinition {
  /** Where the gateway forwards `/functions/v1/<name>/...` to (path kept as `/<name>/...`); read it per request. */
  readonly upstream: string;
  stop(): Promise<void>;
}

export interface FunctionProcess extends RunningFunction {
  /** The Deno process serving it now (a new one after a restart). */
  readonly pid: number;
}

/** `[functions.NAME]` sections of supabase/config.toml; paths are relative to supabase/. */
export function readFunctionDefinitions(toml = readSupabaseToml()): FunctionDefinition[] {
  const sections = (toml.functions ?? {}) as Record<string, Record<string, unknown>>;
  const supabaseDir = path.join(ROOT, 'supabase');
  return Object.entries(sections)
    .filter(([, section]) => section.enabled !== false)
    .map(([name, section]) => ({
      name,
      entrypoint: path.resolve(supabaseDir, String(section.entrypoint ?? `./functions/${name}/index.ts`)),
      importMap: typeof section.import_map === 'string' ? path.resolve(supabaseDir, section.import_map) : undefined,
      verifyJwt: section.verify_jwt !== false,
    }));
}

export function denoBin(): string {
  return path.join(ROOT, 'node_modules', '.bin', 'deno');
}

/** The environment a deployed function sees, pointed at the local stack. */
export function functionEnvironment(config: LocalConfig, supabaseUrl: string, dbUrl: string): Record<string, string> {
  const { d: _private, ...publicKey } = config.signingKey;
  const secretAsJwk = { kty: 'oct', k: Buffer.from(config.jwtSecret).toString('base64url'), alg: 'HS256' };
  return {
    SUPABASE_URL: supabaseUrl,
    SUPABASE_ANON_KEY: config.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: config.serviceRoleKey,
    SUPABASE_DB_URL: dbUrl,
    SUPABASE_JWT_SECRET: config.jwtSecret,
    SUPABASE_JWKS: JSON.stringify({ keys: [{ ...publicKey, use: 'sig', key_ops: ['verify'] }, secretAsJwk] }),
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: config.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: config.secretKey }),
    CORS_ALLOWED_ORIGINS: config.corsOrigins.join(','),
    ...config.functionEnv,
  };
}

/** Starts one function in Deno on a free loopback port and waits until it listens. */
export async function startFunction(
  fn: FunctionDefinition,
  env: Record<string, string>,
  log?: (line: string) => void,
): Promise<FunctionProcess> {
  // Like the edge runtime, which starts a new worker when one dies: a process that exits on its own
  // is started again on the same port (so the gateway and direct callers keep their address), and
  // the log says so.
  const notice = log ?? ((line: string) => console.error(`[function ${fn.name}] ${line}`));
  let port = await freePort();
  let current = await spawnFunction(fn, env, port, log);
  let stopping = false;

  const watch = (child: ChildProcess, startedAt: number) =>
    child.once('exit', (code, signal) => {
      if (stopping) return;
      // One that dies right after starting (a broken function) is not retried in a tight loop.
      const delay = Date.now() - startedAt < 5000 ? 2000 : 100;
      notice(JSON.stringify({ level: 'error', msg: `function ${fn.name} exited (code ${code}, signal ${signal}); restarting in ${delay} ms` }));
      setTimeout(() => void restart(), delay);
    });

  async function restart(): Promise<void> {
    if (stopping) return;
    try {
      current = await spawnFunction(fn, env, port, log);
    } catch (err) {
      // Maybe the port was taken meanwhile: the next attempt takes a fresh one (the gateway reads `upstream` per request).
      notice(JSON.stringify({ level: 'error', msg: `function ${fn.name} failed to restart (${(err as Error).message.split('\n')[0]}); trying again in 2000 ms` }));
      port = await freePort();
      setTimeout(() => void restart(), 2000);
      return;
    }
    notice(JSON.stringify({ level: 'info', msg: `function ${fn.name} restarted`, pid: current.pid, port }));
    if (stopping) current.kill('SIGTERM');
    else watch(current, Date.now());
  }
  watch(current, Date.now());

  return {
    ...fn,
    get upstream() {
      return `http://127.0.0.1:${port}`;
    },
    get pid() {
      return current.pid!;
    },
    async stop() {
      stopping = true;
      const child = current;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One Deno process serving the function on `port`; resolves once it listens. */
async function spawnFunction(fn: FunctionDefinition, env: Record<string, string>, port: number, log?: (line: string) => void): Promise<ChildProcess> {
  const args = ['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', '--no-prompt'];
  if (fn.importMap) args.push('--config', fn.importMap);
  args.push(path.join(ROOT, 'local', 'edge-runtime', 'main.ts'), fn.entrypoint);
  // The function logs a line per request on stdout. Without a log sink it goes to /dev/null: a pipe
  // nobody drains fast enough would block the function's writes (and its requests) under load.
  const child: ChildProcess = spawn(denoBin(), args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DENO_DIR: process.env.DENO_DIR ?? '', NO_COLOR: '1', ...env, PORT: String(port) },
    stdio: ['ignore', log ? 'pipe' : 'ignore', 'pipe'],
  });
  let output = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-8000);
    if (log) for (const line of text.split('\n')) if (line.trim()) log(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', function onStartup() {
      if (!output.includes('edge-runtime listening')) return;
      child.stderr?.removeListener('data', onStartup);
      resolve();
    });
    child.once('exit', (code) => reject(new StackError(`function ${fn.name} exited (code ${code}) before listening:\n${output.trim()}`)));
    child.once('error', (err) => reject(new StackError(`cannot start Deno for function ${fn.name}: ${err.message}`)));
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
  try {
    await ready;
  } finally {
    clearTimeout(timeout);
  }
  return child;
}
