// Supabase Realtime stand-in, served by the gateway under /realtime/v1 (reference section B).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LocalConfig } from '../config.ts';
import type { RealtimeHttpService } from '../gateway.ts';
import type { KeyRing } from '../jwt.ts';

export interface RealtimeService extends RealtimeHttpService {
  close(): Promise<void>;
}

export interface RealtimeOptions {
  config: LocalConfig;
  dbUrl: string;
  keys: KeyRing;
}

export async function createRealtimeService(_options: RealtimeOptions): Promise<RealtimeService> {
  return {
    handle(_req: IncomingMessage, res: ServerResponse) {
      res.writeHead(501, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'Realtime stand-in not built yet' }));
    },
    handleUpgrade(_req: IncomingMessage, socket: Duplex) {
      socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n');
    },
    async close() {},
  };
}
