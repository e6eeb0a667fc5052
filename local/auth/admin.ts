// /admin/users: create, list, get, update and delete users with an admin-role token
// (docs/PLATFORM.md, "Auth endpoints", "Sign-up, sign-in, user updates and sign-out").
import { createHash, randomBytes } from 'node:crypto';
import { NIL_UUID, type AuthContext, type Db } from './context.ts';
import { AuthError, badRequest, DatabaseError, Errors, isUniqueViolation, notFound } from './errors.ts';
import { Body, checkStorable, readBody, sendJson, type Request } from './http.ts';
import { requestAud, requireAdmin } from './guard.ts';
import { isBcryptHash } from './passwords.ts';
import { logout as deleteSessions } from './sessions.ts';
import {
  confirmEmail,
  confirmPhone,
  findUserByEmail,
  findUserById,
  findUserByPhone,
  identityClaims,
  identitiesOf,
  insertIdentity,
  insertUser,
  loadUserJson,
  mergeMetadata,
  updateIdentityData,
  updateUser,
  userJson,
  type Metadata,
  type UserRow,
} from './users.ts';
import { checkPasswordStrength, isUuid, parseGoDuration, validateEmail, validatePhone } from './validate.ts';

const DEFAULT_PER_PAGE = 50;
const STRING_TOO_LONG = '22001';

export async function adminRoute(ctx: AuthContext, r: Request, id: string | null): Promise<void> {
  const claims = await requireAdmin(ctx, r);
  const aud = requestAud(ctx, claims);
  if (id === null) {
    if (r.method === 'GET') return listUsers(ctx, r, aud);
    return createUser(ctx, r, aud);
  }
  // loadUser of GoTrue: a malformed id is a 404 as well, only with another code.
  if (!isUuid(id)) throw notFound('validation_failed', 'user_id must be an UUID');
  const user = await findUserById(ctx.sql, id);
  if (!user) throw Errors.userNotFound();
  if (r.method === 'GET') return sendJson(r, 200, await loadUserJson(ctx.sql, user));
  if (r.method === 'PUT') return updateUserById(ctx, r, user);
  return deleteUser(ctx, r, user);
}

/** The fields of GoTrue's AdminUserParams, type-checked. */
function adminParams(body: Body) {
  return {
    id: body.string('id') ?? '',
    aud: body.string('aud') ?? '',
    role: body.string('role') ?? '',
    email: body.string('email') ?? '',
    phone: body.string('phone') ?? '',
    password: body.string('password'),
    passwordHash: body.string('password_hash') ?? '',
    emailConfirm: body.bool('email_confirm') ?? false,
    phoneConfirm: body.bool('phone_confirm') ?? false,
    userMetadata: body.object('user_metadata'),
    appMetadata: body.object('app_metadata'),
    banDuration: body.string('ban_duration') ?? '',
  };
}

/** `ban_duration`: a Go duration or "none"; `null` = leave the ban as it is. */
function banUntil(text: string): Date | null | undefined {
  if (text === '') return undefined;
  if (text === 'none') return null;
  const ms = parseGoDuration(text);
  if (ms === null)
    throw badRequest('validation_failed', `invalid format for ban duration: time: invalid duration ${JSON.stringify(text)}`);
  return ms === 0 ? null : new Date(Date.now() + ms);
}

function databaseFailure(message: string) {
  return (err: unknown): never => {
    if (err instanceof AuthError) throw err;
    // varchar(255) columns such as role and aud: a client error, not a server one.
    if ((err as { code?: unknown }).code === STRING_TOO_LONG)
      throw badRequest('validation_failed', 'A value exceeds the length its column allows');
    if (isUniqueViolation(err)) {
      const constraint = String((err as { constraint_name?: unknown }).constraint_name ?? '');
      if (constraint.includes('phone')) throw Errors.phoneExists();
      if (constraint.includes('email')) throw Errors.emailExists();
      throw Errors.userAlreadyExists();
    }
    throw new DatabaseError(message, err);
  };
}

