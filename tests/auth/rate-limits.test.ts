// config.toml's [auth.rate_limit], enforced the way Supabase Auth enforces it: token buckets per
// client address (the address the gateway saw, never one the client claims), 429
// `over_request_rate_limit`; e-mails counted project-wide, 429 `over_email_send_rate_limit`. Each
// test is a client at a loopback address of its own (127.0.0.N), against a second Auth service with
// small limits on the shared database. Skipped against an external stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthApiError } from '@supabase/supabase-js';
import { loadConfig } from '../../local/config.ts';
import {
  client,
  createUser,
  database,
  fetchFrom,
  PASSWORD,
  raw,
  signIn,
  stack,
  standaloneAuth,
  uniqueEmail,
  type Target,
} from './helpers.ts';

/** Bucket size for these tests; the refill (1 per 5 minutes) is too slow to matter within a test. */
const BURST = 5;
const sql = database();
afterAll(() => sql.end());

/** A supabase-js client whose requests come from `address`. */
const from = (target: Target, address: string) => client({ target, fetch: fetchFrom(address) });

function expectRateLimited(error: unknown, code = 'over_request_rate_limit') {
  expect(error).toBeInstanceOf(AuthApiError);
  expect((error as AuthApiError).status).toBe(429);
  expect((error as AuthApiError).code).toBe(code);
}

describe('reading [auth.rate_limit]', () => {
  it('takes token_refresh, sign_in_sign_ups and email_sent; e-mail only counts with custom SMTP, as the CLI does', () => {
    const toml = { auth: { rate_limit: { token_refresh: 7, sign_in_sign_ups: 3, email_sent: 5 } } };
    expect(loadConfig({}, { toml }).auth.rateLimits).toEqual({ tokenRefresh: 7, signInSignUps: 3, emailSent: 360000, burst: 30 });
    const smtp = { auth: { ...toml.auth, email: { smtp: { enabled: true } } } };
    expect(loadConfig({}, { toml: smtp }).auth.rateLimits?.emailSent).toBe(5);
    // The project's own config.toml.
    expect(loadConfig().auth.rateLimits).toMatchObject({ tokenRefresh: 150, signInSignUps: 30 });
  });
});

