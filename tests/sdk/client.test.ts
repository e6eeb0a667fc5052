// The client's promises in places a frontend team meets first: it never throws (not even at
// construction on Node 20, which has no WebSocket), and it releases every answer it gets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStudioClient } from '../../sdk/src/index.ts';

describe('without a WebSocket (Node 20 and no transport given)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('constructs, and reports realtime as unavailable when it is used', async () => {
    vi.stubGlobal('WebSocket', undefined);
    const studio = createStudioClient({ url: 'http://127.0.0.1:9', key: 'sb_publishable_test' });
    const watched = await studio.brandDna.watch('00000000-0000-4000-8000-000000000001', () => {});
    expect(watched.error).toMatchObject({ code: 'realtime_unavailable', status: 0 });
    expect(watched.error?.message).toMatch(/transport/);
    expect((await studio.workspaces.watch('00000000-0000-4000-8000-000000000001', () => {})).error?.code).toBe('realtime_unavailable');
    const present = await studio.brandDna.presence('00000000-0000-4000-8000-000000000001', { name: 'Ada' }, { key: 'ada' });
    expect(present.error?.code).toBe('realtime_unavailable');
    // Everything else is there, and fails as a result rather than a throw.
    expect((await studio.health()).error?.code).toBe('network_error');
  });
});

describe('answers without a body to parse', () => {
  let server: http.Server;
  let url = '';

  beforeAll(async () => {
    // A proxy in front of the API may answer a DELETE with 200 and a body where the API sends 204.
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ deleted: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('reads (releases) the body of every answer, DELETE included', async () => {
    const answers: Response[] = [];
    const studio = createStudioClient({
      url,
      key: 'sb_publishable_test',
      fetch: async (...args) => {
        const response = await fetch(...args);
        answers.push(response);
        return response;
      },
      supabase: { auth: { persistSession: false } },
    });
    const deleted = await studio.brandDna.delete('00000000-0000-4000-8000-000000000001');
    expect(deleted).toEqual({ data: null, error: null });
    expect(answers).toHaveLength(1);
    expect(answers[0]!.bodyUsed).toBe(true);
  });
});
