// createStudioClient: the typed client of Tekton Studio, built on supabase-js. Auth goes through
// supabase-js (sessions, refresh, storage), the REST API through the /api/v1 Edge Function with the
// session's token, and teammates' edits through private Realtime channels. Every method resolves to
// `{ data, error }`; none throws, and neither does creating the client.
import {
  createClient,
  type AuthChangeEvent,
  type AuthError,
  type Session,
  type SupabaseClient,
  type SupabaseClientOptions,
  type User,
} from '@supabase/supabase-js';
import type * as z from 'zod';
import { AXES, type Axes } from './axes.ts';
import type { Database } from './database.types.ts';
import { createRequester, fail, ok, type QueryValue, type StudioError, type StudioResult } from './http.ts';
import {
  joinPresence,
  subscriptionsOf,
  watchChanges,
  type BrandDnaChange,
  type FeedSource,
  type Presence,
  type PresenceMember,
  type Unsubscribe,
  type WatchOptions,
} from './realtime.ts';
import { RealtimeTopicsSchema } from './realtime-topics.ts';
import * as invitationWire from './invitations.ts';
import { capitalised } from './schemas.ts';
import * as wire from './schemas.ts';
import * as files from './studio-files.ts';

export const SDK_VERSION = '0.2.0';

export interface StudioClientOptions {
  /** The project URL (`SUPABASE_URL`), e.g. http://127.0.0.1:54321 */
  url: string;
  /** The project's anon key or publishable key. */
  key: string;
  /** Where the REST API lives under `url` (default `/functions/v1/api/v1`). */
  apiPath?: string;
  /** Milliseconds before an API call gives up with a `timeout` error (default 30 000). */
  timeoutMs?: number;
  /** fetch to use (default the global one). */
  fetch?: typeof fetch;
  /** Passed to supabase-js's createClient, e.g. `{ auth: { storage }, realtime: { transport } }`. */
  supabase?: SupabaseClientOptions<'public'>;
}

type Body<S extends z.ZodType> = z.input<S>;
type ETagOptions = { ifMatch?: string | number };

/** Options of `brandDna.list`: numbers and dates rather than the query strings they become. */
export interface BrandDnaListOptions {
  workspaceId?: string;
  /** Text to find in name, slug or description (case-insensitive). */
  q?: string;
  /** Only brand DNA changed at or after this time (ISO 8601, or a Date). */
  updatedSince?: string | Date;
  cursor?: string;
  /** Page size, 1–100 (default 20). */
  limit?: number;
}

/** Options of `presets.search`: axis ranges and `near` as axis objects rather than query strings. */
export interface PresetSearchOptions {
  q?: string;
  tags?: string[];
  category?: string;
  /** Lower bounds per axis. */
  min?: Partial<Axes>;
  /** Upper bounds per axis. */
  max?: Partial<Axes>;
  /** Nearest presets to these axes first. */
  near?: Axes;
  scope?: 'builtin' | 'custom';
  cursor?: string;
  limit?: number;
}

/** An async iterator over every item of a paginated list. It never throws: when a page fails,
 * the iteration ends and `error` says why. */
export interface PageIterator<T> extends AsyncIterable<T> {
  error: StudioError | null;
}

export interface AuthResult {
  user: User | null;
  session: Session | null;
}

function authError(error: AuthError): StudioError {
  return { code: error.code ?? (error.name === 'AuthSessionMissingError' ? 'session_missing' : 'auth_error'), status: error.status ?? 0, message: error.message };
}

function presetQuery(options: PresetSearchOptions): Record<string, QueryValue> {
  const query: Record<string, QueryValue> = {
    q: options.q,
    tags: options.tags,
    category: options.category,
    near: options.near ? AXES.map((axis) => options.near![axis]) : undefined,
    scope: options.scope,
    cursor: options.cursor,
    limit: options.limit,
  };
  for (const axis of AXES) {
    query[`min${capitalised(axis)}`] = options.min?.[axis];
    query[`max${capitalised(axis)}`] = options.max?.[axis];
  }
  return query;
}

function paginate<T>(fetchPage: (cursor: string | undefined) => Promise<StudioResult<{ data: T[]; nextCursor: string | null }>>): PageIterator<T> {
  const iterator: PageIterator<T> = {
    error: null,
    async *[Symbol.asyncIterator]() {
      let cursor: string | undefined;
      do {
        const page = await fetchPage(cursor);
        if (page.error) {
          iterator.error = page.error;
          return;
        }
        yield* page.data.data;
        cursor = page.data.nextCursor ?? undefined;
      } while (cursor);
    },
  };
  return iterator;
}

