// Hostile and broken input: malformed and mistyped JSON, oversized bodies, forged and expired tokens
// on every user and admin route, odd paths and queries. Each gets Auth's answer (never a 500) and
// changes nothing, and the service keeps serving the next client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  adminClient,
  client,
  createUser,
  database,
  forgeries,
  PASSWORD,
  raw,
  signIn,
  signWithDefaultKey,
  stack,
  type TestUser,
} from './helpers.ts';

type RawBodyToken = 'anon' | 'user' | 'admin';

const sql = database();
let victim: TestUser;
let victimToken: string;

beforeAll(async () => {
  victim = await createUser('victim');
  victimToken = (await signIn(victim)).session.access_token;
});
afterAll(() => sql.end());

/** The victim is untouched: still there, same metadata, still able to sign in. */
async function expectVictimUntouched() {
  const [row] = await sql`select raw_user_meta_data, deleted_at from auth.users where id = ${victim.id}`;
  expect(row).toEqual({ raw_user_meta_data: { email_verified: true }, deleted_at: null });
  expect((await client().auth.signInWithPassword({ email: victim.email, password: victim.password })).error).toBeNull();
}

const userRoutes = () => [
  { method: 'GET', path: '/user' },
  { method: 'PUT', path: '/user', body: { data: { hacked: true } } },
  { method: 'POST', path: '/logout?scope=global' },
];
const adminRoutes = () => [
  { method: 'GET', path: '/admin/users' },
  { method: 'POST', path: '/admin/users', body: { email: 'forged@example.com', password: PASSWORD } },
  { method: 'GET', path: `/admin/users/${victim.id}` },
  { method: 'PUT', path: `/admin/users/${victim.id}`, body: { user_metadata: { hacked: true } } },
  { method: 'DELETE', path: `/admin/users/${victim.id}`, body: { should_soft_delete: false } },
];

