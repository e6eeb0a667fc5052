// Realtime's REST API (docs/PLATFORM.md, "Broadcast"): `POST /api/broadcast` (batch, the send()
// fallback) and `POST /api/broadcast/{topic}/events/{event}` (httpSend), both answering 202 with an
// empty body. The gateway has already turned `sb_` keys into JWTs in Authorization
// (docs/PLATFORM.md, "The gateway").
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PolicyError } from './authorization.ts';
import { isObject, type ServiceContext } from './context.ts';
import type { Broadcast } from './frames.ts';
import { topicKey } from './hub.ts';
import { TokenError, verifyToken, type VerifiedToken } from './tokens.ts';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const PAYLOAD_TOO_LARGE = 'Payload size exceeds tenant limit';

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep reading (and discarding) so the client still gets our answer instead of a reset.
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) throw new HttpError(413, { message: 'Request body is too large' });
  return Buffer.concat(chunks);
}

/** Bearer token first, then the apikey header, as Realtime's AuthTenant plug reads them. */
async function authenticate(ctx: ServiceContext, req: IncomingMessage): Promise<VerifiedToken> {
  const authorization = header(req, 'authorization');
  let token: string | undefined;
  if (authorization) {
    const [scheme, value] = authorization.split(' ');
    if (scheme?.toLowerCase() === 'bearer' && value) token = value;
  }
  token ??= header(req, 'apikey');
  if (!token) throw new HttpError(401, { message: 'Unauthorized' });
  try {
    return await verifyToken(ctx.keys, ctx.keys.resolveApiKey(token));
  } catch (err) {
    if (err instanceof TokenError) throw new HttpError(401, { message: 'Unauthorized' });
    throw err;
  }
}

function requestHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') out[name] = value;
  return out;
}

/**
 * Private sends need INSERT permission on realtime.messages for the topic (service_role bypasses
 * RLS), and a user token's Auth session must not have ended.
 */
async function mayWrite(ctx: ServiceContext, token: VerifiedToken, topic: string, headers: Record<string, string>): Promise<boolean> {
  if (token.role === 'service_role') return true;
  if (!(await ctx.authorizer.sessionActive(token.claims))) return false;
  const access = await ctx.authorizer.write({ topic, role: token.role, claims: token.claims, headers }, ['broadcast']);
  return access.broadcast;
}

function policyFailure(err: PolicyError): HttpError {
  if (err.kind === 'rls') return new HttpError(422, { message: 'RLS policy error' });
  if (err.kind === 'partition') return new HttpError(422, { message: 'Missing messages partition' });
  return new HttpError(422, { message: 'Tenant database unavailable' });
}

async function broadcastSingle(ctx: ServiceContext, req: IncomingMessage, topic: string, event: string): Promise<void> {
  const token = await authenticate(ctx, req);
  const contentType = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json' && contentType !== 'application/octet-stream') {
    throw new HttpError(415, { error: 'Unsupported Media Type: use application/json or application/octet-stream' });
  }
  const limit = ctx.settings.maxPayloadBytes;
  // Past the tenant limit the answer is 422 (as the real server's); 413 only for absurd bodies.
  const body = await readBody(req, limit * 4);
  if (body.length > limit) throw new HttpError(422, { errors: { payload: [PAYLOAD_TOO_LARGE] } });

  const query = new URL(req.url ?? '/', 'http://realtime').searchParams;
  const isPrivate = query.get('private') === 'true';
  const persist = query.get('persist') === 'true' || query.has('persist[ttl]');
  if (persist && !isPrivate) throw new HttpError(422, { message: 'Messages can only be stored on private channels' });

  const message: Broadcast = { event };
  if (contentType === 'application/json') {
    const text = body.toString('utf8');
    try {
      JSON.parse(text === '' ? '{}' : text);
    } catch {
      throw new HttpError(400, { message: 'Request body is not valid JSON' });
    }
    message.json = text === '' ? '{}' : text;
  } else {
    message.bytes = body;
  }

  if (isPrivate) {
    try {
      if (!(await mayWrite(ctx, token, topic, requestHeaders(req)))) throw new HttpError(403, { message: 'Unauthorized' });
    } catch (err) {
      throw err instanceof PolicyError ? policyFailure(err) : err;
    }
  }
  if (persist) {
    // Stored messages go out through the database path (with meta.id), after commit.
    await ctx.store.insert({ topic, event, private: true, json: message.json, bytes: message.bytes });
  } else {
    ctx.hub.broadcast(topicKey(isPrivate, topic), topic, message);
  }
}

