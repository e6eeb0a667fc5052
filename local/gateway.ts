// The API gateway of the local stack, in place of the CLI's Kong on :54321 (reference 0.3): routes
// /auth/v1, /realtime/v1 and /functions/v1 to their services with the prefix stripped, rewrites
// Authorization so upstreams only ever see JWTs, maps the opaque sb_publishable_/sb_secret_ keys to
// the anon/service-role JWTs, and answers CORS.
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

function sendJson(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
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

/** Authorization rule of the CLI's gateway, evaluated in order (reference 0.3). */
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

function forwardedFor(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/** Streams the request to an upstream HTTP server and its answer back. */
function proxy(req: IncomingMessage, res: ServerResponse, upstream: string): void {
  const target = new URL(req.url ?? '/', upstream);
  const headers: http.OutgoingHttpHeaders = { ...req.headers, host: target.host };
  // As a proxy does: the address the request came from is appended to what the client sent (the
  // function trusts the last entry, not the client's own).
  const claimed = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = claimed ? `${claimed}, ${forwardedFor(req)}` : forwardedFor(req);
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
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const isFunction = path.startsWith('/functions/v1/');
    // Kong's cors plugin answers preflights and marks responses; functions answer CORS themselves
    // (reference C.3), so their allow-list is not overridden here.
    if (!isFunction) {
      if (req.method === 'OPTIONS') return answerPreflight(req, res);
      res.setHeader('Access-Control-Allow-Origin', '*');
    }

    if (path === '/auth/v1' || path.startsWith('/auth/v1/')) {
      if (!services.auth) return sendJson(res, 503, { message: 'Auth is not running' });
      rewriteAuthorization(req.headers, config);
      stripPrefix(req, '/auth/v1');
      return services.auth.handle(req, res);
    }
    if (path.startsWith('/realtime/v1/')) {
      if (!services.realtime) return sendJson(res, 503, { message: 'Realtime is not running' });
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
      const service = path.split('/')[1];
      return sendJson(
        res,
        501,
        {
          type: 'https://supabase.com/docs/guides/local-development',
          title: 'Not Implemented',
          status: 501,
          code: 'not_in_local_stack',
          detail:
            `/${service}/v1 is not part of the Docker-less local stack, which runs Postgres, Auth, Realtime and the ` +
            'Edge Functions. Use the API under /functions/v1/api/v1, or run `supabase start` (needs Docker) for the full platform.',
        },
        'application/problem+json',
      );
    }
    return sendJson(res, 404, { message: 'no Route matched with those values' });
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: 'gateway error', detail: String(err) });
      else res.destroy();
    });
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== '/realtime/v1/websocket' || !services.realtime) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const apikey = url.searchParams.get('apikey');
    if (apikey) url.searchParams.set('apikey', keys.resolveApiKey(apikey));
    req.url = `/websocket${url.search}`;
    services.realtime.handleUpgrade(req, socket, head);
  });

  return server;
}
