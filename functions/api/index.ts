// The /api/v1 REST API of Tekton Studio: one Hono app (app.ts), served by the Edge Runtime. Bad
// settings stop it here, at boot, with the names of the variables at fault (before errors are
// caught and logged to keep a running function serving).
import { readConfig } from '../_shared/config.ts';
import { keepServingOnUnhandledErrors } from '../_shared/http.ts';
import { createApp } from './app.ts';

const config = readConfig(
  (name) => Deno.env.get(name),
  (warning) => console.warn(JSON.stringify({ level: 'warn', msg: warning, time: new Date().toISOString() })),
);
keepServingOnUnhandledErrors();
const app = createApp({ config });

Deno.serve(app.fetch);