interface BatchMessage {
  topic: string;
  event: string;
  payload: Record<string, unknown>;
  private: boolean;
  id?: string;
}

function validateBatch(ctx: ServiceContext, body: unknown): BatchMessage[] {
  if (!isObject(body) || !Array.isArray(body.messages) || body.messages.length === 0) {
    throw new HttpError(422, { errors: { messages: ["can't be blank"] } });
  }
  let invalid = false;
  const errors = body.messages.map((raw: unknown) => {
    const fieldErrors: Record<string, string[]> = {};
    const m = isObject(raw) ? raw : {};
    for (const field of ['topic', 'event'] as const) {
      if (m[field] === undefined || m[field] === null || m[field] === '') fieldErrors[field] = ["can't be blank"];
      else if (typeof m[field] !== 'string') fieldErrors[field] = ['is invalid'];
    }
    if (m.payload === undefined || m.payload === null) fieldErrors.payload = ["can't be blank"];
    else if (!isObject(m.payload)) fieldErrors.payload = ['is invalid'];
    else if (Buffer.byteLength(JSON.stringify(m.payload)) > ctx.settings.maxPayloadBytes) fieldErrors.payload = [PAYLOAD_TOO_LARGE];
    if (m.private !== undefined && m.private !== null && typeof m.private !== 'boolean') fieldErrors.private = ['is invalid'];
    if (Object.keys(fieldErrors).length > 0) invalid = true;
    return fieldErrors;
  });
  if (invalid) throw new HttpError(422, { errors: { messages: errors } });
  return (body.messages as Record<string, unknown>[]).map((m) => ({
    topic: m.topic as string,
    event: m.event as string,
    payload: m.payload as Record<string, unknown>,
    private: m.private === true,
    ...(typeof m.id === 'string' ? { id: m.id } : {}),
  }));
}

async function broadcastBatch(ctx: ServiceContext, req: IncomingMessage): Promise<void> {
  const token = await authenticate(ctx, req);
  const raw = await readBody(req, ctx.settings.maxPayloadBytes * 4);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, { message: 'Request body is not valid JSON' });
  }
  const messages = validateBatch(ctx, body);
  const headers = requestHeaders(req);
  const allowed = new Map<string, boolean>();
  for (const m of messages) {
    if (m.private) {
      // One write check per private topic; without permission the message is skipped, still 202.
      let ok = allowed.get(m.topic);
      if (ok === undefined) {
        ok = await mayWrite(ctx, token, m.topic, headers).catch(() => false);
        allowed.set(m.topic, ok);
      }
      if (!ok) continue;
    }
    // The batch endpoint delivers text frames, like the real server's REST broadcasts.
    ctx.hub.broadcast(topicKey(m.private, m.topic), m.topic, {
      event: m.event,
      json: JSON.stringify(m.payload),
      ...(m.id ? { meta: JSON.stringify({ id: m.id }) } : {}),
      asText: true,
    });
  }
}

export async function handleRest(ctx: ServiceContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://realtime').pathname;
  try {
    if (path === '/api/broadcast' || path === '/api/broadcast/') {
      if (req.method !== 'POST') throw new HttpError(405, { message: 'Method Not Allowed' });
      await broadcastBatch(ctx, req);
      return send(res, 202);
    }
    const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path);
    if (single) {
      if (req.method !== 'POST') throw new HttpError(405, { message: 'Method Not Allowed' });
      let topic: string;
      let event: string;
      try {
        topic = decodeURIComponent(single[1]!);
        event = decodeURIComponent(single[2]!);
      } catch {
        throw new HttpError(400, { message: 'Malformed topic or event in path' });
      }
      await broadcastSingle(ctx, req, topic, event);
      return send(res, 202);
    }
    throw new HttpError(404, { message: 'Not Found' });
  } catch (err) {
    if (err instanceof HttpError) return send(res, err.status, err.body);
    ctx.warn(`REST ${req.method} ${path}`, err);
    return send(res, 500, { message: 'Unable to broadcast' });
  }
}
