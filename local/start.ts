// `npm start`: the Docker-less stand-in for `supabase start`. `npm run reset` (--reset) starts over
// from an empty database. Ctrl-C stops everything.
import { parseArgs } from 'node:util';
import { loadConfig } from './config.ts';
import { removeDir, StackError } from './db.ts';
import { startStack, type Stack } from './stack.ts';

const USAGE = `Usage: npm start [-- --reset] [--verbose]
  --reset    start over from an empty database (npm run reset)
  --verbose  print the log lines of Postgres, Auth, Realtime and the functions`;

function parseFlags(): { reset: boolean; verbose: boolean } {
  try {
    const { values } = parseArgs({ strict: true, options: { reset: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean' } } });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    return { reset: values.reset ?? false, verbose: values.verbose ?? false };
  } catch (err) {
    // A typo must not start a stack that quietly ignores it. parseArgs says what it refused.
    console.error(`npm start: ${err instanceof Error ? err.message.split('. ')[0] : String(err)}\n${USAGE}`);
    process.exit(2);
  }
}

const { reset, verbose } = parseFlags();
const config = loadConfig({}, { env: process.env });

function printReady(stack: Stack): void {
  const { config: c } = stack;
  const rows: [string, string][] = [
    ['API URL', stack.url],
    ['REST API (Edge Function)', `${stack.url}/functions/v1/api/v1`],
    ['API docs', `${stack.url}/functions/v1/api/v1/docs`],
    ['DB URL', stack.dbUrl],
    ['Realtime', `${stack.url.replace('http', 'ws')}/realtime/v1/websocket`],
    ['JWT secret', c.jwtSecret],
    ['anon key', c.anonKey],
    ['service_role key', c.serviceRoleKey],
    ['Publishable key', c.publishableKey],
    ['Secret key', c.secretKey],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\nTekton Studio local stack is running.\n');
  for (const [key, value] of rows) console.log(`${key.padStart(width)}: ${value}`);
  console.log('\nPress Ctrl-C to stop.');
}

async function main(): Promise<void> {
  const started = performance.now();
  if (reset && !config.dbUrl) {
    console.log(`Removing ${config.dataDir} (reset)`);
    await removeDir(config.dataDir);
  }
  const stack = await startStack({
    env: process.env,
    onStep: (step, ms, detail) => console.log(`  ✓ ${step.padEnd(20)} ${ms.toFixed(0).padStart(6)} ms${detail ? `  (${detail})` : ''}`),
    log: verbose ? (source, line) => console.log(`[${source}] ${line.trimEnd()}`) : undefined,
  });
  console.log(`Ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  printReady(stack);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`\nnpm start failed: ${err instanceof StackError ? err.message : err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
