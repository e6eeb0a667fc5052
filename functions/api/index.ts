// The /api/v1 REST API of Tekton Studio (one Hono app, mounted under the function name).
import { Hono } from 'hono';

const app = new Hono().basePath('/api');
app.get('/v1/health', (c) => c.json({ status: 'ok' }));

Deno.serve(app.fetch);
