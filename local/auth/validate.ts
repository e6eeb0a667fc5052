// Input rules GoTrue applies before touching the database: e-mail syntax, password strength,
// phone format, UUIDs and Go durations.
import { badRequest, Errors } from './errors.ts';
import { MAX_PASSWORD_BYTES } from './passwords.ts';

// The usual RFC 5322 "dot-atom @ hostname" shape, as GoTrue's checkmail validates it.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Returns the lower-cased address or throws Auth's validation error. */
export function validateEmail(email: string | undefined): string {
  if (!email) throw badRequest('validation_failed', 'An email address is required');
  if (email.length > 255) throw badRequest('validation_failed', 'An email address is too long');
  if (!EMAIL.test(email)) throw badRequest('validation_failed', 'Unable to validate email address: invalid format');
  return email.toLowerCase();
}

export function checkPasswordStrength(password: string, minimumLength: number): void {
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw badRequest('validation_failed', `Password cannot be longer than ${MAX_PASSWORD_BYTES} characters`);
  }
  // GoTrue counts characters (runes), not bytes, for the minimum.
  if ([...password].length < minimumLength) {
    throw Errors.weakPassword(`Password should be at least ${minimumLength} characters.`, ['length']);
  }
}

/** GoTrue strips formatting and wants E.164 digits without the `+`. */
export function validatePhone(phone: string): string {
  const digits = phone.replace(/[\s+\-()]/g, '');
  if (!/^[1-9]\d{4,14}$/.test(digits)) {
    throw badRequest('validation_failed', 'Invalid phone number format (E.164 required)');
  }
  return digits;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

const MAX_GO_DURATION_MS = 9_223_372_036_854;

/** Parses a Go duration (`"24h"`, `"1h30m"`, `"0"`) into milliseconds; `null` when malformed. */
export function parseGoDuration(text: string): number | null {
  const match = /^([+-]?)(.*)$/.exec(text);
  const sign = match?.[1] === '-' ? -1 : 1;
  const rest = match?.[2] ?? '';
  if (rest === '0') return 0;
  if (rest === '') return null;
  let total = 0;
  let consumed = 0;
  for (const part of rest.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    if (part.index !== consumed) return null;
    total += Number(part[1]) * (DURATION_UNITS[part[2] as string] ?? 0);
    consumed += part[0].length;
  }
  // Go durations are int64 nanoseconds: about 292 years at most.
  if (consumed !== rest.length || total > MAX_GO_DURATION_MS) return null;
  return sign * total;
}
