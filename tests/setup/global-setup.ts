// Vitest global set-up: one throw-away local stack (Postgres, Auth, Realtime, the API in Deno, the
// gateway) on free ports for the whole run, removed afterwards. Suites read it with
// `inject('stack')`. With SUPABASE_URL, SUPABASE_ANON_KEY and SUPABASE_SERVICE_ROLE_KEY set (e.g.
// after `supabase start`), the suites run against that stack instead.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { DEFAULT_KEYS } from '../../local/config.ts';
import { startStack } from '../../local/stack.ts';

export interface StackInfo {
  /** SUPABASE_URL (the gateway). */
  url: string;
  dbUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  jwtSecret: string;
  /** Base of the REST API (`…/api/v1`), straight to the function in Deno; through the gateway when external. */
  apiUrl: string;
  /** True when the suites run against an external Supabase stack. */
  external: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  if (env.SUPABASE_URL && env.SUPABASE_ANON_KEY && env.SUPABASE_SERVICE_ROLE_KEY) {
    project.provide('stack', {
      url: env.SUPABASE_URL,
      dbUrl: env.SUPABASE_DB_URL ?? 'postgresql://postgres:postgres@127.0.0.1:54322/postgres',
      anonKey: env.SUPABASE_ANON_KEY,
      serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
      publishableKey: env.SUPABASE_PUBLISHABLE_KEY ?? DEFAULT_KEYS.publishableKey,
      secretKey: env.SUPABASE_SECRET_KEY ?? DEFAULT_KEYS.secretKey,
      jwtSecret: env.SUPABASE_JWT_SECRET ?? DEFAULT_KEYS.jwtSecret,
      apiUrl: `${env.SUPABASE_URL}/functions/v1/api/v1`,
      external: true,
    });
    return async () => {};
  }
  // Every suite's client comes from 127.0.0.1, so Auth's per-address limits would add up across the
  // whole run: they are off here, as under `supabase start`; tests/auth/rate-limits.test.ts turns
  // them on for a service of its own.
  const stack = await startStack({ ephemeral: true, overrides: { auth: { rateLimits: null } } });
  const { config } = stack;
  project.provide('stack', {
    url: stack.url,
    dbUrl: stack.dbUrl,
    anonKey: config.anonKey,
    serviceRoleKey: config.serviceRoleKey,
    publishableKey: config.publishableKey,
    secretKey: config.secretKey,
    jwtSecret: config.jwtSecret,
    apiUrl: `${stack.functionUrls.api}/api/v1`,
    external: false,
  });
  return () => stack.stop();
}