describe.skipIf(stack.external)('per-address limits', () => {
  let target: Target;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ target, stop } = await standaloneAuth({ rateLimits: { tokenRefresh: 1, signInSignUps: 1, emailSent: 100, burst: BURST } }));
  });
  afterAll(() => stop?.());

  it('POST /token: sign-ins and refreshes share a bucket per address; past it, 429 for right and wrong passwords alike', async () => {
    const user = await createUser('rl-token', target);
    const c = from(target, '127.0.0.11');
    for (let i = 0; i < 3; i++) {
      expect((await c.auth.signInWithPassword({ email: user.email, password: 'wrong-password' })).error?.code).toBe('invalid_credentials');
    }
    const { data } = await c.auth.signInWithPassword({ email: user.email, password: PASSWORD });
    expect(data.session).not.toBeNull();
    expect((await c.auth.refreshSession({ refresh_token: data.session!.refresh_token })).error).toBeNull();

    const sessionsBefore = await sql`select id from auth.sessions where user_id = ${user.id}`;
    const refused = await c.auth.signInWithPassword({ email: user.email, password: PASSWORD });
    expect(refused.data.session).toBeNull();
    expectRateLimited(refused.error);
    expect(refused.error?.message).toBe('Request rate limit reached');
    expect(await sql`select id from auth.sessions where user_id = ${user.id}`).toHaveLength(sessionsBefore.length);
    expectRateLimited((await c.auth.refreshSession({ refresh_token: data.session!.refresh_token })).error);

    // Another address still has its whole bucket.
    expect((await from(target, '127.0.0.12').auth.signInWithPassword({ email: user.email, password: PASSWORD })).error).toBeNull();
  });

  it('neither a claimed X-Forwarded-For nor some user\'s bearer token opens a fresh bucket', async () => {
    const user = await createUser('rl-spoof', target);
    const { session } = await signIn(user, target);
    const fetch = fetchFrom('127.0.0.13');
    const statuses: number[] = [];
    for (let i = 0; i < BURST + 3; i++) {
      const res = await raw('/token?grant_type=password', {
        target,
        fetch,
        token: i % 2 === 0 ? session.access_token : target.anonKey,
        headers: { 'X-Forwarded-For': `203.0.113.${i + 1}` },
        body: { email: user.email, password: `guess-${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) expect(res.body).toEqual({ code: 'over_request_rate_limit', message: 'Request rate limit reached' });
    }
    expect(statuses).toEqual([...Array(BURST).fill(400), 429, 429, 429]);
  });

  it('requests refused before the limit applies (unknown grant type) do not use it up', async () => {
    const fetch = fetchFrom('127.0.0.14');
    for (let i = 0; i < BURST * 2; i++) {
      const res = await raw('/token?grant_type=magic', { target, fetch, method: 'POST', token: null, versioned: false });
      expect(res.status).toBe(400);
    }
    const user = await createUser('rl-early', target);
    expect((await from(target, '127.0.0.14').auth.signInWithPassword({ email: user.email, password: PASSWORD })).error).toBeNull();
  });

  it('POST /signup has a bucket of its own (sign_in_sign_ups); a refused sign-up creates nobody', async () => {
    const c = from(target, '127.0.0.15');
    for (let i = 0; i < BURST; i++) {
      expect((await c.auth.signUp({ email: uniqueEmail('rl-signup'), password: PASSWORD })).error).toBeNull();
    }
    const email = uniqueEmail('rl-signup-refused');
    const refused = await c.auth.signUp({ email, password: PASSWORD });
    expectRateLimited(refused.error);
    expect(await sql`select 1 from auth.users where email = ${email}`).toHaveLength(0);
    // Sign-ins from the same address are counted apart.
    const user = await createUser('rl-signup-other', target);
    expect((await c.auth.signInWithPassword({ email: user.email, password: PASSWORD })).error).toBeNull();
  });

  it('PUT /user is limited by sign_in_sign_ups, in a bucket of its own; a refused update changes nothing', async () => {
    const user = await createUser('rl-user', target);
    const c = from(target, '127.0.0.16');
    expect((await c.auth.signInWithPassword({ email: user.email, password: PASSWORD })).error).toBeNull();
    for (let i = 0; i < BURST; i++) expect((await c.auth.updateUser({ data: { n: i } })).error).toBeNull();
    expectRateLimited((await c.auth.updateUser({ data: { n: 'refused' } })).error);
    const [row] = await sql`select raw_user_meta_data ->> 'n' as n from auth.users where id = ${user.id}`;
    expect(row!.n).toBe(String(BURST - 1));
    // GET /user is not limited.
    for (let i = 0; i < BURST; i++) expect((await c.auth.getUser()).error).toBeNull();
  });
});

describe.skipIf(stack.external)('e-mails sent (email_sent, project-wide per hour)', () => {
  let target: Target;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ target, stop } = await standaloneAuth({
      enableConfirmations: true,
      rateLimits: { tokenRefresh: 1000, signInSignUps: 1000, emailSent: 2, burst: 30 },
    }));
  });
  afterAll(() => stop?.());

  it('counts confirmation mails from every address together; past it, 429 over_email_send_rate_limit and no user', async () => {
    expect((await from(target, '127.0.0.21').auth.signUp({ email: uniqueEmail('mail-1'), password: PASSWORD })).error).toBeNull();
    expect((await from(target, '127.0.0.22').auth.signUp({ email: uniqueEmail('mail-2'), password: PASSWORD })).error).toBeNull();
    const email = uniqueEmail('mail-3');
    const refused = await from(target, '127.0.0.23').auth.signUp({ email, password: PASSWORD });
    expectRateLimited(refused.error, 'over_email_send_rate_limit');
    expect(await sql`select 1 from auth.users where email = ${email}`).toHaveLength(0);
    // An e-mail change sends mail too.
    const user = await createUser('mail-change', target);
    const { client: c } = await signIn(user, target);
    expectRateLimited((await c.auth.updateUser({ email: uniqueEmail('mail-changed') })).error, 'over_email_send_rate_limit');
    // Requests that send no mail go on.
    const res = await raw('/token?grant_type=password', { target, body: { email: user.email, password: PASSWORD } });
    expect(res.status).toBe(200);
  });
});
