// auth.users and auth.identities: reading, writing, and the JSON shape GoTrue gives them
// (docs/PLATFORM.md, "Sessions and users on the wire").
import { randomUUID } from 'node:crypto';
import type { Db } from './context.ts';
import { NIL_UUID } from './context.ts';

export type Metadata = Record<string, unknown>;

export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  confirmation_sent_at: Date | null;
  recovery_sent_at: Date | null;
  email_change: string | null;
  email_change_sent_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Metadata | null;
  raw_user_meta_data: Metadata | null;
  created_at: Date;
  updated_at: Date;
  phone: string | null;
  phone_confirmed_at: Date | null;
  phone_change: string | null;
  phone_change_sent_at: Date | null;
  confirmed_at: Date | null;
  reauthentication_sent_at: Date | null;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
}

export interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Metadata;
  provider: string;
  last_sign_in_at: Date | null;
  created_at: Date;
  updated_at: Date;
  email: string | null;
}

export function isBanned(user: UserRow, now = new Date()): boolean {
  return user.banned_until !== null && user.banned_until > now;
}

export function hasPassword(user: UserRow): boolean {
  return typeof user.encrypted_password === 'string' && user.encrypted_password !== '';
}

/**
 * Shallow merge as GoTrue's UpdateUserMetaData: a `null` value deletes the key. Keys are defined,
 * not assigned, so a `__proto__` key from a client stays plain data.
 */
