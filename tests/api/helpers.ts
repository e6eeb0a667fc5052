// Shared helpers of the API suites: users and tokens minted the way Supabase Auth mints them, the
// API function started with settings of its own, HTTP calls straight to the function, problem and
// header checks, the studio's Brand DNA schema, and a database snapshot to prove that bad requests
// change nothing.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import postgres from 'postgres';
import { expect, inject } from 'vitest';
import * as z from 'zod';
import { loadConfig } from '../../local/config.ts';
import { functionEnvironment, readFunctionDefinitions, startFunction, type FunctionDefinition, type FunctionProcess } from '../../local/functions.ts';
import { createKeyRing, type KeyRing } from '../../local/jwt.ts';
import { insertSignedInUser, sessionClaims, type SignedInUser, type UserOptions } from '../fixtures/users.ts';

export const stack = inject('stack');

/** JSON from the API, read loosely by the tests (shapes are asserted where they matter). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export const API = stack.apiUrl;

let sqlClient: postgres.Sql | undefined;
/** A `postgres` connection to the test database (no superuser, as on Supabase), for set-up and for checking what changed. */
export function db(): postgres.Sql {
  return (sqlClient ??= postgres(stack.dbUrl, { max: 2, onnotice: () => {} }));
}
export async function closeDb(): Promise<void> {
  await sqlClient?.end({ timeout: 5 });
  sqlClient = undefined;
}

let keyRing: Promise<KeyRing> | undefined;
function keys(): Promise<KeyRing> {
  return (keyRing ??= createKeyRing(loadConfig({ jwtSecret: stack.jwtSecret })));
}

// ---------------------------------------------------------------------------------------------
// Users and tokens
// ---------------------------------------------------------------------------------------------

/** A signed-in user of the test stack and their access token. */
export interface TestUser extends SignedInUser {
  /** ES256 access token with the full claim set of Supabase Auth, for their session. */
  token: string;
}

export function userClaims(user: SignedInUser, overrides: Record<string, unknown> = {}) {
  return sessionClaims(user, `${stack.url}/auth/v1`, overrides);
}

export async function es256Token(claims: Record<string, unknown>): Promise<string> {
  return (await keys()).signAccessToken(claims);
}

export async function hs256Token(claims: Record<string, unknown>, secret = stack.jwtSecret): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

export async function createUser(options: UserOptions = {}): Promise<TestUser> {
  const user = await insertSignedInUser(db(), options);
  return { ...user, token: await es256Token(userClaims(user)) };
}

// ---------------------------------------------------------------------------------------------
// The API function outside the stack's: for settings of its own
// ---------------------------------------------------------------------------------------------

/** The environment the local stack gives the API function, with `env` on top. */
export function apiEnvironment(env: Record<string, string> = {}): Record<string, string> {
  return { ...functionEnvironment(loadConfig(), stack.url, stack.dbUrl), ...env };
}

/** The API function as supabase/config.toml defines it. */
export function apiFunction(): FunctionDefinition {
  return readFunctionDefinitions().find((fn) => fn.name === 'api')!;
}

/** The API function in a Deno process of its own (its log lines to `log`), with `env` on top of the stack's environment. */
export function startApiFunction(env: Record<string, string> = {}, log?: (line: string) => void): Promise<FunctionProcess> {
  return startFunction(apiFunction(), apiEnvironment(env), log);
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  method?: string;
  /** A user, a raw token, or nothing (anon). */
  as?: TestUser | string | null;
  body?: unknown;
  /** A raw body (sent as is). */
  raw?: BodyInit;
  headers?: Record<string, string>;
  base?: string;
  /** An app in this process (in-process.ts) instead of the stack's function. */
  api?: { base: string; request(url: string, init: RequestInit): Promise<Response> };
}

/** A made-up client address per test file, so that anon rate-limit buckets do not collide. */
const clientIp = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

export async function call<T = Json>(path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { 'X-Forwarded-For': clientIp, ...options.headers };
  const token = typeof options.as === 'string' ? options.as : options.as?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const url = `${options.base ?? options.api?.base ?? API}${path}`;
  const init = { method: options.method ?? 'GET', headers, body };
  const res = options.api ? await options.api.request(url, init) : await fetch(url, init);
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  checkBrandDnaShapes(path, res.status, parsed);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

export function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  expect(headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  expect(headers.get('x-powered-by')).toBeNull();
  expect(headers.get('x-request-id')).toBeTruthy();
}

/** A problem+json answer with the given status (and code), its request id matching the header. */
export function expectProblem(res: ApiResponse, status: number, code?: string): void {
  if (res.status !== status) throw new Error(`expected ${status}${code ? ` ${code}` : ''}, got ${res.status}: ${res.text.slice(0, 500)}`);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = res.body as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String), code: expect.stringMatching(/^[a-z][a-z0-9_]*$/) });
  if (code) expect(body.code).toBe(code);
  expect(body.requestId).toBe(res.headers.get('x-request-id'));
  expectSecurityHeaders(res.headers);
  // Nothing from Postgres leaks.
  expect(res.text).not.toMatch(/SELECT|INSERT|UPDATE |DELETE FROM|violates|relation "|syntax error|PostgresError|public\.|private\./i);
}

export function expectStatus(res: ApiResponse, status: number): void {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
}

/** Never a 5xx for client input. */
export function expectClientError(res: ApiResponse): void {
  if (res.status < 400 || res.status >= 500) throw new Error(`expected a 4xx, got ${res.status}: ${res.text.slice(0, 500)}`);
  expectProblem(res, res.status);
}

