// The Docker-less local stack in one call: Postgres, the platform bootstrap, migrations and seed
// (Supabase CLI), Auth, Realtime, the Edge Functions in Deno and the gateway. `npm start` and the
// test suites both use it; tests ask for an ephemeral stack on free ports.
import type { Server } from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { apiUrl, loadConfig, ROOT, type ConfigOverrides, type Environment, type LocalConfig } from './config.ts';
import {
  assertPortFree,
  bootstrapPlatform,
  freePort,
  pushMigrations,
  removeDir,
  serviceDbUrls,
  startEmbeddedPostgres,
  StackError,
  type RunningDatabase,
} from './db.ts';
import { createKeyRing } from './jwt.ts';
import { functionEnvironment, readFunctionDefinitions, startFunction, type RunningFunction } from './functions.ts';
import { createGateway } from './gateway.ts';
import { createAuthService, type AuthService } from './auth/index.ts';
import { createRealtimeService, type RealtimeService } from './realtime/index.ts';

export interface StackOptions {
  overrides?: ConfigOverrides;
  /** Environment to read settings from (STACK_API_PORT …): `npm start` passes its own; tests none. */
  env?: Environment;
  /** Free ports and a throw-away data folder, removed on stop. */
  ephemeral?: boolean;
  /** Skip the Edge Functions (database-only suites). */
  functions?: boolean;
  /** Called after each step with its duration. */
  onStep?: (step: string, ms: number, detail?: string) => void;
  log?: (source: string, line: string) => void;
}

export interface Stack {
  config: LocalConfig;
  /** `SUPABASE_URL`: the gateway. */
  url: string;
  dbUrl: string;
  /** Direct address of each Edge Function (bypassing the gateway), by name. */
  functionUrls: Record<string, string>;
  stop(): Promise<void>;
}

async function ephemeralOverrides(overrides: ConfigOverrides): Promise<ConfigOverrides> {
  return {
    apiPort: await freePort(),
    dbPort: await freePort(),
    dataDir: path.join(ROOT, '.data', `test-${process.pid}-${randomBytes(4).toString('hex')}`),
    ...overrides,
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const overrides = options.ephemeral ? await ephemeralOverrides(options.overrides ?? {}) : (options.overrides ?? {});
  const config = loadConfig(overrides, { env: options.env });
  const log = options.log;
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    stoppers.length = 0;
  };

  async function step<T>(name: string, run: () => Promise<T>, detail?: (value: T) => string): Promise<T> {
    const started = performance.now();
    const value = await run();
    options.onStep?.(name, performance.now() - started, detail?.(value));
    return value;
  }

  try {
    await assertPortFree(config.apiPort, config.host, 'API gateway port');
    let database: RunningDatabase;
    if (config.dbUrl) {
      database = { url: config.dbUrl, stop: async () => {} };
    } else {
      database = await step('postgres', () =>
        startEmbeddedPostgres({ port: config.dbPort, dataDir: config.dataDir, ephemeral: options.ephemeral, log: log && ((l) => log('postgres', l)) }),
      );
    }
    stoppers.push(async () => {
      await database.stop();
      if (options.ephemeral && !config.dbUrl) await removeDir(config.dataDir);
    });
    const dbUrl = database.url;

    await step('platform bootstrap', () => bootstrapPlatform(dbUrl), (result) => result);
    await step('migrations and seed', () => pushMigrations(dbUrl), (out) =>
      out.includes('up to date') ? 'up to date' : `${(out.match(/Applying migration/g) ?? []).length} applied`,
    );

    const keys = await createKeyRing(config);
    const url = apiUrl(config);
    // Each service logs in as its own role, as on Supabase; the API function gets `postgres`.
    const services = serviceDbUrls(dbUrl);
    const auth: AuthService = await step('auth', () => createAuthService({ config, dbUrl: services.auth, keys }));
    stoppers.push(() => auth.close());
    const realtime: RealtimeService = await step('realtime', () => createRealtimeService({ config, dbUrl: services.realtime, keys }));
    stoppers.push(() => realtime.close());

    const functions: RunningFunction[] = [];
    if (options.functions !== false) {
      const env = functionEnvironment(config, url, dbUrl);
      for (const definition of readFunctionDefinitions()) {
        const fn = await step(`function ${definition.name}`, () =>
          startFunction(definition, env, log && ((line) => log(`function ${definition.name}`, line))),
        );
        stoppers.push(() => fn.stop());
        functions.push(fn);
      }
    }

    const gateway: Server = createGateway(config, keys, { auth, realtime, functions });
    await step('gateway', () =>
      new Promise<void>((resolve, reject) => {
        gateway.once('error', (err) => reject(new StackError(`gateway cannot listen on ${config.apiPort}: ${err.message}`)));
        gateway.listen(config.apiPort, config.host, () => resolve());
      }),
    );
    stoppers.push(async () => {
      // Upgraded WebSockets still count as the gateway's connections: Realtime closes them first.
      await realtime.close();
      await new Promise<void>((resolve) => {
        gateway.closeAllConnections();
        gateway.close(() => resolve());
      });
    });

    return {
      config,
      url,
      dbUrl,
      functionUrls: Object.fromEntries(functions.map((fn) => [fn.name, fn.upstream])),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
