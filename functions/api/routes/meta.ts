// Health, the OpenAPI document and the docs page.
import * as z from 'zod';
import { HealthSchema } from '../../../sdk/src/contract.ts';
import { HOSTED_HTML_NOTE, renderDocsHtml } from '../docs-html.ts';
import { json, route, type RouteSpec } from '../registry.ts';

const TAG = 'Meta';

/** Marker schema for the OpenAPI document itself (an arbitrary JSON object). */
export const OpenApiDocumentSchema = z.record(z.string(), z.unknown()).meta({ id: 'OpenApiDocument', description: 'An OpenAPI 3.1 document.' });

// Rendered once per document.
const openapiTexts = new WeakMap<object, string>();
const docsPages = new WeakMap<object, Promise<{ html: string; csp: string }>>();

export const metaRoutes: RouteSpec[] = [
  route({
    method: 'get',
    path: '/v1/health',
    operationId: 'health',
    summary: 'Liveness and database check',
    description: 'No authentication. 503 when the database does not answer.',
    tag: TAG,
    auth: 'none',
    responses: { 200: { description: 'Up.', schema: HealthSchema } },
    async handler({ services }) {
      // A failure is a 503 database_unavailable (problems.ts).
      await services.pool.run((sql) => sql`select 1`);
      return json({ status: 'ok', database: 'ok', time: new Date().toISOString() });
    },
  }),
  route({
    method: 'get',
    path: '/v1/openapi.json',
    operationId: 'openapi',
    summary: 'The OpenAPI 3.1 document of this API',
    tag: TAG,
    auth: 'none',
    responses: { 200: { description: 'The document.', schema: OpenApiDocumentSchema } },
    async handler({ services }) {
      const doc = services.openapi();
      let text = openapiTexts.get(doc);
      if (!text) openapiTexts.set(doc, (text = JSON.stringify(doc)));
      return new Response(text, { headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300' } });
    },
  }),
  route({
    method: 'get',
    path: '/v1/docs',
    operationId: 'docs',
    summary: 'Human-readable API reference (HTML)',
    description: `A self-contained page generated from the OpenAPI document: no scripts, no external assets. ${HOSTED_HTML_NOTE}`,
    tag: TAG,
    auth: 'none',
    responses: { 200: { description: 'The page.', contentType: 'text/html' } },
    async handler({ services }) {
      const doc = services.openapi();
      let page = docsPages.get(doc);
      if (!page) docsPages.set(doc, (page = renderDocsHtml(doc)));
      const { html, csp } = await page;
      return new Response(html, {
        headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp, 'Cache-Control': 'public, max-age=300' },
      });
    },
  }),
];
