// The gateway of the local stack against the CLI's Kong (docs/PLATFORM.md, "The gateway",
// "verify_jwt"): routing and prefix stripping, the Authorization rewrite and key mapping,
// verify_jwt, CORS, and functions.invoke from the real supabase-js client (docs/PLATFORM.md,
// "Functions check"). The routing tests use an echo function behind a gateway of their own; the
// others go through the test stack's gateway.
import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createClient, FunctionsHttpError } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../local/config.ts';
import { createGateway } from '../../local/gateway.ts';
import { createKeyRing } from '../../local/jwt.ts';

const stack = inject('stack');
const config = loadConfig();

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function dechunk(text: string): string {
  let out = '';
  for (let at = 0; ; ) {
    const lineEnd = text.indexOf('\r\n', at);
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!size) return out;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** Sends bytes as they are (request targets and headers that fetch would refuse to send). */
function rawRequest(base: string, request: string): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const body = rest.join('\r\n\r\n');
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: headers['transfer-encoding'] === 'chunked' ? dechunk(body) : body });
    });
  });
}

function expectProblem(response: RawResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(response.body) as { status: number; code: string; detail: string; message: string };
  expect(problem).toMatchObject({ status, code });
  expect(problem.detail).toBe(problem.message);
  expect(problem.detail).not.toMatch(/TypeError|Invalid URL|at /);
}

interface Echo {
  method: string;
  url: string;
  authorization: string | null;
  apikey: string | null;
  forwardedFor: string | null;
}

