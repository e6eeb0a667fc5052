// Errors as application/problem+json (RFC 9457) with a stable `code`, and the mapping of Postgres
// errors onto them: SQL text, table and constraint names never reach the client.
import type * as z from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemInit {
  status: number;
  code: string;
  detail: string;
  title?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Logged (never sent): what went wrong underneath. */
  cause?: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(init: ProblemInit) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.title = init.title ?? TITLES[init.status] ?? 'Error';
    if (init.errors) this.errors = init.errors;
    this.headers = init.headers ?? {};
  }
}

export const problem = {
  badRequest: (code: string, detail: string) => new ApiError({ status: 400, code, detail }),
  /** The client broke off while sending its body: their doing, not a 500. */
  bodyCutShort: () => new ApiError({ status: 400, code: 'malformed_request', detail: 'The body could not be read to its end.' }),
  validation: (errors: FieldError[], detail = 'The request is not valid; see errors.') =>
    new ApiError({ status: 422, code: 'validation_failed', detail, errors }),
  unauthorized: (detail = 'This route needs a signed-in user: send `Authorization: Bearer <access token>`.') =>
    new ApiError({ status: 401, code: 'unauthorized', detail, headers: { 'WWW-Authenticate': 'Bearer' } }),
  invalidToken: (detail: string) =>
    new ApiError({
      status: 401,
      code: 'invalid_token',
      detail,
      headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${detail.replace(/["\\]/g, '')}"` },
    }),
  sessionExpired: () =>
    new ApiError({
      status: 401,
      code: 'session_expired',
      detail: 'The session of this access token has ended (signed out, revoked, or the user was deleted); sign in again.',
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The session has ended"' },
    }),
  forbidden: (detail: string, code = 'forbidden') => new ApiError({ status: 403, code, detail }),
  notFound: (detail = 'Nothing here that you can see.', code = 'not_found') => new ApiError({ status: 404, code, detail }),
  conflict: (code: string, detail: string, errors?: FieldError[]) => new ApiError({ status: 409, code, detail, ...(errors ? { errors } : {}) }),
  preconditionFailed: (detail = 'The resource changed since you read it (If-Match does not match its ETag); read it again and retry.') =>
    new ApiError({ status: 412, code: 'precondition_failed', detail }),
};

export function problemType(code: string): string {
  return `https://tekton.studio/problems/${code.replace(/_/g, '-')}`;
}

export function problemBody(error: ApiError, requestId: string): Record<string, unknown> {
  return {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    requestId,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

/** zod issues → field errors (path dotted, e.g. `axes.density`; the root is `(body)` / `(query)`). */
export function fieldErrors(error: z.ZodError, root: string, prefix = ''): FieldError[] {
  return error.issues.slice(0, 50).map((issue) => {
    const path = issue.path.map(String).join('.');
    const keys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys : undefined;
    if (keys && keys.length > 0) {
      return { path: [prefix, path].filter(Boolean).join('.') || root, message: `unknown field(s): ${keys.slice(0, 10).join(', ')}` };
    }
    return { path: [prefix, path].filter(Boolean).join('.') || root, message: issue.message };
  });
}

// ---------------------------------------------------------------------------------------------
// Postgres errors
// ---------------------------------------------------------------------------------------------

/** The parts of a postgres.js `PostgresError` (or a network error) this mapping reads. */
interface DatabaseErrorLike {
  code?: string;
  constraint_name?: string;
  column_name?: string;
  hint?: string;
  errno?: string;
}

/** Constraint → wire field, for friendly validation errors. */
const CONSTRAINT_FIELDS: Record<string, string> = {
  brand_dna_slug_format: 'slug',
  brand_dna_name_length: 'name',
  brand_dna_description_length: 'description',
  brand_dna_density_range: 'axes.density',
  brand_dna_warmth_range: 'axes.warmth',
  brand_dna_playfulness_range: 'axes.playfulness',
  brand_dna_sophistication_range: 'axes.sophistication',
  brand_dna_energy_range: 'axes.energy',
  brand_dna_version_semver: 'version',
  brand_dna_slug_unique_in_workspace: 'slug',
  workspaces_name_length: 'name',
  workspaces_name_nfc: 'name',
  workspaces_name_visible: 'name',
  brand_dna_name_nfc: 'name',
  brand_dna_name_visible: 'name',
  presets_name_nfc: 'name',
  presets_name_visible: 'name',
  profiles_display_name_nfc: 'displayName',
  profiles_display_name_visible: 'displayName',
  presets_name_length: 'name',
  presets_description_length: 'description',
  presets_category_format: 'category',
  presets_tags_valid: 'tags',
  presets_density_range: 'axes.density',
  presets_warmth_range: 'axes.warmth',
  presets_playfulness_range: 'axes.playfulness',
  presets_sophistication_range: 'axes.sophistication',
  presets_energy_range: 'axes.energy',
  presets_thumbnail_url_format: 'thumbnailUrl',
  presets_metadata_object: 'metadata',
  presets_single_owner: 'workspaceId',
  presets_builtin_name_unique: 'name',
  workspace_members_pkey: 'email',
};

const UNIQUE_CODES: Record<string, [code: string, detail: string]> = {
  brand_dna_slug_unique_in_workspace: ['slug_taken', 'The workspace already has a brand DNA with this slug.'],
  workspace_members_pkey: ['already_member', 'That user is already a member of this workspace.'],
  presets_builtin_name_unique: ['name_taken', 'A built-in preset with this name already exists.'],
};

function camelField(column: string | undefined): string {
  return (column ?? '').replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()) || '(body)';
}

/** Network and connection errors (postgres.js codes, socket errnos): the database is not reachable. */
const UNAVAILABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
]);

/** Maps an error from the database to a problem; unknown errors become a 500 (logged, not shown). */
export function fromDatabaseError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = (err ?? {}) as DatabaseErrorLike;
  const code = e.code ?? '';
  const field = e.constraint_name ? CONSTRAINT_FIELDS[e.constraint_name] : undefined;
  switch (code) {
    case '23505': {
      const [apiCode, detail] = (e.constraint_name && UNIQUE_CODES[e.constraint_name]) || ['conflict', 'That would duplicate an existing record.'];
      return problem.conflict(apiCode, detail, field ? [{ path: field, message: 'is already taken' }] : undefined);
    }
    case '23514':
      return new ApiError({ status: 422, code: 'validation_failed', detail: 'A value breaks a rule of the data.', errors: [{ path: field ?? '(body)', message: 'is not allowed' }], cause: err });
    case '23502':
      return new ApiError({ status: 422, code: 'validation_failed', detail: 'A required value is missing.', errors: [{ path: camelField(e.column_name), message: 'is required' }], cause: err });
    case '23503':
      return new ApiError({ status: 422, code: 'invalid_reference', detail: 'A referenced record does not exist.', cause: err });
    case '42501':
      return problem.forbidden('Your role does not allow this.');
    case 'TK001':
      return problem.conflict('last_owner', 'A workspace must keep at least one owner: make another member an owner first.');
    case 'TK002':
      return problem.notFound('There is no user with that e-mail address.', 'user_not_found');
    case 'TK003':
      return new ApiError({ status: 422, code: 'immutable_field', detail: 'That field cannot change after creation.' });
    case 'TK004':
      return problem.notFound('The brand DNA has no such version.', 'version_not_found');
    case 'TKA01':
      return problem.sessionExpired();
    // Invitations (see the invitations migrations).
    case 'TK110':
      return problem.notFound('There is no such invitation for you: check the link, or sign in with the invited (confirmed) e-mail address.', 'invitation_not_found');
    case 'TK111':
      return problem.conflict('invitation_expired', 'The invitation has expired; ask an owner of the workspace for a new one.');
    case 'TK112':
      return problem.conflict('invitation_revoked', 'The invitation was withdrawn (or replaced by a newer one).');
    case 'TK113':
      return problem.conflict('invitation_used', 'The invitation was already accepted or declined.');
    case 'TK114':
      return problem.conflict('already_member', 'That person is already a member of this workspace.');
    case 'TK115':
      return problem.conflict('too_many_open_invitations', 'The workspace has 100 open invitations; withdraw some, or wait until they are answered or expire.');
    case 'TK116':
      // The hint is the number of seconds until the inviter may invite again.
      return new ApiError({ status: 429, code: 'too_many_invitations', detail: 'You made 100 invitations in the last 24 hours; retry later.', headers: { 'Retry-After': e.hint ?? '3600' } });
    case '40001':
    case '40P01':
    case '55P03':
      return new ApiError({
        status: 409,
        code: 'conflict',
        detail: 'A concurrent change got in the way; retry the request.',
        headers: { 'Retry-After': '1' },
        cause: err,
      });
    case '57014':
      return new ApiError({ status: 503, code: 'timeout', detail: 'The request took too long; narrow it down or retry later.', headers: { 'Retry-After': '1' }, cause: err });
  }
  if (code.startsWith('22') || code === '54000' || code === '54001') {
    return new ApiError({ status: 422, code: 'validation_failed', detail: 'A value is out of range or malformed.', errors: [{ path: field ?? camelField(e.column_name), message: 'is not valid' }], cause: err });
  }
  if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P') || UNAVAILABLE.has(code) || UNAVAILABLE.has(e.errno ?? '')) {
    return new ApiError({ status: 503, code: 'database_unavailable', detail: 'The database is not reachable right now; retry in a moment.', headers: { 'Retry-After': '2' }, cause: err });
  }
  return new ApiError({ status: 500, code: 'internal_error', detail: 'Something went wrong on our side; the request id helps us find it.', cause: err });
}