export function mergeMetadata(base: Metadata | null, updates: Metadata): Metadata {
  const out: Metadata = {};
  const put = (key: string, value: unknown) =>
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  for (const [key, value] of Object.entries(base ?? {})) put(key, value);
  for (const [key, value] of Object.entries(updates)) {
    if (value === null) delete out[key];
    else put(key, value);
  }
  return out;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | null> {
  const [row] = await db<UserRow[]>`select * from auth.users where id = ${id}`;
  return row ?? null;
}

export async function findUserByEmail(db: Db, email: string, aud: string): Promise<UserRow | null> {
  const [row] = await db<UserRow[]>`
    select * from auth.users
    where lower(email) = ${email.toLowerCase()} and aud = ${aud} and is_sso_user = false
    limit 1`;
  return row ?? null;
}

export async function findUserByPhone(db: Db, phone: string, aud: string): Promise<UserRow | null> {
  const [row] = await db<UserRow[]>`select * from auth.users where phone = ${phone} and aud = ${aud} limit 1`;
  return row ?? null;
}

export async function identitiesOf(db: Db, userIds: string[]): Promise<Map<string, IdentityRow[]>> {
  const byUser = new Map<string, IdentityRow[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return byUser;
  const rows = await db<IdentityRow[]>`
    select * from auth.identities where user_id = any(${userIds}::uuid[]) order by created_at, id`;
  for (const row of rows) byUser.get(row.user_id)?.push(row);
  return byUser;
}

export interface NewUser {
  id?: string;
  aud: string;
  role: string;
  email: string | null;
  phone: string | null;
  encryptedPassword: string | null;
  appMetadata: Metadata;
  userMetadata: Metadata;
  emailConfirmedAt?: Date | null;
  phoneConfirmedAt?: Date | null;
  confirmationSentAt?: Date | null;
  confirmationToken?: string;
}

export async function insertUser(db: Db, user: NewUser, now = new Date()): Promise<UserRow> {
  const [row] = await db<UserRow[]>`
    insert into auth.users (
      instance_id, id, aud, role, email, phone, encrypted_password, raw_app_meta_data, raw_user_meta_data,
      email_confirmed_at, phone_confirmed_at, confirmation_sent_at, confirmation_token, created_at, updated_at,
      is_sso_user, is_anonymous
    ) values (
      ${NIL_UUID}, ${user.id ?? randomUUID()}, ${user.aud}, ${user.role}, ${user.email}, ${user.phone},
      ${user.encryptedPassword}, ${db.json(user.appMetadata as never)}, ${db.json(user.userMetadata as never)},
      ${user.emailConfirmedAt ?? null}, ${user.phoneConfirmedAt ?? null}, ${user.confirmationSentAt ?? null},
      ${user.confirmationToken ?? ''}, ${now}, ${now}, false, false
    )
    returning *`;
  return row as UserRow;
}

/** Updates the given columns (metadata as jsonb) and returns the fresh row. */
export async function updateUser(
  db: Db,
  id: string,
  changes: Partial<Record<keyof UserRow | string, unknown>>,
): Promise<UserRow> {
  const values: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(changes)) {
    values[column] =
      (column === 'raw_app_meta_data' || column === 'raw_user_meta_data') && value !== null ? db.json(value as never) : value;
  }
  const [row] = await db<UserRow[]>`update auth.users set ${db(values)} where id = ${id} returning *`;
  return row as UserRow;
}

/** The identity_data GoTrue stores for an e-mail/phone identity (provider.Claims as a map). */
export function identityClaims(userId: string, email: string | null, phone: string | null): Metadata {
  const claims: Metadata = { sub: userId };
  if (email) claims.email = email;
  if (phone) claims.phone = phone;
  claims.email_verified = false;
  claims.phone_verified = false;
  return claims;
}

export async function insertIdentity(
  db: Db,
  userId: string,
  provider: 'email' | 'phone',
  identityData: Metadata,
  now = new Date(),
): Promise<IdentityRow> {
  const [row] = await db<IdentityRow[]>`
    insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
    values (${randomUUID()}, ${userId}, ${userId}, ${db.json(identityData as never)}, ${provider}, ${now}, ${now}, ${now})
    returning *`;
  return row as IdentityRow;
}

/** Merges keys into the identity_data of the user's identity for `provider`. */
export async function updateIdentityData(db: Db, userId: string, provider: string, changes: Metadata): Promise<void> {
  await db`
    update auth.identities
    set identity_data = identity_data || ${db.json(changes as never)}, updated_at = ${new Date()}
    where user_id = ${userId} and provider = ${provider}`;
}

/** Marks the e-mail confirmed the way GoTrue's User.Confirm does (metadata included). */
export async function confirmEmail(db: Db, user: UserRow, now = new Date()): Promise<UserRow> {
  await updateIdentityData(db, user.id, 'email', { email_verified: true });
  return updateUser(db, user.id, {
    email_confirmed_at: now,
    confirmation_token: '',
    raw_user_meta_data: mergeMetadata(user.raw_user_meta_data, { email_verified: true }),
  });
}

export async function confirmPhone(db: Db, user: UserRow, now = new Date()): Promise<UserRow> {
  await updateIdentityData(db, user.id, 'phone', { phone_verified: true });
  return updateUser(db, user.id, {
    phone_confirmed_at: now,
    raw_user_meta_data: mergeMetadata(user.raw_user_meta_data, { phone_verified: true }),
  });
}

const iso = (value: Date | null | undefined) => (value ? value.toISOString() : undefined);

export function identityJson(identity: IdentityRow): Record<string, unknown> {
  return omitUndefined({
    identity_id: identity.id,
    id: identity.provider_id,
    user_id: identity.user_id,
    identity_data: identity.identity_data,
    provider: identity.provider,
    last_sign_in_at: iso(identity.last_sign_in_at),
    created_at: iso(identity.created_at),
    updated_at: iso(identity.updated_at),
    email: identity.email ?? undefined,
  });
}

/** The User object (docs/PLATFORM.md, "Sessions and users on the wire"), fields in GoTrue's order, optional timestamps omitted when null. */
export function userJson(user: UserRow, identities: IdentityRow[]): Record<string, unknown> {
  return omitUndefined({
    id: user.id,
    aud: user.aud ?? '',
    role: user.role ?? '',
    email: user.email ?? '',
    email_confirmed_at: iso(user.email_confirmed_at),
    invited_at: iso(user.invited_at),
    phone: user.phone ?? '',
    phone_confirmed_at: iso(user.phone_confirmed_at),
    confirmation_sent_at: iso(user.confirmation_sent_at),
    confirmed_at: iso(user.confirmed_at),
    recovery_sent_at: iso(user.recovery_sent_at),
    new_email: user.email_change || undefined,
    email_change_sent_at: iso(user.email_change_sent_at),
    new_phone: user.phone_change || undefined,
    phone_change_sent_at: iso(user.phone_change_sent_at),
    reauthentication_sent_at: iso(user.reauthentication_sent_at),
    last_sign_in_at: iso(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: identities.map(identityJson),
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
    banned_until: iso(user.banned_until),
    deleted_at: iso(user.deleted_at),
    is_anonymous: user.is_anonymous,
  });
}

export async function loadUserJson(db: Db, user: UserRow): Promise<Record<string, unknown>> {
  const identities = await identitiesOf(db, [user.id]);
  return userJson(user, identities.get(user.id) ?? []);
}

function omitUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
