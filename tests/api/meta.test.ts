// The API's own surface: health, the OpenAPI document (valid, generated from the same registry the
// app serves, covering every route), the /docs page, docs/API.md being current, 404/405, request
// ids and security headers on successes and errors.
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/api/openapi.ts';
import { routes } from '../../functions/api/routes/index.ts';
import { API_DOC_PATH, currentApiMarkdown } from '../../scripts/gen-api-docs.ts';
import { API, call, closeDb, createUser, expectProblem, expectSecurityHeaders, expectStatus, ZERO_UUID } from './helpers.ts';

afterAll(closeDb);

describe('health', () => {
  it('answers without a token, with the database checked', async () => {
    const res = await call('/health');
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'ok' });
    expectSecurityHeaders(res.headers);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) expect(res.headers.get(name)).toMatch(/^\d+$/);
  });
});

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document, the same one the registry builds', async () => {
    const res = await call('/openapi.json');
    expectStatus(res, 200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(routes))));
    await SwaggerParser.validate(structuredClone(res.body));
  });

  it('documents every route the app serves, each with its status codes, and serves every documented one', async () => {
    const doc = (await call('/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown>; operationId: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    const served = routes.map((r) => `${r.method.toUpperCase()} /api${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual(served.sort());
    expect(new Set(routes.map((r) => r.operationId)).size).toBe(routes.length);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses);
        expect(statuses.some((s) => s.startsWith('2')), `${method} ${path} has a success status`).toBe(true);
        expect(statuses, `${method} ${path} documents 429`).toContain('429');
        // The route is really served: a request with placeholder ids reaches it (no 404 "no route", no 405).
        const url = path.replace(/^\/api\/v1/, '').replace('{n}', '1').replace(/\{[A-Za-z]+\}/g, ZERO_UUID);
        const res = await call(url, { method: method.toUpperCase() });
        expect(res.status, `${method} ${path}`).not.toBe(405);
        if (res.status === 404) expect(res.body.detail).not.toMatch(/no route/);
        expect(statuses, `${method} ${path} answered ${res.status} without documenting it`).toContain(String(res.status));
      }
    }
  });

  it('docs/API.md is generated from the current document (run `npm run docs:api`)', () => {
    expect(readFileSync(API_DOC_PATH, 'utf8')).toBe(currentApiMarkdown());
  });

  it('/docs is a self-contained HTML page with a strict CSP', async () => {
    const res = await call('/docs');
    expectStatus(res, 200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|script-src/);
    expect(res.text).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)[^"' ]*\.(js|css)|@import|<link[^>]+stylesheet/);
    for (const route of routes) expect(res.text).toContain(`id="${route.operationId}"`);
    // Hosted Supabase shows it as text/plain on *.supabase.co: the page says where else to look.
    expect(res.text).toMatch(/supabase\.co<\/code> domain serves HTML from Edge Functions as <code>text\/plain<\/code>.*docs\/API\.md/);
    expectSecurityHeaders(res.headers);
    // The CSP hash really matches the inline style.
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)![1]!;
    const { createHash } = await import('node:crypto');
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });
});

describe('routing and errors', () => {
  it('unknown routes are 404 problems; wrong methods 405 with Allow', async () => {
    expectProblem(await call('/nope'), 404, 'not_found');
    expectProblem(await call('/brand-dna/x/y/z'), 404);
    const wrong = await call('/health', { method: 'DELETE' });
    expectProblem(wrong, 405, 'method_not_allowed');
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const put = await call('/workspaces', { method: 'PUT', body: {} });
    expectProblem(put, 405);
    expect(put.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
    // Outside the /api base path too.
    const root = await call('/', { base: API.replace(/\/api\/v1$/, '') });
    expectProblem(root, 404, 'not_found');
    const options = await fetch(`${API}/brand-dna/${ZERO_UUID}`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toContain('PATCH');
    // A plain OPTIONS (no preflight) is checked like any request: a bad token is a 401 problem.
    expectProblem(await call(`/brand-dna/${ZERO_UUID}`, { method: 'OPTIONS', as: 'bad.token.here' }), 401, 'invalid_token');
  });

  it('honours a sane X-Request-Id and replaces anything else', async () => {
    const sane = await call('/health', { headers: { 'X-Request-Id': 'client-req-12345' } });
    expect(sane.headers.get('x-request-id')).toBe('client-req-12345');
    const insane = await call('/nope', { headers: { 'X-Request-Id': 'bad id with spaces <script>' } });
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(insane.body.requestId).toBe(insane.headers.get('x-request-id'));
  });

  it('security headers on successes and on every kind of error', async () => {
    const user = await createUser();
    const responses = [
      await call('/health'),
      await call('/workspaces', { as: user }),
      await call('/workspaces'), // 401
      await call(`/workspaces/${ZERO_UUID}`, { as: user }), // 404
      await call('/workspaces', { method: 'POST', as: user, body: { nope: 1 } }), // 422
      await call('/workspaces', { method: 'POST', as: user, raw: '{', headers: { 'Content-Type': 'application/json' } }), // 400
      await call('/health', { method: 'POST' }), // 405
      await call('/health', { as: 'bad.token.here' }), // 401 even on a public route
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 401, 404, 422, 400, 405, 401]);
    for (const res of responses) {
      expectSecurityHeaders(res.headers);
      expect(res.headers.get('ratelimit-limit')).toMatch(/^\d+$/);
    }
  });
});
