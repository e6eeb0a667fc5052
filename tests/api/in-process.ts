// The API's Hono app in the test process, on the test stack's database and Auth, with settings of
// its own: for tests of the middleware (limits, caps, CORS, settings) that do not need a Deno
// process of their own. Requests go through `app.request`; the runtime path (the process, its
// logs, restarts, faults) keeps its tests against real Deno processes.
import { readConfig } from '../../functions/_shared/config.ts';
import type { RequestLog } from '../../functions/_shared/http.ts';
import { createPool } from '../../functions/_shared/db.ts';
import { createApp } from '../../functions/api/app.ts';
import { apiEnvironment } from './helpers.ts';

export interface InProcessApi {
  /** Base of its URLs (`…/api/v1`); the host is not resolved, requests never leave the process. */
  base: string;
  request(url: string, init: RequestInit): Promise<Response>;
  /** The line each request logged. */
  logs: RequestLog[];
  close(): Promise<void>;
}

/** An app with the environment the local stack gives the function, plus `env`. */
export function inProcessApi(env: Record<string, string> = {}): InProcessApi {
  const settings = apiEnvironment(env);
  const config = readConfig((name) => settings[name]);
  const pool = createPool({ url: config.dbUrl, size: config.dbPoolSize, applicationName: config.dbApplicationName });
  const logs: RequestLog[] = [];
  const app = createApp({ config, pool, log: (entry) => logs.push(entry) });
  return {
    base: 'http://api.in-process/api/v1',
    // Deno.serve hands the socket's address to the app; here the client is this process.
    request: async (url, init) => app.request(url, init, { remoteAddr: { hostname: '127.0.0.1' } }),
    logs,
    close: () => pool.end(),
  };
}
