// A thin REST face over Supabase Auth for clients without supabase-js: sign-up, sign-in, refresh
// and sign-out, each one call to `${SUPABASE_URL}/auth/v1` through @supabase/auth-js with the anon
// key. Auth's own error codes (invalid_credentials, weak_password, …) are passed on as problems.
import { AuthClient, isAuthApiError, isAuthSessionMissingError, isAuthWeakPasswordError, type AuthError, type GoTrueClient, type Session } from '@supabase/auth-js';
import {
  LoginSchema,
  LogoutQuerySchema,
  RefreshSchema,
  SessionSchema,
  SignupResultSchema,
  SignupSchema,
  authUserFromJson,
  sessionFromAuth,
} from '../../../sdk/src/contract.ts';
import { bearerToken } from '../../_shared/auth.ts';
import { ApiError } from '../../_shared/problems.ts';
import { json, noContent, route, type RouteSpec, type Services } from '../registry.ts';

const TAG = 'Auth';
/** What one request may spend on Supabase Auth in all. */
const AUTH_DEADLINE_MS = 10_000;

const unavailable = (detail: string, cause?: unknown) => new ApiError({ status: 502, code: 'auth_unavailable', detail, cause });

/** Auth's refusal (4xx) as a problem with Auth's code and message; Auth failing or not answering is a 502. */
function authProblem(error: AuthError): ApiError {
  const { status, code, message } = error;
  // auth-js turns Auth's session_not_found into an error without a code.
  const missingSession = isAuthSessionMissingError(error);
  const refusal = isAuthApiError(error) || isAuthWeakPasswordError(error) || missingSession;
  if (!refusal || !(status !== undefined && status >= 400 && status < 500)) return unavailable('Supabase Auth did not answer.', error);
  const authCode = code ?? (missingSession ? 'session_not_found' : 'auth_error');
  return new ApiError({ status, code: /^[a-z][a-z0-9_]*$/.test(authCode) ? authCode : 'auth_error', detail: message });
}

type Data<R> = Extract<R, { error: null }> extends { data: infer D } ? D : never;

/**
 * One call to Supabase Auth through a client of auth-js made for this request (it keeps the
 * session it receives), with the anon key; its data, or its error as a problem. Bounded by
 * AUTH_DEADLINE_MS in all: auth-js retries a refresh that Auth fails, with back-off, for up to 30 s.
 */
async function askAuth<R extends { data: unknown; error: AuthError | null }>(services: Services, call: (auth: GoTrueClient) => Promise<R>): Promise<Data<R>> {
  const { supabaseUrl, anonKey } = services.config;
  const deadline = AbortSignal.timeout(AUTH_DEADLINE_MS);
  const auth = new AuthClient({
    url: `${supabaseUrl}/auth/v1`,
    headers: { apikey: anonKey, Authorization: `Bearer ${anonKey}` },
    fetch: (input, init) => services.fetch(input, { ...init, signal: deadline }),
    persistSession: false,
    autoRefreshToken: false,
    detectSessionInUrl: false,
  });
  const late = new Promise<never>((_, reject) => deadline.addEventListener('abort', () => reject(unavailable('Supabase Auth did not answer in time.')), { once: true }));
  late.catch(() => {});
  const { data, error } = await Promise.race([call(auth), late]);
  if (error) throw authProblem(error);
  return data as Data<R>;
}

function sessionResponse(session: Session | null): Response {
  if (!session) throw unavailable('Supabase Auth answered without a session.');
  return json(sessionFromAuth(session), 200, { 'Cache-Control': 'no-store' });
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
      const { user, session } = await askAuth(services, (auth) =>
        auth.signUp({ email: body.email, password: body.password, options: { data: body.displayName ? { display_name: body.displayName } : {} } }),
      );
      if (!user) throw unavailable('Supabase Auth answered without a user.');
      return json({ user: authUserFromJson(user), session: session ? sessionFromAuth(session) : null }, 201);
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
      const { session } = await askAuth(services, (auth) => auth.signInWithPassword({ email: body.email, password: body.password }));
      const response = sessionResponse(session);
      // Best effort: the user has their session either way.
      await services.rateLimiter.forgetSignIns(body.email).catch(() => {});
      return response;
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
      const { session } = await askAuth(services, (auth) => auth.refreshSession({ refresh_token: body.refreshToken }));
      return sessionResponse(session);
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
      await askAuth(services, (auth) => auth.admin.signOut(token, query.scope ?? 'global'));
      return noContent();
    },
  }),
];
