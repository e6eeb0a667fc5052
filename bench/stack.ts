// Time from `npm start` to ready, split by step, against the time Postgres alone takes to start.
// Runs the real entry point as a child process on free ports with a throw-away data folder.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT } from '../local/config.ts';
import { freePort, removeDir, startEmbeddedPostgres } from '../local/db.ts';
import { median } from './stats.ts';

interface StartRun {
  readyMs: number;
  steps: Record<string, number>;
}

async function timeNpmStart(): Promise<StartRun> {
  const dataDir = path.join(ROOT, '.data', `bench-start-${randomBytes(4).toString('hex')}`);
  const env = { ...process.env, STACK_API_PORT: String(await freePort()), STACK_DB_PORT: String(await freePort()), STACK_DATA_DIR: dataDir };
  const started = performance.now();
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const steps: Record<string, number> = {};
  let output = '';
  const readyMs = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(/✓ (.+?)\s+(\d+) ms/g)) steps[match[1]!.trim()] = Number(match[2]);
      if (output.includes('Press Ctrl-C to stop')) resolve(performance.now() - started);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
  await removeDir(dataDir);
  return { readyMs, steps };
}

async function timePostgresAlone(): Promise<number> {
  const dataDir = path.join(ROOT, '.data', `bench-pg-${randomBytes(4).toString('hex')}`);
  const started = performance.now();
  const db = await startEmbeddedPostgres({ port: await freePort(), dataDir, ephemeral: true });
  const ms = performance.now() - started;
  await db.stop();
  return ms;
}

export async function bench(): Promise<void> {
  const runs = 3;
  const starts: StartRun[] = [];
  const postgres: number[] = [];
  for (let i = 0; i < runs; i++) {
    postgres.push(await timePostgresAlone());
    starts.push(await timeNpmStart());
  }
  const ready = median(starts.map((s) => s.readyMs));
  const pg = median(postgres);
  console.log(`\n## npm start to ready (fresh data folder, median of ${runs})`);
  console.log(`  ready:                 ${(ready / 1000).toFixed(2)} s   (goal: under 10 s)`);
  console.log(`  Postgres alone:        ${(pg / 1000).toFixed(2)} s   (baseline, same run)`);
  console.log(`  ratio ready/Postgres:  ${(ready / pg).toFixed(1)}x`);
  const stepNames = Object.keys(starts[0]?.steps ?? {});
  for (const name of stepNames) {
    console.log(`    ${name.padEnd(22)} ${median(starts.map((s) => s.steps[name] ?? 0)).toFixed(0).padStart(6)} ms`);
  }
}
