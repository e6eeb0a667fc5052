// Shared by the SDK suites: a client of the test stack, made the way a Node 20 app makes one
// (no session storage, `ws` as the Realtime transport).
import WebSocket from 'ws';
import { inject } from 'vitest';
import { createStudioClient, type StudioClient } from '../../sdk/src/index.ts';

const stack = inject('stack');

export function testClient(options: { fetch?: typeof fetch } = {}): StudioClient {
  return createStudioClient({
    url: stack.url,
    key: stack.publishableKey,
    ...options,
    supabase: { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } },
  });
}
