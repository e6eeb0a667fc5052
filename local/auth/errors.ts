// The error contract of Supabase Auth (docs/PLATFORM.md, "Auth errors"). Every failure the service
// reports is an `AuthError`; http.ts renders it in the shape the request's API version asks for.

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Weak-password errors carry their reasons (`weak_password.reasons`). */
    readonly reasons?: string[],
  ) {
    super(message);
  }
}

const make = (status: number) => (code: string, message: string) => new AuthError(status, code, message);

export const badRequest = make(400);
export const unauthorized = make(401);
export const forbidden = make(403);
export const notFound = make(404);
export const unprocessable = make(422);
export const tooManyRequests = make(429);

/** The status/code/message rows of Auth's errors that are fixed texts. */
export const Errors = {
  invalidCredentials: () => badRequest('invalid_credentials', 'Invalid login credentials'),
  emailNotConfirmed: () => badRequest('email_not_confirmed', 'Email not confirmed'),
  userBanned: () => badRequest('user_banned', 'User is banned'),
  noAuthorization: () => unauthorized('no_authorization', 'This endpoint requires a valid Bearer token'),
  badJwt: (reason: string) => forbidden('bad_jwt', `invalid JWT: unable to parse or verify signature, ${reason}`),
  missingSub: () => forbidden('bad_jwt', 'invalid claim: missing sub claim'),
  userFromSubMissing: () => forbidden('user_not_found', 'User from sub claim in JWT does not exist'),
  sessionFromClaimMissing: () => forbidden('session_not_found', 'Session from session_id claim in JWT does not exist'),
  notAdmin: () => forbidden('not_admin', 'User not allowed'),
  userNotFound: () => notFound('user_not_found', 'User not found'),
  emailExists: () => unprocessable('email_exists', 'A user with this email address has already been registered'),
  phoneExists: () => unprocessable('phone_exists', 'A user with this phone number has already been registered'),
  userAlreadyExists: () => unprocessable('user_already_exists', 'User already registered'),
  signupDisabled: () => unprocessable('signup_disabled', 'Signups not allowed for this instance'),
  samePassword: () => unprocessable('same_password', 'New password should be different from the old password.'),
  refreshTokenNotValid: () => badRequest('validation_failed', 'Refresh token is not valid'),
  refreshTokenNotFound: () => badRequest('refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found'),
  refreshTokenAlreadyUsed: () => badRequest('refresh_token_already_used', 'Invalid Refresh Token: Already Used'),
  refreshSessionMissing: () => badRequest('session_not_found', 'Invalid Refresh Token: No Valid Session Found'),
  refreshSessionExpired: () => badRequest('session_expired', 'Invalid Refresh Token: Session Expired'),
  refreshConflict: () =>
    new AuthError(409, 'conflict', 'Too many concurrent token refresh requests on the same session or refresh token'),
  overRequestRateLimit: () => tooManyRequests('over_request_rate_limit', 'Request rate limit reached'),
  overEmailSendRateLimit: () => tooManyRequests('over_email_send_rate_limit', 'email rate limit exceeded'),
  emailRateLimit: (seconds: number) =>
    tooManyRequests('over_email_send_rate_limit', `For security purposes, you can only request this after ${seconds} seconds.`),
  weakPassword: (message: string, reasons: string[]) => new AuthError(422, 'weak_password', message, reasons),
  /** GoTrue decodes bodies into typed structs, so a wrong JSON type is a JSON error too. */
  badJson: (detail: string) => badRequest('bad_json', `Could not parse request body as JSON: ${detail}`),
  bodyTooLarge: (limit: number) => new AuthError(413, 'request_too_large', `Request body exceeds ${limit} bytes`),
  routeNotFound: () => notFound('not_found', 'Not Found'),
  methodNotAllowed: () => new AuthError(405, 'method_not_allowed', 'Method Not Allowed'),
  /** Never carries internals: the cause is logged, the client sees a fixed text. */
  unexpected: (message = 'Unexpected failure, please check server logs for more information') =>
    new AuthError(500, 'unexpected_failure', message),
};

/** A database failure: the client sees `message` as a 500, the cause only goes to the log. */
export class DatabaseError extends AuthError {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(500, 'unexpected_failure', message);
  }
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