describe.skipIf(stack.external)('gateway routing and rewrites', () => {
  let echo: http.Server;
  let gateway: http.Server;
  let base = '';
  let userToken = '';

  beforeAll(async () => {
    echo = http.createServer((req: IncomingMessage, res) => {
      const body: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization ?? null,
        apikey: (req.headers.apikey as string | undefined) ?? null,
        forwardedFor: (req.headers['x-forwarded-for'] as string | undefined) ?? null,
      };
      res.writeHead(req.url?.includes('fail') ? 418 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const keys = await createKeyRing(config);
    userToken = await keys.signAccessToken({ sub: '00000000-0000-4000-8000-000000000001', role: 'authenticated', aud: 'authenticated', exp: Math.floor(Date.now() / 1000) + 600 });
    const fn = (name: string, verifyJwt: boolean) => ({ name, entrypoint: '', verifyJwt, upstream, stop: async () => {} });
    gateway = createGateway(config, keys, { functions: [fn('guarded', true), fn('open', false)] });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => gateway.close(resolve));
    await new Promise((resolve) => echo.close(resolve));
  });

  async function call(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: Echo & { msg?: string } }> {
    const res = await fetch(`${base}${path}`, { method, headers });
    return { status: res.status, body: (await res.json()) as Echo & { msg?: string } };
  }

  it('strips /functions/v1 and keeps the function name, path and query', async () => {
    const { status, body } = await call('/functions/v1/open/a/b?x=1&y=2');
    expect(status).toBe(200);
    expect(body.url).toBe('/open/a/b?x=1&y=2');
  });

  it('maps sb_secret_ and sb_publishable_ keys to the service_role and anon JWTs', async () => {
    expect((await call('/functions/v1/open', { apikey: config.secretKey })).body.authorization).toBe(`Bearer ${config.serviceRoleKey}`);
    expect((await call('/functions/v1/open', { apikey: config.publishableKey })).body.authorization).toBe(`Bearer ${config.anonKey}`);
    const opaqueBearer = await call('/functions/v1/open', { apikey: config.publishableKey, Authorization: `Bearer ${config.publishableKey}` });
    expect(opaqueBearer.body.authorization).toBe(`Bearer ${config.anonKey}`);
    expect(opaqueBearer.body.apikey).toBe(config.publishableKey);
  });

  it('passes a user token through and uses a bare legacy apikey as the Authorization value', async () => {
    expect((await call('/functions/v1/open', { apikey: config.anonKey, Authorization: `Bearer ${userToken}` })).body.authorization).toBe(`Bearer ${userToken}`);
    expect((await call('/functions/v1/open', { apikey: config.anonKey })).body.authorization).toBe(config.anonKey);
  });

  it('enforces verify_jwt like the edge runtime', async () => {
    expect(await call('/functions/v1/guarded')).toMatchObject({ status: 401, body: { msg: 'Error: Missing authorization header' } });
    expect(await call('/functions/v1/guarded', { apikey: config.anonKey })).toMatchObject({ status: 401, body: { msg: "Error: Auth header is not 'Bearer {token}'" } });
    expect(await call('/functions/v1/guarded', { Authorization: `Bearer ${userToken.slice(0, -4)}AAAA` })).toMatchObject({ status: 401, body: { msg: 'Invalid JWT' } });
    const expired = await new SignJWT({ role: 'anon' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(new TextEncoder().encode(config.jwtSecret));
    expect(await call('/functions/v1/guarded', { Authorization: `Bearer ${expired}` })).toMatchObject({ status: 401, body: { msg: 'Invalid JWT' } });
    expect((await call('/functions/v1/guarded', { apikey: config.publishableKey })).status).toBe(200);
    expect((await call('/functions/v1/guarded', { Authorization: `Bearer ${userToken}` })).status).toBe(200);
    expect((await call('/functions/v1/guarded', {}, 'OPTIONS')).status).toBe(200);
  });

  it('appends the client address to X-Forwarded-For, as a proxy does', async () => {
    expect((await call('/functions/v1/open', { 'X-Forwarded-For': '203.0.113.9' })).body.forwardedFor).toBe('203.0.113.9, 127.0.0.1');
    expect((await call('/functions/v1/open')).body.forwardedFor).toBe('127.0.0.1');
  });

  it('routes an absolute-form request target like its origin form', async () => {
    const { host } = new URL(base);
    const response = await rawRequest(base, `GET ${base}/functions/v1/open/a/b?x=1 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(response.status).toBe(200);
    expect((JSON.parse(response.body) as Echo).url).toBe('/open/a/b?x=1');
  });

  it('answers malformed request targets with a 400 problem, HTTP and WebSocket alike', async () => {
    const { host } = new URL(base);
    for (const target of ['http://[bad/functions/v1/open', 'functions/v1/open', '*']) {
      expectProblem(await rawRequest(base, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), 400, 'invalid_request_target');
    }
    const upgrade = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==';
    expectProblem(await rawRequest(base, `GET http://[bad/realtime/v1/websocket HTTP/1.1\r\nHost: ${host}\r\n${upgrade}\r\n\r\n`), 400, 'invalid_request_target');
    // A path that only looks like an authority is a path: routed (to no route), not parsed as a host.
    expectProblem(await rawRequest(base, `GET //a:b HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), 404, 'no_route');
    expect((await call('/functions/v1/open')).status).toBe(200);
  });

  it('answers an oversized header with a 431 problem', async () => {
    const { host } = new URL(base);
    const response = await rawRequest(base, `GET /functions/v1/open HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectProblem(response, 431, 'request_header_too_large');
    expectProblem(await rawRequest(base, 'NOT HTTP AT ALL\r\n\r\n'), 400, 'bad_request');
    expect((await call('/functions/v1/open')).status).toBe(200);
  });

  it('works with functions.invoke from supabase-js', async () => {
    const options = { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } };
    const withPublishable = createClient(base, config.publishableKey, options);
    const viaPublishable = await withPublishable.functions.invoke<Echo>('guarded/x', { method: 'GET' });
    expect(viaPublishable.error).toBeNull();
    expect(viaPublishable.data?.authorization).toBe(`Bearer ${config.anonKey}`);

    const withAnon = createClient(base, config.anonKey, options);
    const viaAnon = await withAnon.functions.invoke<Echo>('guarded', { body: { hello: 'world' } });
    expect(viaAnon.data).toMatchObject({ method: 'POST', authorization: `Bearer ${config.anonKey}` });

    const withSession = createClient(base, config.anonKey, { ...options, global: { headers: { Authorization: `Bearer ${userToken}` } } });
    expect((await withSession.functions.invoke<Echo>('guarded')).data?.authorization).toBe(`Bearer ${userToken}`);

    const failed = await withAnon.functions.invoke('open/fail');
    expect(failed.error).toBeInstanceOf(FunctionsHttpError);
    expect(await (failed.error as FunctionsHttpError).context.json()).toMatchObject({ url: '/open/fail' });
  });
});

describe('the test stack gateway', () => {
  it('routes /functions/v1/api to the API function running in Deno', async () => {
    const res = await fetch(`${stack.url}/functions/v1/api/v1/health`);
    expect(res.status).toBe(200);
  });

  it.skipIf(stack.external)('answers 404 "Function not found" for an unknown function', async () => {
    const res = await fetch(`${stack.url}/functions/v1/nope/x`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Function not found');
  });

  it.skipIf(stack.external)('answers /rest/v1 with a 501 problem that explains the local stack', async () => {
    const res = await fetch(`${stack.url}/rest/v1/brand_dna`);
    expect(res.status).toBe(501);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('not_in_local_stack');
    expect(body.detail).toContain('supabase start');
  });

  it.skipIf(stack.external)('gives supabase-js a message for /rest/v1 (PostgREST errors carry `message`)', async () => {
    const client = createClient(stack.url, stack.publishableKey, { auth: { persistSession: false }, realtime: { transport: WebSocket as never } });
    const { error } = await client.from('brand_dna').select('id');
    expect(error?.code).toBe('not_in_local_stack');
    expect(error?.message).toContain('supabase start');
  });

  it('exposes the headers that Auth and PostgREST expose to browsers', async () => {
    const origin = { Origin: 'https://studio.example' };
    const exposed = (res: Response) => (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    const login = await fetch(`${stack.url}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { ...origin, apikey: stack.anonKey, 'Content-Type': 'application/json', 'X-Supabase-Api-Version': '2024-01-01' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password' }),
    });
    expect(login.status).toBe(400);
    expect(login.headers.get('access-control-allow-origin')).toBe('*');
    expect(login.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    expect(exposed(login)).toEqual(expect.arrayContaining(['x-supabase-api-version', 'x-total-count', 'link']));
    const rest = await fetch(`${stack.url}/rest/v1/brand_dna`, { headers: { ...origin, apikey: stack.anonKey } });
    expect(rest.headers.get('access-control-allow-origin')).toBe('*');
    expect(exposed(rest)).toEqual(expect.arrayContaining(['content-range', 'content-location', 'location', 'range-unit']));
  });

  it('answers CORS preflights on the Auth route and marks its responses', async () => {
    const preflight = await fetch(`${stack.url}/auth/v1/token?grant_type=password`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://studio.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, apikey, x-client-info, content-type' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('apikey');
    const jwks = await fetch(`${stack.url}/auth/v1/.well-known/jwks.json`, { headers: { Origin: 'https://studio.example', apikey: stack.anonKey } });
    expect(jwks.headers.get('access-control-allow-origin')).toBe('*');
  });
});
