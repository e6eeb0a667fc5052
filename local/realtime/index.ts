// Supabase Realtime stand-in, served by the gateway under /realtime/v1 (docs/PLATFORM.md, "Realtime"):
// the Phoenix socket (socket.ts, channel.ts, frames.ts), private-channel authorization through RLS
// (authorization.ts), Broadcast from the database (delivery.ts) and the REST API (rest.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import postgres from 'postgres';
import { WebSocketServer } from 'ws';
import type { LocalConfig } from '../config.ts';
import type { RealtimeHttpService } from '../gateway.ts';
import type { KeyRing } from '../jwt.ts';
import { Authorizer } from './authorization.ts';
import type { ServiceContext } from './context.ts';
import { createDeliverySource, type DbMessage } from './delivery.ts';
import { Hub, topicKey } from './hub.ts';
import { handleRest } from './rest.ts';
import { resolveSettings, type RealtimeSettings } from './settings.ts';
import { Connection } from './socket.ts';
import { MessageStore } from './store.ts';
import { TokenError, verifyToken } from './tokens.ts';

export type { RealtimeSettings } from './settings.ts';

export interface RealtimeService extends RealtimeHttpService {
  close(): Promise<void>;
}

export interface RealtimeOptions {
  config: LocalConfig;
  dbUrl: string;
  keys: KeyRing;
  /** Stand-in knobs (error delays, delivery path…); defaults mirror the real server. */
  settings?: Partial<RealtimeSettings>;
  /** Where unexpected internal errors go (default: console.warn). */
  warn?: (message: string, err?: unknown) => void;
}

function httpError(socket: Duplex, status: number, text: string, body: unknown): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

function handshakeHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-') && typeof value === 'string') out[name] = value;
  }
  return out;
}

export async function createRealtimeService(options: RealtimeOptions): Promise<RealtimeService> {
  const settings = resolveSettings(options.settings);
  const warn = options.warn ?? ((message: string, err?: unknown) => console.warn(`[realtime] ${message}:`, err));
  const sql = postgres(options.dbUrl, {
    max: settings.poolSize,
    onnotice: () => {},
    connection: { application_name: 'realtime-local' },
  });
  const hub = new Hub();
  const store = new MessageStore(sql);
  const ctx: ServiceContext = { settings, keys: options.keys, hub, authorizer: new Authorizer(sql), store, warn };

  const onDbMessage = (message: DbMessage) => {
    // The row id is both the payload's `id` (added by realtime.send) and `meta.id`
    // (docs/PLATFORM.md, "Broadcast from the database").
    hub.broadcast(topicKey(message.private, message.topic), message.topic, {
      event: message.event,
      json: message.json,
      bytes: message.bytes,
      meta: JSON.stringify({ id: message.id }),
      id: message.id,
    });
  };
  const deliveryOptions = { sql, dbUrl: options.dbUrl, onMessage: onDbMessage, warn };
  let delivery = createDeliverySource(settings.delivery, deliveryOptions);

  const connections = new Set<Connection>();
  const pendingUpgrades = new Set<Duplex>();
  let closing = false;
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxFrameBytes, perMessageDeflate: false });

  try {
    await store.maintainPartitions();
    try {
      await delivery.start();
    } catch (err) {
      // A real Supabase database (SUPABASE_DB_URL) may not let us add a trigger to realtime.messages;
      // it already has the real server's publication, so follow it through replication instead.
      if (delivery.mode !== 'notify' || (err as { code?: string }).code !== '42501') throw err;
      warn('cannot install the NOTIFY trigger on realtime.messages; using logical replication', err);
      await delivery.close().catch(() => {});
      delivery = createDeliverySource('replication', deliveryOptions);
      await delivery.start();
    }
  } catch (err) {
    await delivery.close().catch(() => {});
    await sql.end({ timeout: 1 });
    throw err;
  }
  const partitionTimer = setInterval(() => {
    store.maintainPartitions().catch((err: unknown) => warn('maintaining realtime.messages partitions', err));
  }, settings.partitionIntervalMs).unref();

  /** Refused upgrades are answered after a delay, like the real server's connect back-off. */
  function refuseUpgrade(socket: Duplex, message: string): void {
    pendingUpgrades.add(socket);
    const timer = setTimeout(() => {
      pendingUpgrades.delete(socket);
      if (!socket.destroyed) httpError(socket, 401, 'Unauthorized', { error: message });
    }, settings.connectErrorBackoffMs).unref();
    socket.once('close', () => {
      clearTimeout(timer);
      pendingUpgrades.delete(socket);
    });
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://realtime');
    if (url.pathname !== '/websocket' && url.pathname !== '/socket/websocket') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const headerKey = req.headers['x-api-key'];
    const apikey = (typeof headerKey === 'string' ? headerKey : undefined) ?? url.searchParams.get('apikey');
    if (!apikey) return refuseUpgrade(socket, 'API key is missing');
    let token;
    try {
      token = await verifyToken(options.keys, options.keys.resolveApiKey(apikey));
    } catch (err) {
      if (err instanceof TokenError) return refuseUpgrade(socket, err.message);
      throw err;
    }
    if (closing || socket.destroyed) {
      socket.destroy();
      return;
    }
    // No vsn means 1.0.0 on the real server; realtime-js always asks for 2.0.0.
    const vsn = (url.searchParams.get('vsn') ?? '1.0.0').startsWith('2.') ? '2.0.0' : '1.0.0';
    const headers = handshakeHeaders(req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new Connection(ctx, ws, vsn, token, headers);
      connections.add(connection);
      ws.once('close', () => connections.delete(connection));
    });
  }

  return {
    handle(req: IncomingMessage, res: ServerResponse) {
      return handleRest(ctx, req, res);
    },

    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      if (closing) {
        socket.destroy();
        return;
      }
      upgrade(req, socket, head).catch((err: unknown) => {
        warn('WebSocket upgrade', err);
        if (!socket.destroyed) httpError(socket, 500, 'Internal Server Error', { error: 'Internal server error' });
      });
    },

    async close() {
      if (closing) return;
      closing = true;
      clearInterval(partitionTimer);
      for (const socket of pendingUpgrades) socket.destroy();
      pendingUpgrades.clear();
      await Promise.all([...connections].map((connection) => connection.close()));
      connections.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await delivery.close();
      await sql.end({ timeout: 1 });
    },
  };
}
