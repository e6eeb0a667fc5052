// The statement that makes a transaction the caller's inlines its values (one simple-protocol
// message with `begin`): whatever the claims and the path contain, Postgres must read back exactly
// what was sent, and nothing may escape the quoting.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { callerSetup, dollarQuoted } from '../../functions/_shared/db.ts';
import { closeDb, db } from './helpers.ts';

afterAll(closeDb);

async function readBack(setup: string) {
  return db().begin(async (tx) => {
    await tx.unsafe(setup);
    const [row] = await tx.unsafe(`select current_user as role, current_setting('request.jwt.claims') as claims,
      current_setting('request.jwt.claim.sub') as sub, current_setting('request.method') as method,
      current_setting('request.path') as path, current_setting('statement_timeout') as timeout`);
    return row!;
  });
}

describe('caller set-up', () => {
  it('dollar-quotes any text, even text containing the quote tags', () => {
    expect(dollarQuoted('plain')).toBe('$q$plain$q$');
    expect(dollarQuoted('a $q$ b')).toBe('$q0$a $q$ b$q0$');
    expect(dollarQuoted('$q$ $q0$')).toBe('$q1$$q$ $q0$$q1$');
  });

  it('sets role, claims, subject, method, path and timeout exactly, for arbitrary claims and paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constantFrom("'", '$q$', '$q0$', "'); drop table x; --", '$$', '\\'))),
        fc.oneof(fc.string(), fc.constantFrom('/api/v1/$q$', "/api/v1/'", '/api/v1/$$')),
        async (extra, rawPath) => {
          const path = rawPath.split('\u0000').join(''); // URL paths carry no raw NUL
          const claims = { ...extra, sub: '6f0b3c2e-1d2a-4b7c-9e8f-0a1b2c3d4e5f', role: 'authenticated' };
          const setup = callerSetup(
            { role: 'authenticated', userId: claims.sub, claims, isAdmin: false },
            { method: 'PATCH', path, statementTimeoutMs: 8000 },
          );
          const row = await readBack(setup);
          expect(row).toMatchObject({ role: 'authenticated', sub: claims.sub, method: 'PATCH', path, timeout: '8s' });
          expect(JSON.parse(row.claims)).toEqual(JSON.parse(JSON.stringify(claims)));
        },
      ),
      { numRuns: 60 },
    );
  });
});