// ---------------------------------------------------------------------------------------------
// The studio's Brand DNA schema (a replica of @tekton/studio-mcp's BrandDNASchema, reference doc)
// ---------------------------------------------------------------------------------------------

const axis = z.number().min(0).max(1);
export const StudioBrandDNASchema = z.object({
  id: z.string().trim().min(1),
  name: z.string().trim().min(1),
  description: z.string().optional(),
  axes: z.strictObject({ density: axis, warmth: axis, playfulness: axis, sophistication: axis, energy: axis }),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
});

export const compatibility = { checked: 0 };

function looksLikeBrandDna(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && 'axes' in value && 'revision' in value && 'slug' in value;
}

/** Every Brand DNA the API returns must pass the studio's schema unchanged. */
function checkBrandDnaShapes(path: string, status: number, body: unknown): void {
  if (!path.startsWith('/brand-dna') || status >= 300) return;
  const candidates = body && typeof body === 'object' && Array.isArray((body as { data?: unknown }).data) ? (body as { data: unknown[] }).data : [body];
  for (const candidate of candidates) {
    if (!looksLikeBrandDna(candidate)) continue;
    const result = StudioBrandDNASchema.safeParse(candidate);
    if (!result.success) throw new Error(`Brand DNA from ${path} fails the studio schema: ${result.error.message}`);
    if ('description' in candidate && candidate.description === null) throw new Error('description must be omitted, not null');
    compatibility.checked++;
  }
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

export const AXES_EXAMPLE = { density: 0.7, warmth: 0.4, playfulness: 0.3, sophistication: 0.6, energy: 0.8 };

export interface Team {
  workspaceId: string;
  owner: TestUser;
  editor: TestUser;
  viewer: TestUser;
  outsider: TestUser;
  admin: TestUser;
}

/** Invites `user` into the workspace as `owner` and has them accept the link token: how people join. */
export async function joinWorkspace(workspaceId: string, owner: TestUser, user: TestUser, role: 'viewer' | 'editor' | 'owner'): Promise<void> {
  const invited = await call(`/workspaces/${workspaceId}/invitations`, { method: 'POST', as: owner, body: { email: user.email, role } });
  expectStatus(invited, 201);
  expectStatus(await call('/invitations/accept', { method: 'POST', as: user, body: { token: invited.body.token } }), 200);
}

/** A workspace with an owner, an editor and a viewer (invited, and joined, through the API), plus an outsider and a platform admin. */
export async function createTeam(name = 'Team'): Promise<Team> {
  const [owner, editor, viewer, outsider, admin] = await Promise.all([
    createUser({ name: 'owner' }),
    createUser({ name: 'editor' }),
    createUser({ name: 'viewer' }),
    createUser({ name: 'outsider' }),
    createUser({ name: 'admin', admin: true }),
  ]);
  const created = await call('/workspaces', { method: 'POST', as: owner, body: { name } });
  expectStatus(created, 201);
  const workspaceId = created.body.id as string;
  await Promise.all([joinWorkspace(workspaceId, owner, editor, 'editor'), joinWorkspace(workspaceId, owner, viewer, 'viewer')]);
  return { workspaceId, owner, editor, viewer, outsider, admin };
}

export async function createBrandDna(team: Team, body: Record<string, unknown> = {}): Promise<Record<string, Json>> {
  const res = await call('/brand-dna', {
    method: 'POST',
    as: team.editor,
    body: { workspaceId: team.workspaceId, name: `Brand ${randomUUID().slice(0, 6)}`, axes: AXES_EXAMPLE, ...body },
  });
  expectStatus(res, 201);
  return res.body;
}

/**
 * Row counts, roles and revision sums of everything a team can write (its workspace, its brand DNA,
 * their history and origins, its invitations, its members' and workspace's presets, workspaces its
 * members created): equal before and after means nothing changed. Scoped, because other suites
 * write at the same time.
 */
export async function snapshot(team: Team): Promise<Record<string, string>> {
  const users = [team.owner.id, team.editor.id, team.viewer.id, team.outsider.id, team.admin.id];
  const ws = team.workspaceId;
  const [row] = await db()`
    select (select count(*) from public.workspaces where created_by = any(${users}::uuid[]))::text as workspaces,
           (select string_agg(name, ',' order by id) from public.workspaces where created_by = any(${users}::uuid[])) as workspace_names,
           (select string_agg(user_id::text || ':' || role::text, ',' order by user_id) from public.workspace_members where workspace_id = ${ws}) as members,
           (select count(*) from public.brand_dna where workspace_id = ${ws})::text as brand_dna,
           (select coalesce(sum(revision), 0) from public.brand_dna where workspace_id = ${ws})::text as revisions,
           (select count(*) from public.brand_dna_versions where workspace_id = ${ws})::text as versions,
           (select string_agg(brand_dna_id::text || ':' || external_id || ':' || source_revision, ',' order by brand_dna_id) from public.brand_dna_origins where workspace_id = ${ws}) as origins,
           (select string_agg(concat_ws(':', id, role, accepted_at, declined_at, revoked_at), ',' order by id) from public.workspace_invitations where workspace_id = ${ws}) as invitations,
           (select count(*) from public.presets where owner_id = any(${users}::uuid[]) or workspace_id = ${ws} or created_by = any(${users}::uuid[]))::text as presets,
           (select coalesce(max(updated_at)::text, '') from public.presets where owner_id = any(${users}::uuid[]) or workspace_id = ${ws} or is_builtin) as presets_updated`;
  return row as Record<string, string>;
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
