// The newcomer's path: `npm start` as a child process, wait until it is ready, sign up with the
// real supabase-js client, call the API with the session, then Ctrl-C and check nothing is left.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_KEYS, ROOT } from '../../local/config.ts';
import { assertPortFree, freePort, removeDir } from '../../local/db.ts';

const external = inject('stack').external;

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves when ready; rejects with the output when the process exits first. */
  ready: Promise<void>;
  stop(): Promise<number | null>;
}

function npmStart(env: Record<string, string>, args: string[] = []): Started {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/start.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, SUPABASE_DB_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => output.includes('Press Ctrl-C to stop') && (clearInterval(timer), resolve()), 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`npm start exited (${code}):\n${output}`));
    });
  });
  ready.catch(() => {});
  return {
    child,
    output: () => output,
    ready,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

describe.skipIf(external)('npm start', () => {
  const dataDir = path.join(ROOT, '.data', `newcomer-${randomBytes(4).toString('hex')}`);
  const running: Started[] = [];

  afterAll(async () => {
    for (const started of running) if (started.child.exitCode === null) started.child.kill('SIGKILL');
    await removeDir(dataDir);
  });

  it('boots, serves Auth and the API to supabase-js, stops cleanly on Ctrl-C, and restarts with its data', async () => {
    const apiPort = await freePort();
    const dbPort = await freePort();
    const env = { STACK_API_PORT: String(apiPort), STACK_DB_PORT: String(dbPort), STACK_DATA_DIR: dataDir };
    const first = npmStart(env);
    running.push(first);
    await first.ready;

    const url = `http://127.0.0.1:${apiPort}`;
    expect(first.output()).toContain(`API URL: ${url}`);
    expect(first.output()).toContain(`DB URL: postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`);
    expect(first.output()).toContain(DEFAULT_KEYS.anonKey);
    expect(first.output()).toContain(DEFAULT_KEYS.publishableKey);

    const supabase = createClient(url, DEFAULT_KEYS.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    const email = `newcomer-${randomBytes(4).toString('hex')}@example.com`;
    const { data, error } = await supabase.auth.signUp({ email, password: 'correct horse battery' });
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeTruthy();

    const res = await fetch(`${url}/functions/v1/api/v1/workspaces`, {
      headers: { apikey: DEFAULT_KEYS.publishableKey, Authorization: `Bearer ${data.session!.access_token}` },
    });
    expect(res.status).toBe(200);

    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('Stopped.');
    await assertPortFree(apiPort);
    await assertPortFree(dbPort);

    // A second start keeps the data and applies no migration again.
    const second = npmStart(env);
    running.push(second);
    await second.ready;
    expect(second.output()).toMatch(/migrations and seed .*\(up to date\)/);
    const signIn = await supabase.auth.signInWithPassword({ email, password: 'correct horse battery' });
    expect(signIn.error).toBeNull();
    expect(await second.stop()).toBe(0);
  }, 120_000);

  it('fails with a clear message when its port is taken', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      const started = npmStart({ STACK_API_PORT: String(port), STACK_DB_PORT: String(await freePort()), STACK_DATA_DIR: dataDir });
      running.push(started);
      await expect(started.ready).rejects.toThrow(`API gateway port ${port} is already in use`);
      expect(started.child.exitCode).toBe(1);
    } finally {
      blocker.close();
    }
  });

  it('refuses a flag it does not know (a typo) before it starts anything', async () => {
    const started = npmStart({ STACK_API_PORT: String(await freePort()), STACK_DB_PORT: String(await freePort()), STACK_DATA_DIR: dataDir }, ['--rest']);
    running.push(started);
    try {
      await expect(started.ready).rejects.toThrow("Unknown option '--rest'");
      expect(started.child.exitCode).toBe(2);
      expect(started.output()).toContain('Usage: npm start');
      expect(started.output()).not.toContain('postgres');
    } finally {
      await started.stop();
    }
  });
});
