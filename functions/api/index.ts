// The /api/v1 REST API of Tekton Studio: one Hono app (app.ts), served by the Edge Runtime.
import { readConfig } from '../_shared/config.ts';
import { keepServingOnUnhandledErrors } from '../_shared/http.ts';
import { createApp } from './app.ts';

keepServingOnUnhandledErrors();
const app = createApp({ config: readConfig((name) => Deno.env.get(name)) });

Deno.serve(app.fetch);