describe('malformed JSON', () => {
  const bodies = ['{"email":', 'not json', '{"email": "a@b.c",}', '\u0000\u0001binary'];

  it('is 400 bad_json on every route that reads a body', async () => {
    const routes = [
      { path: '/signup', method: 'POST', token: stack.anonKey },
      { path: '/token?grant_type=password', method: 'POST', token: stack.anonKey },
      { path: '/token?grant_type=refresh_token', method: 'POST', token: stack.anonKey },
      { path: '/user', method: 'PUT', token: victimToken },
      { path: '/admin/users', method: 'POST', token: stack.serviceRoleKey },
      { path: `/admin/users/${victim.id}`, method: 'PUT', token: stack.serviceRoleKey },
      { path: `/admin/users/${victim.id}`, method: 'DELETE', token: stack.serviceRoleKey },
    ];
    for (const route of routes) {
      for (const body of bodies) {
        const res = await raw(route.path, { method: route.method, token: route.token, body });
        expect(res.status, `${route.method} ${route.path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body?.code).toBe('bad_json');
        expect(String(res.body?.message)).toMatch(/^Could not parse request body as JSON: /);
      }
    }
    await expectVictimUntouched();
  });

  it('an empty body on /token is bad_json too', async () => {
    const res = await raw('/token?grant_type=password', { method: 'POST', body: '' });
    expect(res.status).toBe(400);
    expect(res.body?.code).toBe('bad_json');
  });

  it('JSON of the wrong type (array, string, mistyped fields) is bad_json', async () => {
    for (const body of [
      [1, 2],
      '"text"',
      42,
      { email: 42, password: PASSWORD },
      { email: 'x@example.com', password: ['a'] },
      { data: 'x' },
    ]) {
      const res = await raw('/signup', { body: typeof body === 'string' ? body : JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body?.code).toBe('bad_json');
    }
    const res = await raw(`/admin/users/${victim.id}`, {
      method: 'PUT',
      token: stack.serviceRoleKey,
      body: { email_confirm: 'yes', user_metadata: [1] },
    });
    expect(res.body?.code).toBe('bad_json');
  });

  it('a JSON null body decodes to empty parameters', async () => {
    const res = await raw('/token?grant_type=password', { body: 'null' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'validation_failed', message: 'missing email or phone' });
  });
});

// Postgres cannot store NUL or unpaired surrogates; real GoTrue turns those into 500s.
describe.skipIf(stack.external)('text the database cannot store', () => {
  it('is a 400, in credentials, tokens and metadata alike', async () => {
    const cases: [string, string, RawBodyToken][] = [
      ['/signup', '{"email":"nul\\u0000@example.com","password":"correct-horse-9"}', 'anon'],
      ['/token?grant_type=password', '{"email":"a@example.com\\u0000","password":"x"}', 'anon'],
      ['/token?grant_type=refresh_token', '{"refresh_token":"abcdefghijk\\u0000l"}', 'anon'],
      ['/user', '{"data":{"note":"lone \\ud800 surrogate"}}', 'user'],
      ['/user', '{"data":{"k\\u0000ey":1}}', 'user'],
      [`/admin/users/VICTIM`, '{"user_metadata":{"x":"\\udfff"}}', 'admin'],
    ];
    for (const [path, body, who] of cases) {
      const token = who === 'anon' ? stack.anonKey : who === 'user' ? victimToken : stack.serviceRoleKey;
      const method = path.startsWith('/user') || path.startsWith('/admin/users/') ? 'PUT' : 'POST';
      const res = await raw(path.replace('VICTIM', victim.id), { method, token, body });
      expect(res.status, `${path} ${body}`).toBe(400);
      expect(res.body?.code).toBe('validation_failed');
    }
    const filtered = await raw('/admin/users?filter=%00', { token: stack.serviceRoleKey });
    expect(filtered.status).toBe(400);
    await expectVictimUntouched();
  });

  it('absurdly deep nesting is a 400, not a stack overflow', async () => {
    const deep = `{"data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const res = await raw('/user', { method: 'PUT', token: victimToken, body: deep });
    expect(res.status).toBe(400);
    expect(res.body?.code).toBe('validation_failed');
  });
});

describe('metadata keys that mean something to JavaScript', () => {
  it('are stored as plain data and pollute nothing', async () => {
    const user = await createUser('proto');
    const { session } = await signIn(user);
    const res = await raw('/user', {
      method: 'PUT',
      token: session.access_token,
      body: '{"data":{"__proto__":{"polluted":true},"constructor":"c","toString":"t"}}',
    });
    expect(res.status).toBe(200);
    const answered = (JSON.parse(res.text) as { user_metadata: Record<string, unknown> }).user_metadata;
    expect(Object.hasOwn(answered, '__proto__')).toBe(true);
    expect(answered.polluted).toBeUndefined();
    const [row] = await sql`select raw_user_meta_data::text as meta from auth.users where id = ${user.id}`;
    const stored = JSON.parse(row!.meta as string) as Record<string, unknown>;
    expect(Object.hasOwn(stored, '__proto__')).toBe(true);
    expect(stored.constructor).toBe('c');
    expect(stored.toString).toBe('t');
  });
});

describe('missing fields', () => {
  it('are validation errors, not crashes', async () => {
    const cases: [string, unknown, string][] = [
      ['/signup', { email: 'someone@example.com' }, 'validation_failed'],
      ['/token?grant_type=password', {}, 'validation_failed'],
      ['/token?grant_type=password', { email: victim.email }, 'invalid_credentials'],
      ['/token?grant_type=refresh_token', {}, 'validation_failed'],
    ];
    for (const [path, body, code] of cases) {
      const res = await raw(path, { body });
      expect(res.status, path).toBe(400);
      expect(res.body?.code, `${path} ${JSON.stringify(body)}`).toBe(code);
    }
    const admin = await raw('/admin/users', { token: stack.serviceRoleKey, body: {} });
    expect(admin.status).toBe(400);
    expect(admin.body?.code).toBe('validation_failed');
  });

  it('an empty PUT /user changes nothing', async () => {
    const res = await raw('/user', { method: 'PUT', token: victimToken, body: {} });
    expect(res.status).toBe(200);
    expect(res.body?.id).toBe(victim.id);
    await expectVictimUntouched();
  });
});

// Real GoTrue has no documented limit (Kong's may apply); the stand-in caps bodies at 1 MiB.
describe.skipIf(stack.external)('oversized bodies', () => {
  it('are refused with 413 on public and admin routes, and the service keeps working', async () => {
    const huge = JSON.stringify({ email: 'big@example.com', password: PASSWORD, data: { blob: 'x'.repeat(2 * 1024 * 1024) } });
    for (const [path, token] of [
      ['/signup', stack.anonKey],
      ['/admin/users', stack.serviceRoleKey],
    ] as const) {
      const res = await raw(path, { token, body: huge });
      expect(res.status).toBe(413);
      expect(res.body?.code).toBe('request_too_large');
    }
    const rows = await sql`select 1 from auth.users where email = 'big@example.com'`;
    expect(rows).toHaveLength(0);
    await expectVictimUntouched();
  });

  it('a body just under the limit is processed normally', async () => {
    const res = await raw('/user', { method: 'PUT', token: victimToken, body: { data: { note: 'y'.repeat(900 * 1024) } } });
    expect(res.status).toBe(200);
    await raw('/user', { method: 'PUT', token: victimToken, body: { data: { note: null } } });
  });
});

describe('forged and expired tokens', () => {
  let forged: Record<string, string>;
  beforeAll(async () => {
    forged = await forgeries(victimToken, stack.jwtSecret);
  });

  it('are 403 bad_jwt on every user route and change nothing', async () => {
    for (const [name, token] of Object.entries(forged)) {
      for (const route of userRoutes()) {
        const res = await raw(route.path, { method: route.method, token, body: route.body });
        expect(res.status, `${name}: ${route.method} ${route.path}`).toBe(403);
        expect(res.body?.code, `${name}: ${route.method} ${route.path}`).toBe('bad_jwt');
        expect(String(res.body?.message)).toMatch(/^invalid JWT: unable to parse or verify signature, /);
      }
    }
    expect(await sql`select 1 from auth.sessions where user_id = ${victim.id}`).not.toHaveLength(0);
    await expectVictimUntouched();
  });

  it('forged service-role tokens are 403 bad_jwt on every admin route and change nothing', async () => {
    // Same forgeries, but of the service-role key, which is what an attacker wants.
    const adminForgeries = await forgeries(stack.serviceRoleKey, stack.jwtSecret);
    const all = [
      ...Object.entries(forged),
      ...Object.entries(adminForgeries).map(([n, t]) => [`service role, ${n}`, t] as const),
    ];
    for (const [name, token] of all) {
      for (const route of adminRoutes()) {
        const res = await raw(route.path, { method: route.method, token, body: route.body });
        expect(res.status, `${name}: ${route.method} ${route.path}`).toBe(403);
        expect(res.body?.code).toBe('bad_jwt');
      }
    }
    expect(await sql`select 1 from auth.users where email = 'forged@example.com'`).toHaveLength(0);
    await expectVictimUntouched();
  });

  it('a genuine user token on admin routes is not_admin', async () => {
    for (const route of adminRoutes()) {
      const res = await raw(route.path, { method: route.method, token: victimToken, body: route.body });
      expect(res.status).toBe(403);
      expect(res.body?.code).toBe('not_admin');
    }
    await expectVictimUntouched();
  });

  it('a token whose sub is not a UUID is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signWithDefaultKey({
      sub: 'not-a-uuid',
      aud: 'authenticated',
      role: 'authenticated',
      iat: now,
      exp: now + 60,
    });
    const res = await raw('/user', { token });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body?.code).toBe('bad_jwt');
  });
});

