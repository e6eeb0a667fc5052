// The API gateway of the local stack, in place of the CLI's Kong on :54321 (docs/PLATFORM.md, "The
// gateway"): routes /auth/v1, /realtime/v1 and /functions/v1 to their services with the prefix
// stripped, rewrites Authorization so upstreams only ever see JWTs, maps the opaque
// sb_publishable_/sb_secret_ keys to the anon/service-role JWTs, and answers CORS. What it refuses
// itself (a request that is not valid HTTP, a target it cannot route) gets a problem document,
// never a bare status or a stack trace.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LocalConfig } from './config.ts';
import type { KeyRing } from './jwt.ts';
import type { RunningFunction } from './functions.ts';

/** An HTTP service behind the gateway; `req.url` arrives with the public prefix stripped. */
export interface HttpService {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

/** Realtime also takes WebSocket upgrades (`req.url` = `/websocket?apikey=…&vsn=2.0.0`). */
export interface RealtimeHttpService extends HttpService {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface GatewayServices {
  auth?: HttpService;
  realtime?: RealtimeHttpService;
  functions: RunningFunction[];
}

const CORS_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';

/**
 * Response headers that the services behind the gateway expose to a cross-origin page, as Supabase
 * Auth (GoTrue) and PostgREST do. supabase-js reads Auth's error codes only when it can see
 * X-Supabase-Api-Version, so without it a browser gets `invalid_credentials` as a bare 400.
 */
const EXPOSED_HEADERS: Record<string, string> = {
  auth: 'X-Total-Count, Link, X-Supabase-Api-Version',
  rest: 'Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit',
};

function sendJson(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A problem document (RFC 9457). `message` repeats `detail` for supabase-js, whose REST and
 * Functions clients report a body's `message`. */
function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}) {
  return { type: 'about:blank', title: http.STATUS_CODES[status] ?? 'Error', status, code, detail, message: detail, ...extra };
}

function sendProblem(res: ServerResponse, status: number, code: string, detail: string, extra?: Record<string, unknown>): void {
  sendJson(res, status, problem(status, code, detail, extra), 'application/problem+json');
}

/** The same on a raw socket, for requests that never became an IncomingMessage we can answer. */
function endSocketWithProblem(socket: Duplex, status: number, code: string, detail: string): void {
  const text = JSON.stringify(problem(status, code, detail));
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

const INVALID_TARGET = 'the request target must be a path (/auth/v1/…) or an absolute http(s) URL';
/** Kong's own words. */
const NO_ROUTE = 'no Route matched with those values';

/**
 * The request target in origin form (`/path?query`, dot segments resolved), or null when it is
 * neither a path nor a valid absolute http(s) URL. An absolute-form target (as sent to proxies) is
 * routed by its path; a target starting with `//` is a path, never an authority.
 */
export function originForm(target: string): string | null {
  let url: URL;
  try {
    if (target.startsWith('/')) url = new URL(`http://gateway${target}`);
    else if (/^https?:\/\//i.test(target)) url = new URL(target);
    else return null;
  } catch {
    return null;
  }
  return `${url.pathname}${url.search}`;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': CORS_METHODS,
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
    'Access-Control-Max-Age': '3600',
    'Content-Length': '0',
  });
  res.end();
}

/** Authorization rule of the CLI's gateway, evaluated in order (docs/PLATFORM.md, "The gateway"). */
export function rewriteAuthorization(headers: IncomingMessage['headers'], config: LocalConfig): void {
  const authorization = headers.authorization;
  if (authorization && !authorization.startsWith('Bearer sb_')) return;
  const apikey = Array.isArray(headers.apikey) ? headers.apikey[0] : headers.apikey;
  if (apikey === config.secretKey) headers.authorization = `Bearer ${config.serviceRoleKey}`;
  else if (apikey === config.publishableKey) headers.authorization = `Bearer ${config.anonKey}`;
  else if (apikey) headers.authorization = apikey;
  else delete headers.authorization;
}

function stripPrefix(req: IncomingMessage, prefix: string): void {
  const rest = (req.url ?? '').slice(prefix.length);
  req.url = rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * X-Forwarded-For with the client's socket address appended, as Kong does: Auth and the function
 * trust the last entry (what the proxy saw), never the entries the client wrote itself.
 */
function forwardedFor(req: IncomingMessage): string {
  const socket = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const claimed = req.headers['x-forwarded-for'];
  return claimed ? `${claimed}, ${socket}` : socket;
}

/** Streams the request to an upstream HTTP server and its answer back. */
function proxy(req: IncomingMessage, res: ServerResponse, upstream: string): void {
  const target = new URL(req.url ?? '/', upstream);
  const headers: http.OutgoingHttpHeaders = { ...req.headers, host: target.host };
  headers['x-forwarded-for'] = forwardedFor(req);
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  const upstreamReq = http.request(target, { method: req.method, headers }, (upstreamRes) => {
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    upstreamRes.pipe(res);
  });
  upstreamReq.on('error', (err) => {
    if (!res.headersSent) sendJson(res, 502, { code: 'BOOT_ERROR', message: `Function unreachable: ${err.message}` });
    else res.destroy();
  });
  req.pipe(upstreamReq);
}

async function verifyFunctionJwt(req: IncomingMessage, keys: KeyRing): Promise<string | null> {
  const authorization = req.headers.authorization;
  if (!authorization) return 'Error: Missing authorization header';
  if (!authorization.startsWith('Bearer ')) return "Error: Auth header is not 'Bearer {token}'";
  try {
    await keys.verify(authorization.slice('Bearer '.length));
    return null;
  } catch {
    return 'Invalid JWT';
  }
}

export function createGateway(config: LocalConfig, keys: KeyRing, services: GatewayServices): http.Server {
  const functions = new Map(services.functions.map((fn) => [fn.name, fn]));

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = originForm(req.url ?? '');
    if (target === null) return sendProblem(res, 400, 'invalid_request_target', INVALID_TARGET);
    req.url = target;
    const path = target.split('?')[0]!;
    const isFunction = path.startsWith('/functions/v1/');
    const service = path.split('/')[1] ?? '';
    // Kong's cors plugin answers preflights and marks responses; functions answer CORS themselves
    // (docs/PLATFORM.md, "CORS of functions"), so their allow-list is not overridden here.
    if (!isFunction) {
      if (req.method === 'OPTIONS') return answerPreflight(req, res);
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (req.headers.origin && EXPOSED_HEADERS[service]) res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS[service]);
    }

    if (path === '/auth/v1' || path.startsWith('/auth/v1/')) {
      if (!services.auth) return sendProblem(res, 503, 'service_unavailable', 'Auth is not running');
      rewriteAuthorization(req.headers, config);
      req.headers['x-forwarded-for'] = forwardedFor(req);
      stripPrefix(req, '/auth/v1');
      return services.auth.handle(req, res);
    }
    if (path.startsWith('/realtime/v1/')) {
      if (!services.realtime) return sendProblem(res, 503, 'service_unavailable', 'Realtime is not running');
      rewriteAuthorization(req.headers, config);
      stripPrefix(req, '/realtime/v1');
      return services.realtime.handle(req, res);
    }
    if (isFunction) {
      const name = path.split('/')[3] ?? '';
      const fn = functions.get(name);
      if (!fn) return sendText(res, 404, 'Function not found');
      rewriteAuthorization(req.headers, config);
      if (fn.verifyJwt && req.method !== 'OPTIONS') {
        const problem = await verifyFunctionJwt(req, keys);
        if (problem) return sendJson(res, 401, { msg: problem });
      }
      stripPrefix(req, '/functions/v1');
      return proxy(req, res, fn.upstream);
    }
    if (path.startsWith('/rest/v1') || path.startsWith('/graphql/v1') || path.startsWith('/storage/v1')) {
      return sendProblem(
        res,
        501,
        'not_in_local_stack',
        `/${service}/v1 is not part of the Docker-less local stack, which runs Postgres, Auth, Realtime and the ` +
          'Edge Functions. Use the API under /functions/v1/api/v1, or run `supabase start` (needs Docker) for the full platform.',
        { type: 'https://supabase.com/docs/guides/local-development', hint: 'Use the API under /functions/v1/api/v1' },
      );
    }
    return sendProblem(res, 404, 'no_route', NO_ROUTE);
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      // A bug of a stand-in, never something the client sent: logged, not echoed to the client.
      console.error('local gateway:', err);
      if (!res.headersSent) sendProblem(res, 500, 'internal_error', 'the local gateway failed on this request (see its log)');
      else res.destroy();
    });
  });

  // Requests Node's parser refuses (oversized headers, not HTTP at all) get a problem document
  // instead of Node's bare status line.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      return endSocketWithProblem(socket, 431, 'request_header_too_large', `the request's headers exceed ${http.maxHeaderSize} bytes`);
    }
    if (err.code === 'HPE_INVALID_URL') return endSocketWithProblem(socket, 400, 'invalid_request_target', INVALID_TARGET);
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return endSocketWithProblem(socket, 408, 'request_timeout', 'the request did not arrive in time');
    endSocketWithProblem(socket, 400, 'bad_request', 'the request is not valid HTTP/1.1');
  });

  server.on('upgrade', (req, socket, head) => {
    const target = originForm(req.url ?? '');
    if (target === null) return endSocketWithProblem(socket, 400, 'invalid_request_target', INVALID_TARGET);
    const url = new URL(`http://gateway${target}`);
    if (url.pathname !== '/realtime/v1/websocket' || !services.realtime) {
      return endSocketWithProblem(socket, 404, 'no_route', NO_ROUTE);
    }
    const apikey = url.searchParams.get('apikey');
    if (apikey) url.searchParams.set('apikey', keys.resolveApiKey(apikey));
    req.url = `/websocket${url.search}`;
    services.realtime.handleUpgrade(req, socket, head);
  });

  return server;
}