async function createUser(ctx: AuthContext, r: Request, requestAudience: string): Promise<void> {
  const params = adminParams(Body.parse(await readBody(r), 'AdminUserParams'));
  const aud = params.aud || requestAudience;
  if (!params.email && !params.phone)
    throw badRequest('validation_failed', 'Cannot create a user without either an email or phone');
  const providers: string[] = [];
  let email: string | null = null;
  let phone: string | null = null;
  if (params.email) {
    email = validateEmail(params.email);
    if (await findUserByEmail(ctx.sql, email, aud)) throw Errors.emailExists();
    providers.push('email');
  }
  if (params.phone) {
    phone = validatePhone(params.phone);
    if (await findUserByPhone(ctx.sql, phone, aud)) throw Errors.phoneExists();
    providers.push('phone');
  }
  if (params.password !== undefined && params.passwordHash) {
    throw badRequest('validation_failed', 'Only a password or a password hash should be provided');
  }
  if (params.passwordHash && !isBcryptHash(params.passwordHash)) {
    throw badRequest('validation_failed', 'Invalid password hash format: only bcrypt hashes ($2a$, $2b$, $2y$) are supported');
  }
  if (params.id) {
    if (!isUuid(params.id)) throw badRequest('validation_failed', 'ID must conform to the uuid v4 format');
    if (params.id === NIL_UUID) throw badRequest('validation_failed', 'ID cannot be a nil UUID');
  }
  const bannedUntil = banUntil(params.banDuration);
  let encryptedPassword = params.passwordHash || null;
  if (!encryptedPassword) {
    const password = params.password || randomBytes(48).toString('base64url'); // 64 random characters
    if (params.password) checkPasswordStrength(password, ctx.config.auth.minimumPasswordLength);
    encryptedPassword = await ctx.passwords.hash(password);
  }

  const created = await ctx.sql
    .begin(async (tx) => {
      let user = await insertUser(tx, {
        id: params.id ? params.id.toLowerCase() : undefined,
        aud,
        role: params.role || 'authenticated',
        email,
        phone,
        encryptedPassword,
        appMetadata: mergeMetadata({ provider: providers[0], providers }, params.appMetadata ?? {}),
        // Stored as given: unlike sign-up, no identity data is merged in.
        userMetadata: params.userMetadata ?? {},
      });
      if (email) await insertIdentity(tx, user.id, 'email', identityClaims(user.id, email, null));
      if (phone) await insertIdentity(tx, user.id, 'phone', identityClaims(user.id, null, phone));
      if (params.emailConfirm && email) user = await confirmEmail(tx, user);
      if (params.phoneConfirm && phone) user = await confirmPhone(tx, user);
      if (bannedUntil !== undefined) user = await updateUser(tx, user.id, { banned_until: bannedUntil });
      return loadUserJson(tx, user);
    })
    .catch(databaseFailure('Database error creating new user'));
  // 200, not 201, like GoTrue.
  sendJson(r, 200, created);
}

async function updateUserById(ctx: AuthContext, r: Request, user: UserRow): Promise<void> {
  const params = adminParams(Body.parse(await readBody(r), 'AdminUserParams'));
  const aud = user.aud ?? ctx.aud;
  let email: string | null = null;
  let phone: string | null = null;
  if (params.email) {
    email = validateEmail(params.email);
    const other = await findUserByEmail(ctx.sql, email, aud);
    if (other && other.id !== user.id) throw Errors.emailExists();
  }
  if (params.phone) {
    phone = validatePhone(params.phone);
    const other = await findUserByPhone(ctx.sql, phone, aud);
    if (other && other.id !== user.id) throw Errors.phoneExists();
  }
  const bannedUntil = banUntil(params.banDuration);
  let encryptedPassword: string | undefined;
  if (params.password !== undefined) {
    checkPasswordStrength(params.password, ctx.config.auth.minimumPasswordLength);
    encryptedPassword = await ctx.passwords.hash(params.password);
  }

  const updated = await ctx.sql
    .begin(async (tx) => {
      let current = user;
      const now = new Date();
      if (params.role) current = await updateUser(tx, current.id, { role: params.role });
      if (params.emailConfirm && !current.email_confirmed_at) current = await confirmEmail(tx, current);
      if (params.phoneConfirm && !current.phone_confirmed_at) current = await confirmPhone(tx, current);
      if (encryptedPassword !== undefined) {
        current = await updateUser(tx, current.id, { encrypted_password: encryptedPassword });
        // An admin password reset signs the user out everywhere.
        await deleteSessions(tx, current.id, null, 'global');
      }
      if (email && email !== current.email) current = await changeIdentifier(tx, current, 'email', email);
      if (phone && phone !== current.phone) current = await changeIdentifier(tx, current, 'phone', phone);
      if (params.appMetadata) {
        current = await updateUser(tx, current.id, {
          raw_app_meta_data: mergeMetadata(current.raw_app_meta_data, params.appMetadata),
        });
      }
      if (params.userMetadata) {
        current = await updateUser(tx, current.id, {
          raw_user_meta_data: mergeMetadata(current.raw_user_meta_data, params.userMetadata),
        });
      }
      if (bannedUntil !== undefined) current = await updateUser(tx, current.id, { banned_until: bannedUntil });
      current = await updateUser(tx, current.id, { updated_at: now });
      return loadUserJson(tx, current);
    })
    .catch(databaseFailure('Database error updating user'));
  sendJson(r, 200, updated);
}

