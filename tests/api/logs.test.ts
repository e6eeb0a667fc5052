// Structured logs: one JSON line per request with the request id, and no tokens or passwords in
// them. Reads the log of a function process of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningFunction } from '../../local/functions.ts';
import { call, closeDb, createUser, startApiFunction, type TestUser } from './helpers.ts';

const lines: string[] = [];
let fn: RunningFunction;
let user: TestUser;
const base = () => `${fn.upstream}/api/v1`;

beforeAll(async () => {
  [fn, user] = await Promise.all([
    startApiFunction({}, (line) => lines.push(line)),
    createUser(),
  ]);
}, 60_000);

afterAll(async () => {
  await fn?.stop();
  await closeDb();
});

/** The log entries written for one request id (logging happens before the response is sent). */
function entriesFor(requestId: string): Record<string, unknown>[] {
  return lines.filter((line) => line.includes(requestId)).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('request logs', () => {
  it('writes one JSON line per request with the request id, route, status, time and user', async () => {
    const res = await call('/workspaces', { base: base(), as: user, headers: { 'X-Request-Id': 'log-test-1' } });
    expect(res.headers.get('x-request-id')).toBe('log-test-1');
    const [entry, ...more] = entriesFor('log-test-1');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ msg: 'request', requestId: 'log-test-1', method: 'GET', path: '/api/v1/workspaces', status: 200, userId: user.id });
    expect(typeof entry!.ms).toBe('number');
  });

  it('logs errors with their code, and never the token or a password', async () => {
    const password = 'not-in-the-logs-9';
    await call('/workspaces', { base: base(), as: `${user.token}x`, headers: { 'X-Request-Id': 'log-test-2' } });
    await call('/auth/login', { base: base(), method: 'POST', body: { email: user.email, password }, headers: { 'X-Request-Id': 'log-test-3' } });
    expect(entriesFor('log-test-2')[0]).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(entriesFor('log-test-3')).toHaveLength(1);
    const all = lines.join('\n');
    expect(all).not.toContain(user.token.split('.')[2]!);
    expect(all).not.toContain(password);
  });
});
