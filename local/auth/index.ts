// Supabase Auth (GoTrue) stand-in, served by the gateway under /auth/v1 (reference section A).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalConfig } from '../config.ts';
import type { HttpService } from '../gateway.ts';
import type { KeyRing } from '../jwt.ts';

export interface AuthService extends HttpService {
  close(): Promise<void>;
}

export interface AuthOptions {
  config: LocalConfig;
  dbUrl: string;
  keys: KeyRing;
}

export async function createAuthService(_options: AuthOptions): Promise<AuthService> {
  return {
    handle(_req: IncomingMessage, res: ServerResponse) {
      res.writeHead(501, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: 'not_implemented', message: 'Auth stand-in not built yet' }));
    },
    async close() {},
  };
}
