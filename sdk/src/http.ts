// The SDK's HTTP layer over the /api/v1 Edge Function: one request function that adds the
// project key and the session's token, applies a timeout, validates the answer with the wire
// schema, and turns every failure (problem documents, network errors, timeouts, answers that do
// not match the contract) into a typed `StudioError` instead of throwing.
import type * as z from 'zod';

/** A failed call. `code` is the API's stable error code (see the Problem schema), or one of
 * `network_error`, `cors_refused` (a browser page whose origin the API does not allow), `timeout`,
 * `invalid_response`, `realtime_unavailable` for failures that never reached an answer. */
export interface StudioError {
  code: string;
  /** HTTP status; 0 when no answer arrived. */
  status: number;
  message: string;
  /** Field errors of a validation problem (`path` is dotted, e.g. `axes.density`). */
  errors?: { path: string; message: string }[];
  requestId?: string;
  /** Seconds to wait before retrying (rate limits). */
  retryAfter?: number;
}

/** Like supabase-js: either `data` or `error`. */
export type StudioResult<T> = { data: T; error: null } | { data: null; error: StudioError };

export type QueryValue = string | number | boolean | undefined | null | readonly (string | number)[];

export interface RequestOptions<S extends z.ZodType | undefined> {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** ETag (or revision number) the caller read; the API answers 412 when it is stale. */
  ifMatch?: string | number;
  /** Schema of a successful answer; undefined for answers without a body (204). */
  schema: S;
  signal?: AbortSignal;
}

export interface HttpSettings {
  /** Base URL of the API, e.g. http://127.0.0.1:54321/functions/v1/api/v1 */
  baseUrl: string;
  /** The project key, sent as `apikey`. */
  key: string;
  /** The signed-in user's access token, when there is one. */
  accessToken: () => Promise<string | null>;
  timeoutMs: number;
  fetch: typeof fetch;
  clientInfo: string;
}

export function ok<T>(data: T): StudioResult<T> {
  return { data, error: null };
}

export function fail<T = never>(error: StudioError): StudioResult<T> {
  return { data: null, error };
}

/** Legacy API keys are JWTs and may be sent as Bearer; `sb_publishable_…` keys may not (docs/PLATFORM.md, "Invoking a function"). */
function isJwt(key: string): boolean {
  return key.split('.').length === 3 && !key.startsWith('sb_');
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    params.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function etag(ifMatch: string | number): string {
  return typeof ifMatch === 'number' ? `"${ifMatch}"` : ifMatch;
}

async function problemOf(response: Response): Promise<StudioError> {
  const retryAfter = Number(response.headers.get('Retry-After'));
  const base: StudioError = {
    code: 'http_error',
    status: response.status,
    message: response.statusText || `HTTP ${response.status}`,
    requestId: response.headers.get('X-Request-Id') ?? undefined,
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter } : {}),
  };
  try {
    const body = (await response.json()) as Record<string, unknown>;
    return {
      ...base,
      code: typeof body.code === 'string' ? body.code : base.code,
      message: typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : base.message,
      ...(Array.isArray(body.errors) ? { errors: body.errors as StudioError['errors'] } : {}),
      ...(typeof body.requestId === 'string' ? { requestId: body.requestId } : {}),
    };
  } catch {
    return base;
  }
}

/**
 * Why a request got no answer. In a browser, an answer refused by CORS fails exactly like a network
 * outage; a `no-cors` request (which needs no permission, and shows nothing of the answer) tells
 * the two apart: it succeeds when the server is there.
 */
async function noAnswer(settings: HttpSettings, err: unknown): Promise<StudioError> {
  const failed: StudioError = { code: 'network_error', status: 0, message: `request failed: ${err instanceof Error ? err.message : String(err)}` };
  const page = typeof location === 'undefined' ? undefined : location.origin;
  const aborted = err instanceof Error && err.name === 'AbortError';
  let api: string;
  try {
    api = new URL(settings.baseUrl).origin;
    if (!page || page === api || aborted) return failed;
    await settings.fetch(`${settings.baseUrl}/health`, { mode: 'no-cors', signal: AbortSignal.timeout(5000) });
  } catch {
    return failed;
  }
  return {
    code: 'cors_refused',
    status: 0,
    message: `${api} answered, but the browser kept the answer from this page: the API does not allow the origin ${page} (CORS). Add it to the function's CORS_ALLOWED_ORIGINS.`,
  };
}

export function createRequester(settings: HttpSettings) {
  return async function request<S extends z.ZodType | undefined>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: RequestOptions<S>,
  ): Promise<StudioResult<S extends z.ZodType ? z.infer<S> : null>> {
    type Data = S extends z.ZodType ? z.infer<S> : null;
    const headers: Record<string, string> = { apikey: settings.key, Accept: 'application/json', 'X-Client-Info': settings.clientInfo };
    const token = (await settings.accessToken()) ?? (isJwt(settings.key) ? settings.key : null);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.ifMatch !== undefined) headers['If-Match'] = etag(options.ifMatch);

    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await settings.fetch(`${settings.baseUrl}${path}${queryString(options.query)}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
      });
    } catch (err) {
      if (timeout.aborted) return fail({ code: 'timeout', status: 0, message: `no answer within ${settings.timeoutMs} ms` });
      return fail(await noAnswer(settings, err));
    }

    if (!response.ok) return fail(await problemOf(response));
    if (options.schema === undefined) {
      // Nothing to parse (204), but a body that did come must be let go, or its connection stays busy.
      await response.body?.cancel().catch(() => {});
      return ok(null as Data);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return fail({ code: 'invalid_response', status: response.status, message: 'the API answered with something that is not JSON' });
    }
    const parsed = options.schema.safeParse(body);
    if (!parsed.success) {
      return fail({
        code: 'invalid_response',
        status: response.status,
        message: `the API's answer does not match the SDK's contract: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
      });
    }
    return ok(parsed.data as Data);
  };
}

export type Requester = ReturnType<typeof createRequester>;