/** Admins set e-mail/phone directly; the matching identity follows (or is created). */
async function changeIdentifier(tx: Db, user: UserRow, provider: 'email' | 'phone', value: string) {
  const identities = (await identitiesOf(tx, [user.id])).get(user.id) ?? [];
  if (identities.some((i) => i.provider === provider)) {
    await updateIdentityData(tx, user.id, provider, { [provider]: value });
    return updateUser(tx, user.id, { [provider]: value });
  }
  await insertIdentity(
    tx,
    user.id,
    provider,
    identityClaims(user.id, provider === 'email' ? value : null, provider === 'phone' ? value : null),
  );
  const app: Metadata = user.raw_app_meta_data ?? {};
  const providers = Array.isArray(app.providers) ? [...(app.providers as unknown[])] : [];
  if (!providers.includes(provider)) providers.push(provider);
  return updateUser(tx, user.id, {
    [provider]: value,
    raw_app_meta_data: mergeMetadata(app, { provider: app.provider ?? provider, providers }),
  });
}

async function deleteUser(ctx: AuthContext, r: Request, user: UserRow): Promise<void> {
  const text = await readBody(r);
  // The body is optional; only a non-empty one is decoded.
  const soft = text.length > 0 ? (Body.parse(text, 'adminUserDeleteParams').bool('should_soft_delete') ?? false) : false;
  await ctx.sql
    .begin(async (tx) => {
      if (!soft) {
        // Identities, sessions, refresh tokens and AMR claims go by ON DELETE CASCADE.
        await tx`delete from auth.users where id = ${user.id}`;
        return;
      }
      if (user.deleted_at) return;
      const obfuscate = (value: string) => createHash('sha256').update(`${user.id}${value}`).digest('hex');
      await updateUser(tx, user.id, {
        email: user.email ? `${obfuscate(user.email)}@deleted.local` : null,
        phone: user.phone ? obfuscate(user.phone).slice(0, 15) : null,
        email_change: user.email_change ? obfuscate(user.email_change) : '',
        encrypted_password: '',
        confirmation_token: '',
        recovery_token: '',
        email_change_token_new: '',
        email_change_token_current: '',
        deleted_at: new Date(),
      });
      await tx`
        update auth.identities
        set provider_id = md5(user_id::text || provider_id),
            identity_data = jsonb_build_object('sub', user_id::text), updated_at = ${new Date()}
        where user_id = ${user.id}`;
      await deleteSessions(tx, user.id, null, 'global');
    })
    .catch(databaseFailure('Database error deleting user'));
  sendJson(r, 200, {});
}

/** Go's strconv.ParseUint, so bad values get GoTrue's wording. */
function parseUint(name: string, value: string | null, fallback: bigint): bigint {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value) || BigInt(value) > 18446744073709551615n) {
    throw badRequest(
      'validation_failed',
      `Bad Pagination Parameters: strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`,
    );
  }
  const parsed = BigInt(value);
  if (parsed === 0n) throw badRequest('validation_failed', `Bad Pagination Parameters: ${name} must be at least 1`);
  return parsed;
}

async function listUsers(ctx: AuthContext, r: Request, aud: string): Promise<void> {
  const page = parseUint('page', r.query.get('page'), 1n);
  const perPage = parseUint('per_page', r.query.get('per_page'), BigInt(DEFAULT_PER_PAGE));
  const filter = r.query.get('filter') ?? '';
  checkStorable(filter);
  const like = `%${filter}%`;
  const where = () =>
    filter
      ? ctx.sql`aud = ${aud} and (email like ${like} or raw_user_meta_data->>'full_name' ilike ${like})`
      : ctx.sql`aud = ${aud}`;
  const [counted] = await ctx.sql<{ count: string }[]>`select count(*)::text as count from auth.users where ${where()}`;
  const total = BigInt(counted?.count ?? '0');
  const offset = (page - 1n) * perPage;
  let users: UserRow[] = [];
  // Pages past the end (or past what Postgres can address) are simply empty.
  if (offset < total) {
    const limit = perPage > 100000n ? 100000n : perPage;
    users = await ctx.sql<UserRow[]>`
      select * from auth.users where ${where()}
      order by created_at desc, id desc
      limit ${limit.toString()} offset ${offset.toString()}`;
  }
  const identities = await identitiesOf(
    ctx.sql,
    users.map((u) => u.id),
  );

  // GoTrue builds the Link header from its own request URL with the query re-encoded (sorted).
  const totalPages = (total + perPage - 1n) / perPage;
  const link = (target: bigint) => {
    const query = new URLSearchParams(r.query);
    query.set('page', target.toString());
    query.sort();
    return `<${r.path}?${query.toString()}>`;
  };
  const links: string[] = [];
  if (totalPages > page) links.push(`${link(page + 1n)}; rel="next"`);
  links.push(`${link(totalPages)}; rel="last"`);
  sendJson(
    r,
    200,
    { users: users.map((u) => userJson(u, identities.get(u.id) ?? [])), aud },
    { 'X-Total-Count': total.toString(), Link: links.join(', ') },
  );
}