describe.skipIf(stack.external)('paths and methods', () => {
  it('an unknown route is a JSON 404', async () => {
    const res = await raw('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not_found', message: 'Not Found' });
  });

  it('a known route with another method is a JSON 405', async () => {
    const res = await raw('/user', { method: 'DELETE', token: victimToken });
    expect(res.status).toBe(405);
    expect(res.body?.code).toBe('method_not_allowed');
  });

  it('odd admin paths and huge page numbers are 4xx', async () => {
    for (const path of [
      '/admin/users/%zz',
      '/admin/users/..%2f..%2fetc',
      '/admin/users?page=99999999999999999999999',
      '/admin/users?per_page=-1',
    ]) {
      const res = await raw(path, { token: stack.serviceRoleKey });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(typeof res.body?.code).toBe('string');
    }
    const far = await raw('/admin/users?page=999999999&per_page=1000', { token: stack.serviceRoleKey });
    expect(far.status).toBe(200);
    expect(far.body?.users).toEqual([]);
  });
});

describe('arbitrary bodies', () => {
  it('never produce a 5xx or a non-JSON error (property-based)', async () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    );
    const body = fc.record(
      {
        email: fc.oneof(value, fc.emailAddress()),
        password: value,
        refresh_token: value,
        data: value,
        phone: value,
      },
      { requiredKeys: [] },
    );
    const path = fc.constantFrom(
      '/signup',
      '/token?grant_type=password',
      '/token?grant_type=refresh_token',
      '/token?grant_type=x',
    );
    await fc.assert(
      fc.asyncProperty(path, body, async (p, b) => {
        const res = await raw(p, { body: b });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(typeof res.body?.code).toBe('string');
      }),
      { numRuns: 60 },
    );
  });

  it('the service still works for the next client', async () => {
    const fresh = await createUser('after');
    const { client: c } = await signIn(fresh);
    expect((await c.auth.getUser()).data.user?.id).toBe(fresh.id);
    expect((await adminClient().auth.admin.getUserById(fresh.id)).error).toBeNull();
  });
});
