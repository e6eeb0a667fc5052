// What every part of the Auth stand-in shares: configuration, the database pool, the key ring, the
// password hasher and the rate limits.
import type { Sql, TransactionSql } from 'postgres';
import type { LocalConfig } from '../config.ts';
import type { KeyRing } from '../jwt.ts';
import type { RateLimiter } from './limits.ts';
import type { PasswordHasher } from './passwords.ts';

export interface AuthContext {
  config: LocalConfig;
  sql: Sql;
  keys: KeyRing;
  passwords: PasswordHasher;
  /** A hash of a random secret at the cost of real ones: failed look-ups spend a compare on it. */
  decoyHash: Promise<string>;
  /** `[auth.rate_limit]`. */
  limits: RateLimiter;
  /** `iss` of the access tokens we issue. */
  issuer: string;
  /** Audience of users and tokens (`GOTRUE_JWT_AUD`). */
  aud: string;
  /** JWT roles allowed on /admin (`GOTRUE_JWT_ADMIN_ROLES`, plus GoTrue's own superuser role). */
  adminRoles: string[];
  log(message: string, err?: unknown): void;
}

/** A pool or a transaction: reads work on both. */
export type Db = Sql | TransactionSql;

/** `GOTRUE_SMTP_MAX_FREQUENCY` of the CLI (`[auth.email] max_frequency = "1s"`). */
export const EMAIL_MAX_FREQUENCY_SECONDS = 1;

/** Postgres' nil UUID, GoTrue's `instance_id` for every row it writes. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