const id = (value: string) => encodeURIComponent(value);

/** Stands in for the WebSocket that the runtime lacks, so that supabase-js can be created. */
class MissingWebSocket {
  constructor() {
    throw new Error(NO_WEBSOCKET);
  }
}
const NO_WEBSOCKET =
  'this runtime has no WebSocket (Node 20): pass one to createStudioClient as supabase.realtime.transport, e.g. `ws`';

export function createStudioClient(options: StudioClientOptions) {
  // supabase-js throws at creation where there is no WebSocket and no transport (Node 20). Realtime
  // is then unavailable, and only the methods that need it say so.
  const hasWebSocket = options.supabase?.realtime?.transport !== undefined || typeof globalThis.WebSocket !== 'undefined';
  const supabaseOptions: SupabaseClientOptions<'public'> | undefined = hasWebSocket
    ? options.supabase
    : { ...options.supabase, realtime: { ...options.supabase?.realtime, transport: MissingWebSocket as never } };
  const supabase: SupabaseClient<Database> = createClient<Database>(options.url, options.key, supabaseOptions);
  const withRealtime = async <T>(use: () => Promise<StudioResult<T>>): Promise<StudioResult<T>> =>
    hasWebSocket ? use() : fail({ code: 'realtime_unavailable', status: 0, message: NO_WEBSOCKET });
  const baseUrl = `${options.url.replace(/\/+$/, '')}${options.apiPath ?? '/functions/v1/api/v1'}`;
  const request = createRequester({
    baseUrl,
    key: options.key,
    accessToken: async () => (await supabase.auth.getSession()).data.session?.access_token ?? null,
    timeoutMs: options.timeoutMs ?? 30_000,
    fetch: options.fetch ?? ((...args) => fetch(...args)),
    clientInfo: `tekton-studio-sdk/${SDK_VERSION}`,
  });

  // Private channels are authorized by the token on the socket: keep it current when the session
  // is refreshed. Signing out ends every subscription at once: Realtime ignores the opaque
  // publishable key as a new token, so the channels would otherwise live until the old token expires.
  const subscriptions = subscriptionsOf(supabase);
  supabase.auth.onAuthStateChange((event) => {
    if (event === 'TOKEN_REFRESHED' || event === 'SIGNED_IN') void supabase.realtime.setAuth();
    if (event === 'SIGNED_OUT') {
      void subscriptions.closeAll({ code: 'signed_out', status: 0, message: 'signed out: realtime subscriptions ended' });
      void supabase.realtime.setAuth();
    }
  });

  async function currentUserId(): Promise<string | null> {
    return (await supabase.auth.getSession()).data.session?.user.id ?? null;
  }

  // Realtime topics carry the workspace's access epoch: the API names the current ones, or those
  // that followed a closed epoch (`after`).
  const realtimeTopics = (path: string, after?: string) => request('GET', path, { query: { after }, schema: RealtimeTopicsSchema });
  const feedOf = (key: string, path: string, presenceKey?: string): FeedSource => ({ key, locate: (after) => realtimeTopics(path, after), presenceKey });

  const auth = {
    async signUp(input: { email: string; password: string; displayName?: string }): Promise<StudioResult<AuthResult>> {
      const { data, error } = await supabase.auth.signUp({
        email: input.email,
        password: input.password,
        options: input.displayName ? { data: { display_name: input.displayName } } : undefined,
      });
      return error ? fail(authError(error)) : ok({ user: data.user, session: data.session });
    },
    async signIn(input: { email: string; password: string }): Promise<StudioResult<AuthResult>> {
      const { data, error } = await supabase.auth.signInWithPassword(input);
      return error ? fail(authError(error)) : ok({ user: data.user, session: data.session });
    },
    /** Ends the session (`global` by default, like supabase-js); private channels lose access. */
    async signOut(scope: 'global' | 'local' | 'others' = 'global'): Promise<StudioResult<null>> {
      const { error } = await supabase.auth.signOut({ scope });
      return error ? fail(authError(error)) : ok(null);
    },
    async getSession(): Promise<StudioResult<Session | null>> {
      const { data, error } = await supabase.auth.getSession();
      return error ? fail(authError(error)) : ok(data.session);
    },
    /** The signed-in user, checked with Auth. */
    async getUser(): Promise<StudioResult<User>> {
      const { data, error } = await supabase.auth.getUser();
      return error ? fail(authError(error)) : ok(data.user);
    },
    onAuthStateChange(callback: (event: AuthChangeEvent, session: Session | null) => void): Unsubscribe {
      const { data } = supabase.auth.onAuthStateChange(callback);
      return async () => data.subscription.unsubscribe();
    },
  };

  const workspaces = {
    list: () => request('GET', '/workspaces', { schema: wire.WorkspaceListSchema }),
    create: (body: Body<typeof wire.WorkspaceCreateSchema>) => request('POST', '/workspaces', { body, schema: wire.WorkspaceSchema }),
    get: (workspaceId: string) => request('GET', `/workspaces/${id(workspaceId)}`, { schema: wire.WorkspaceSchema }),
    rename: (workspaceId: string, body: Body<typeof wire.WorkspaceUpdateSchema>) =>
      request('PATCH', `/workspaces/${id(workspaceId)}`, { body, schema: wire.WorkspaceSchema }),
    delete: (workspaceId: string) => request('DELETE', `/workspaces/${id(workspaceId)}`, { schema: undefined }),
    members: (workspaceId: string) => request('GET', `/workspaces/${id(workspaceId)}/members`, { schema: wire.MemberListSchema }),
    /** Adds the user with this e-mail address (the service role only: people join by invitation). */
    addMember: (workspaceId: string, body: Body<typeof wire.MemberAddSchema>) =>
      request('POST', `/workspaces/${id(workspaceId)}/members`, { body, schema: wire.MemberSchema }),
    updateMember: (workspaceId: string, userId: string, body: Body<typeof wire.MemberUpdateSchema>) =>
      request('PATCH', `/workspaces/${id(workspaceId)}/members/${id(userId)}`, { body, schema: wire.MemberSchema }),
    removeMember: (workspaceId: string, userId: string) =>
      request('DELETE', `/workspaces/${id(workspaceId)}/members/${id(userId)}`, { schema: undefined }),
    /** Every brand DNA change in the workspace, as it happens (members only; ends with
     * `realtime_access_revoked` when you lose access). */
    watch: (workspaceId: string, handler: (change: BrandDnaChange) => void, watchOptions?: WatchOptions) =>
      withRealtime(() => watchChanges(subscriptions, feedOf(`workspace:${workspaceId}`, `/workspaces/${id(workspaceId)}/realtime`), { workspaceId }, handler, watchOptions)),
    /** The workspace's current private Realtime topics (members), or those that followed the
     * closed epoch `after`: for listening without the SDK's watch. */
    realtimeTopics: (workspaceId: string, after?: string) => realtimeTopics(`/workspaces/${id(workspaceId)}/realtime`, after),
    /** Invites an e-mail address with a role (owners). The answer carries the link token, shown
     * only this once: put it into a link to your app for `invitations.accept({ token })`. */
    invite: (workspaceId: string, body: Body<typeof invitationWire.InvitationCreateSchema>) =>
      request('POST', `/workspaces/${id(workspaceId)}/invitations`, { body, schema: invitationWire.InvitationCreatedSchema }),
    /** The workspace's pending invitations (owners). */
    invitations: (workspaceId: string) =>
      request('GET', `/workspaces/${id(workspaceId)}/invitations`, { schema: invitationWire.InvitationListSchema }),
    /** Withdraws a pending invitation (owners). */
    revokeInvitation: (workspaceId: string, invitationId: string) =>
      request('DELETE', `/workspaces/${id(workspaceId)}/invitations/${id(invitationId)}`, { schema: undefined }),
  };

  const invitations = {
    /** The pending invitations to your (confirmed) e-mail address. */
    list: () => request('GET', '/invitations', { schema: invitationWire.ReceivedInvitationListSchema }),
    /** Joins the workspace: by the invitation's id (sent to your address) or by its link token. */
    accept: (answer: invitationWire.InvitationAnswer) => request('POST', '/invitations/accept', { body: answer, schema: wire.MemberSchema }),
    decline: (answer: invitationWire.InvitationAnswer) => request('POST', '/invitations/decline', { body: answer, schema: undefined }),
    /** New and withdrawn invitations to you, as they happen (on your private topic user:<id>);
     * resolves once listening. Messages that are not such notices are dropped and reported to
     * `onError`. */
    watch: (handler: (notice: invitationWire.InvitationNotice) => void, watchOptions: WatchOptions = {}): Promise<StudioResult<Unsubscribe>> =>
      withRealtime(async () => {
        const userId = await currentUserId();
        if (!userId) return fail({ code: 'session_missing', status: 0, message: 'sign in first' });
        const topic = `user:${userId}`;
        const joined = await subscriptions.join({ key: topic, locate: async () => ok({ topic }) }, {
          onBroadcast: (message) => {
            const notice = invitationWire.invitationNoticeFromPayload(message.payload);
            if (notice) handler(notice);
            else watchOptions.onError?.({ code: 'realtime_invalid_change', status: 0, message: `dropped a ${String(message.event)} message: not an invitation notice` });
          },
          onClose: watchOptions.onClose,
        });
        return joined.error ? joined : ok(joined.data.leave);
      }),
  };

  const listBrandDna = ({ updatedSince, ...query }: BrandDnaListOptions = {}) =>
    request('GET', '/brand-dna', {
      query: { ...query, updatedSince: updatedSince instanceof Date ? updatedSince.toISOString() : updatedSince },
      schema: wire.BrandDnaPageSchema,
    });
  const listVersions = (brandDnaId: string, query: { cursor?: string; limit?: number } = {}) =>
    request('GET', `/brand-dna/${id(brandDnaId)}/versions`, { query, schema: wire.BrandDnaVersionPageSchema });

  const brandDna = {
    create: (body: Body<typeof wire.BrandDnaCreateSchema>) => request('POST', '/brand-dna', { body, schema: wire.BrandDnaSchema }),
    /** Starts a brand DNA from a preset (its axes and description, with optional overrides). */
    fromPreset: (body: Body<typeof wire.BrandDnaFromPresetSchema>) =>
      request('POST', '/brand-dna/from-preset', { body, schema: wire.BrandDnaSchema }),
    /** One page; pass `nextCursor` as `cursor` for the next. */
    list: listBrandDna,
    /** Every brand DNA matching the query, page after page. */
    listAll: (query: Omit<BrandDnaListOptions, 'cursor'> = {}) => paginate((cursor) => listBrandDna({ ...query, cursor })),
    get: (brandDnaId: string) => request('GET', `/brand-dna/${id(brandDnaId)}`, { schema: wire.BrandDnaSchema }),
    /** Partial update (only the fields and axes given). With `ifMatch` (the revision you read),
     * a teammate's newer change makes it fail with `precondition_failed` instead of being overwritten. */
    update: (brandDnaId: string, body: Body<typeof wire.BrandDnaPatchSchema>, etag: ETagOptions = {}) =>
      request('PATCH', `/brand-dna/${id(brandDnaId)}`, { body, ifMatch: etag.ifMatch, schema: wire.BrandDnaSchema }),
    replace: (brandDnaId: string, body: Body<typeof wire.BrandDnaReplaceSchema>, etag: ETagOptions = {}) =>
      request('PUT', `/brand-dna/${id(brandDnaId)}`, { body, ifMatch: etag.ifMatch, schema: wire.BrandDnaSchema }),
    /** Deletes it (owners only); its version history is kept. */
    delete: (brandDnaId: string, etag: ETagOptions = {}) =>
      request('DELETE', `/brand-dna/${id(brandDnaId)}`, { ifMatch: etag.ifMatch, schema: undefined }),
    versions: listVersions,
    allVersions: (brandDnaId: string) => paginate((cursor) => listVersions(brandDnaId, { cursor })),
    version: (brandDnaId: string, versionNumber: number) =>
      request('GET', `/brand-dna/${id(brandDnaId)}/versions/${versionNumber}`, { schema: wire.BrandDnaVersionSchema }),
    /** Per-axis diff between two versions, or a version and the current state (`to` omitted). */
    compare: (brandDnaId: string, range: { from: number; to?: number | 'current' }) =>
      request('GET', `/brand-dna/${id(brandDnaId)}/compare`, { query: range, schema: wire.BrandDnaComparisonSchema }),
    /** Makes an old version current again, as a new version. */
    restore: (brandDnaId: string, versionNumber: number) =>
      request('POST', `/brand-dna/${id(brandDnaId)}/versions/${versionNumber}/restore`, { schema: wire.BrandDnaSchema }),
    /** Imports objects of the studio's BrandDNASchema as they are (one, or an array of up to 100;
     * Date timestamps are fine) into a workspace: new ids make brand DNA, known ids update theirs.
     * All or nothing. */
    import: (workspaceId: string, items: files.StudioBrandDnaInput | files.StudioBrandDnaInput[]) =>
      request('POST', '/brand-dna/import', { query: { workspaceId }, body: items, schema: files.BrandDnaImportResultSchema }),
    /** The brand DNA as an object of the studio's BrandDNASchema (its studio id and times if imported). */
    export: (brandDnaId: string) => request('GET', `/brand-dna/${id(brandDnaId)}/export`, { schema: files.StudioBrandDnaSchema }),
    /** Every brand DNA of the workspace in the studio's shape, ready to import again. */
    exportWorkspace: (workspaceId: string) =>
      request('GET', '/brand-dna/export', { query: { workspaceId }, schema: files.StudioBrandDnaListSchema }),
    /** Teammates' changes of this brand DNA as they happen; resolves once listening. */
    watch: (brandDnaId: string, handler: (change: BrandDnaChange) => void, watchOptions?: WatchOptions) =>
      withRealtime(() => watchChanges(subscriptions, feedOf(`brand_dna:${brandDnaId}`, `/brand-dna/${id(brandDnaId)}/realtime`), { brandDnaId }, handler, watchOptions)),
    /** The brand DNA's current private Realtime topics (members), or those that followed the
     * closed epoch `after`: for listening without the SDK's watch and presence. */
    realtimeTopics: (brandDnaId: string, after?: string) => realtimeTopics(`/brand-dna/${id(brandDnaId)}/realtime`, after),
    /** Shares that you are here (with `state`, e.g. your name or the axis you edit) and tells you
     * who else is. The presence key is your user id unless you give one. */
    presence: <State extends Record<string, unknown>>(
      brandDnaId: string,
      state: State,
      presenceOptions: WatchOptions & { key?: string; onChange?: (members: PresenceMember<State>[]) => void } = {},
    ): Promise<StudioResult<Presence<State>>> =>
      withRealtime(async () => {
        const key = presenceOptions.key ?? (await currentUserId());
        if (!key) return fail({ code: 'session_missing', status: 0, message: 'sign in (or give a presence key) first' });
        const source = feedOf(`brand_dna:${brandDnaId}:presence`, `/brand-dna/${id(brandDnaId)}/realtime`, key);
        return joinPresence(subscriptions, source, state, presenceOptions.onChange, presenceOptions);
      }),
  };

  const searchPresets = (query: PresetSearchOptions = {}) =>
    request('GET', '/presets', { query: presetQuery(query), schema: wire.PresetPageSchema });

  const presets = {
    /** Text (full-text and fuzzy), tags (all of), category, axis ranges, nearness; one page. */
    search: searchPresets,
    searchAll: (query: Omit<PresetSearchOptions, 'cursor'> = {}) => paginate((cursor) => searchPresets({ ...query, cursor })),
    categories: () => request('GET', '/presets/categories', { schema: wire.PresetCategoryListSchema }),
    get: (presetId: string) => request('GET', `/presets/${id(presetId)}`, { schema: wire.PresetSchema }),
    /** A personal preset, or a workspace's with `workspaceId` (editors), or a built-in one with
     * `builtin: true` (platform admins). */
    create: (body: Body<typeof wire.PresetCreateSchema>) => request('POST', '/presets', { body, schema: wire.PresetSchema }),
    update: (presetId: string, body: Body<typeof wire.PresetUpdateSchema>) =>
      request('PATCH', `/presets/${id(presetId)}`, { body, schema: wire.PresetSchema }),
    delete: (presetId: string) => request('DELETE', `/presets/${id(presetId)}`, { schema: undefined }),
  };

  return {
    /** The underlying supabase-js client, for anything else. */
    supabase,
    auth,
    workspaces,
    invitations,
    brandDna,
    presets,
    health: () => request('GET', '/health', { schema: wire.HealthSchema }),
  };
}

export type StudioClient = ReturnType<typeof createStudioClient>;
