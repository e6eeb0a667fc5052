// The statement that makes a transaction the caller's: its values travel as parameters (so a failing
// set-up never writes claims into Postgres's log), Postgres reads back exactly what was sent, each
// role keeps its own statement timeout, and the set-up costs no round trip of its own.
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ANON, type Caller } from '../../functions/_shared/auth.ts';
import { readConfig } from '../../functions/_shared/config.ts';
import { asCaller, asCallerOnce, callerSetup, createPool, textSql, type RequestInfo } from '../../functions/_shared/db.ts';
import { closeDb, db, stack } from './helpers.ts';

afterAll(closeDb);

const { statementTimeouts } = readConfig(() => undefined);
const request = (method = 'GET', path = '/api/v1/workspaces'): RequestInfo => ({ method, path, statementTimeouts });
const SUB = '6f0b3c2e-1d2a-4b7c-9e8f-0a1b2c3d4e5f';
const user = (claims: Record<string, unknown> = {}): Caller => ({
  role: 'authenticated',
  userId: SUB,
  claims: { sub: SUB, role: 'authenticated', ...claims },
  isAdmin: false,
});

async function readBack(caller: Caller, info: RequestInfo) {
  const { text, values } = callerSetup(caller, info);
  return db().begin(async (tx) => {
    await tx.unsafe(text, values);
    const [row] = await tx.unsafe(`select current_user as role, current_setting('request.jwt.claims') as claims,
      current_setting('request.jwt.claim.sub') as sub, current_setting('request.method') as method,
      current_setting('request.path') as path, current_setting('statement_timeout') as timeout`);
    return row!;
  });
}

describe('caller set-up', () => {
  it('passes claims, subject, method and path as parameters: none of them is in the statement text', () => {
    const caller = user({ email: 'someone@example.com', session_id: '0b7e7c4a-4a43-4b5e-9d53-3f9a2b1c0d11', user_metadata: { name: 'Secret Name' } });
    const { text, values } = callerSetup(caller, request('PATCH', '/api/v1/brand-dna/private-path'));
    for (const secret of ['someone@example.com', '0b7e7c4a', 'Secret Name', SUB, 'private-path']) {
      expect(text).not.toContain(secret);
      expect(values.join('\n')).toContain(secret);
    }
  });

  it('sets role, claims, subject, method, path and timeout exactly, for arbitrary claims and paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constantFrom("'", '$q$', '$1', "'); drop table x; --", '$$', '\\'))),
        fc.oneof(fc.string(), fc.constantFrom('/api/v1/$q$', "/api/v1/'", '/api/v1/$$', '/api/v1/$1')),
        async (extra, rawPath) => {
          const path = rawPath.split('\u0000').join(''); // URL paths carry no raw NUL
          const caller = user(extra);
          const row = await readBack(caller, request('PATCH', path));
          expect(row).toMatchObject({ role: 'authenticated', sub: SUB, method: 'PATCH', path, timeout: '8s' });
          expect(JSON.parse(row.claims)).toEqual(JSON.parse(JSON.stringify(caller.claims)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps each role\'s own statement timeout: anon 3 s, signed-in users and the service role 8 s', async () => {
    expect((await readBack(ANON, request())).timeout).toBe('3s');
    expect((await readBack(user(), request())).timeout).toBe('8s');
    const service: Caller = { role: 'service_role', userId: null, claims: { role: 'service_role' }, isAdmin: false };
    expect(await readBack(service, request())).toMatchObject({ role: 'service_role', timeout: '8s' });
  });
});

/** A TCP proxy in front of the database that counts the client's flights (writes between answers). */
async function countingProxy() {
  let flights = 0;
  let clientSpokeLast = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const target = new URL(stack.dbUrl);
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      if (!clientSpokeLast) flights++;
      clientSpokeLast = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      clientSpokeLast = false;
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(stack.dbUrl);
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    flightsOf: async (run: () => Promise<unknown>) => {
      flights = 0;
      await run();
      return flights;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('round trips', () => {
  it('the set-up travels with the first query: one flight for a single statement (also one with text parameters), two for a transaction (work, commit)', async () => {
    const proxy = await countingProxy();
    const pool = createPool({ url: proxy.url, size: 1, applicationName: 'tekton-api-round-trips' });
    try {
      const caller = user({ email: 'someone@example.com', session_id: '0b7e7c4a-4a43-4b5e-9d53-3f9a2b1c0d11' });
      // Warm-up: the connection's start-up has round trips of its own.
      await asCallerOnce(pool, caller, request(), (tx) => tx`select 1`);
      const once = await proxy.flightsOf(() => asCallerOnce(pool, caller, request(), (tx) => tx`select current_user`));
      const transaction = await proxy.flightsOf(() => asCaller(pool, caller, request(), (tx) => tx`select current_user`));
      // A statement with text parameters (typed by the server) needs no round trip to learn their types.
      let rows: unknown;
      const withText = await proxy.flightsOf(async () => {
        rows = await asCallerOnce(pool, caller, request(), (tx) => textSql(tx)`select ${"it's $1"}::text as said, ${null}::uuid as nothing, current_user as role`);
      });
      expect(rows).toEqual([{ said: "it's $1", nothing: null, role: 'authenticated' }]);
      expect({ once, transaction, withText }).toEqual({ once: 1, transaction: 2, withText: 1 });
    } finally {
      await proxy.close();
    }
  });
});
