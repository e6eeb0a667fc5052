// A thin REST face over Supabase Auth for clients without supabase-js: sign-up, sign-in, refresh
// and sign-out, each one call to `${SUPABASE_URL}/auth/v1` with the anon key. Auth's own error
// codes (invalid_credentials, weak_password, …) are passed on as problems.
import {
  LoginSchema,
  LogoutQuerySchema,
  RefreshSchema,
  SessionSchema,
  SignupResultSchema,
  SignupSchema,
  authUserFromJson,
  sessionFromAuth,
  type AuthSessionJson,
  type AuthUserJson,
} from '../../../sdk/src/contract.ts';
import { bearerToken } from '../../_shared/auth.ts';
import { ApiError } from '../../_shared/problems.ts';
import { json, noContent, route, type RouteSpec, type Services } from '../registry.ts';

const TAG = 'Auth';

interface AuthCall {
  path: string;
  body?: unknown;
  /** Bearer token (defaults to the anon key). */
  token?: string;
}

/** Calls Supabase Auth; non-2xx answers become problems with Auth's code and message. */
async function callAuth(services: Services, { path, body, token }: AuthCall): Promise<unknown> {
  const { supabaseUrl, anonKey } = services.config;
  let res: Response;
  try {
    res = await services.fetch(`${supabaseUrl}/auth/v1${path}`, {
      method: 'POST',
      headers: {
        apikey: anonKey,
        Authorization: `Bearer ${token ?? anonKey}`,
        'Content-Type': 'application/json',
        'X-Supabase-Api-Version': '2024-01-01',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new ApiError({ status: 502, code: 'auth_unavailable', detail: 'Supabase Auth did not answer.', cause: err });
  }
  const text = await res.text();
  let payload: Record<string, unknown> = {};
  try {
    payload = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // non-JSON answer
  }
  if (res.ok) return payload;
  if (res.status >= 500) throw new ApiError({ status: 502, code: 'auth_unavailable', detail: 'Supabase Auth failed to answer.' });
  const code = typeof payload.code === 'string' ? payload.code : typeof payload.error_code === 'string' ? payload.error_code : 'auth_error';
  const message = [payload.message, payload.msg, payload.error_description].find((m) => typeof m === 'string') as string | undefined;
  const retryAfter = res.headers.get('Retry-After');
  throw new ApiError({
    status: res.status,
    code: /^[a-z][a-z0-9_]*$/.test(code) ? code : 'auth_error',
    detail: message ?? 'Supabase Auth refused the request.',
    ...(retryAfter ? { headers: { 'Retry-After': retryAfter } } : {}),
  });
}

function isSession(value: unknown): value is AuthSessionJson {
  const v = value as Partial<AuthSessionJson> | null;
  return !!v && typeof v.access_token === 'string' && typeof v.refresh_token === 'string' && !!v.user;
}

function sessionOrFail(value: unknown): Response {
  if (!isSession(value)) throw new ApiError({ status: 502, code: 'auth_unavailable', detail: 'Supabase Auth answered without a session.' });
  return json(sessionFromAuth(value), 200, { 'Cache-Control': 'no-store' });
}

export const authRoutes: RouteSpec[] = [
  route({
    method: 'post',
    path: '/v1/auth/signup',
    operationId: 'signup',
    summary: 'Sign up with e-mail and password',
    description: 'Creates the account in Supabase Auth. With e-mail confirmations off, the session comes back at once; otherwise `session` is null until the e-mail is confirmed.',
    tag: TAG,
    auth: 'none',
    body: SignupSchema,
    responses: { 201: { description: 'Signed up.', schema: SignupResultSchema } },
    problems: [400, 502],
    async handler({ body, services }) {
      const result = await callAuth(services, {
        path: '/signup',
        body: { email: body.email, password: body.password, data: body.displayName ? { display_name: body.displayName } : {} },
      });
      if (isSession(result)) return json({ user: authUserFromJson(result.user), session: sessionFromAuth(result) }, 201);
      const user = ((result as { user?: AuthUserJson }).user ?? result) as AuthUserJson;
      if (typeof user?.id !== 'string') throw new ApiError({ status: 502, code: 'auth_unavailable', detail: 'Supabase Auth answered without a user.' });
      return json({ user: authUserFromJson(user), session: null }, 201);
    },
  }),
  route({
    method: 'post',
    path: '/v1/auth/login',
    operationId: 'login',
    summary: 'Sign in with e-mail and password',
    description:
      'Failed sign-ins are limited per account (RATE_LIMIT_SIGN_IN_PER_ACCOUNT attempts in RATE_LIMIT_SIGN_IN_WINDOW_SECONDS, from anybody), besides the per-address limit of the auth routes; a successful sign-in starts the count again.',
    tag: TAG,
    auth: 'none',
    body: LoginSchema,
    responses: { 200: { description: 'A session.', schema: SessionSchema } },
    problems: [400, 502],
    async handler({ body, services }) {
      const attempt = await services.rateLimiter.takeSignIn(body.email);
      if (!attempt.allowed) {
        throw new ApiError({
          status: 429,
          code: 'too_many_sign_in_attempts',
          detail: `Too many sign-in attempts for this account; retry in ${attempt.resetSeconds} s.`,
          headers: { 'Retry-After': String(attempt.resetSeconds) },
        });
      }
      const session = sessionOrFail(await callAuth(services, { path: '/token?grant_type=password', body: { email: body.email, password: body.password } }));
      // Best effort: the user has their session either way.
      await services.rateLimiter.forgetSignIns(body.email).catch(() => {});
      return session;
    },
  }),
  route({
    method: 'post',
    path: '/v1/auth/refresh',
    operationId: 'refresh',
    summary: 'Trade a refresh token for a new session',
    description: 'Refresh tokens rotate: use the new one next time.',
    tag: TAG,
    auth: 'none',
    body: RefreshSchema,
    responses: { 200: { description: 'A new session.', schema: SessionSchema } },
    problems: [400, 502],
    async handler({ body, services }) {
      return sessionOrFail(await callAuth(services, { path: '/token?grant_type=refresh_token', body: { refresh_token: body.refreshToken } }));
    },
  }),
  route({
    method: 'post',
    path: '/v1/auth/logout',
    operationId: 'logout',
    summary: 'Sign out',
    description: 'Ends the sessions of the access token\'s user: all of them (`global`, default), this one (`local`) or the others (`others`).',
    tag: TAG,
    auth: 'user',
    query: LogoutQuerySchema,
    responses: { 204: { description: 'Signed out.' } },
    problems: [403, 502],
    async handler({ query, request, services }) {
      // auth: 'user' means the header held a verified bearer token.
      const token = bearerToken(request.headers.get('Authorization')!)!;
      await callAuth(services, { path: `/logout?scope=${query.scope ?? 'global'}`, token });
      return noContent();
    },
  }),
];
