// The one place where database rows (snake_case, five axis columns) become wire objects (camelCase,
// an `axes` object) and back. The API maps its query results with it; the SDK maps Realtime
// payloads (`to_jsonb` of a row: timestamps as strings) with it.
import { AXES, type Axes } from './axes.ts';
import type { Enums, Tables, TablesUpdate } from './database.types.ts';
import type { AuthUser, BrandDna, BrandDnaVersion, Member, Preset, PresetSearchResult, Session, Workspace } from './schemas.ts';

// Row types are the generated ones (sdk/src/database.types.ts, `npm run gen:types`), so a column
// added by a migration reaches them without being written down twice.

/** postgres.js reads timestamps as Dates; Realtime's JSON (`to_jsonb` of a row) has strings. */
type Timestamp = Date | string;
/** A generated row type as read by either: its timestamp columns may be Dates. */
export type AsRead<Row, TimestampColumn extends keyof Row> = Omit<Row, TimestampColumn> & { [K in TimestampColumn]: Timestamp };
type AxisColumns = Record<(typeof AXES)[number], number>;

export type BrandDnaRow = AsRead<Tables<'brand_dna'>, 'created_at' | 'updated_at'>;

export type BrandDnaVersionRow = AsRead<Tables<'brand_dna_versions'>, 'created_at'>;

export type WorkspaceRow = AsRead<Tables<'workspaces'>, 'created_at' | 'updated_at'> & {
  /** The caller's role, when the query joined it. */
  role?: Enums<'workspace_role'> | null;
};

export type MemberRow = AsRead<Tables<'workspace_members'>, 'created_at' | 'updated_at'> & {
  /** From profiles, when the query joined them. */
  email?: Tables<'profiles'>['email'];
  display_name?: Tables<'profiles'>['display_name'] | null;
};

/** The columns the API selects (not the generated search columns); `score` from search_presets. */
export type PresetRow = AsRead<
  Omit<Tables<'presets'>, 'axes' | 'search_vector' | 'is_builtin' | 'created_by' | 'metadata'>,
  'created_at' | 'updated_at'
> & {
  /** Always an object (a check constraint says so), where the generated type allows any JSON. */
  metadata: Record<string, unknown>;
  score?: number | null;
};

/** ISO 8601 in UTC with milliseconds, from a Date or a Postgres/JSON timestamp string. */
export function toIsoTimestamp(value: Timestamp): string {
  const date = value instanceof Date ? value : new Date(value.includes('T') ? value : value.replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a timestamp: ${String(value)}`);
  return date.toISOString();
}

/** The `axes` object from the five axis columns of a row. */
export function axesFromRow(row: AxisColumns): Axes {
  return {
    density: Number(row.density),
    warmth: Number(row.warmth),
    playfulness: Number(row.playfulness),
    sophistication: Number(row.sophistication),
    energy: Number(row.energy),
  };
}

/** The axis columns for the axes given (absent axes are left out). */
export function axesToColumns(axes: Partial<Axes> | undefined): Partial<AxisColumns> {
  const columns: Partial<AxisColumns> = {};
  for (const axis of AXES) if (axes?.[axis] !== undefined) columns[axis] = axes[axis];
  return columns;
}

export function brandDnaFromRow(row: BrandDnaRow): BrandDna {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    slug: row.slug,
    name: row.name,
    // The studio's schema has an optional string: absent, never null.
    ...(row.description === null || row.description === undefined ? {} : { description: row.description }),
    axes: axesFromRow(row),
    version: row.version,
    revision: Number(row.revision),
    presetId: row.preset_id ?? null,
    createdBy: row.created_by ?? null,
    updatedBy: row.updated_by ?? null,
    createdAt: toIsoTimestamp(row.created_at),
    updatedAt: toIsoTimestamp(row.updated_at),
  };
}

/** Wire fields of a brand DNA write → its columns. Only the fields present are returned. */
export interface BrandDnaWrite {
  workspaceId?: string;
  slug?: string;
  name?: string;
  description?: string | null;
  axes?: Partial<Axes>;
  version?: string;
  presetId?: string | null;
}

export type BrandDnaColumns = Pick<
  TablesUpdate<'brand_dna'>,
  'workspace_id' | 'slug' | 'name' | 'description' | 'version' | 'preset_id' | keyof AxisColumns
>;

export function brandDnaToColumns(write: BrandDnaWrite): BrandDnaColumns {
  const columns: BrandDnaColumns = {};
  if (write.workspaceId !== undefined) columns.workspace_id = write.workspaceId;
  if (write.slug !== undefined) columns.slug = write.slug;
  if (write.name !== undefined) columns.name = write.name;
  if (write.description !== undefined) columns.description = write.description;
  if (write.version !== undefined) columns.version = write.version;
  if (write.presetId !== undefined) columns.preset_id = write.presetId;
  return { ...columns, ...axesToColumns(write.axes) };
}

export function brandDnaVersionFromRow(row: BrandDnaVersionRow): BrandDnaVersion {
  return {
    brandDnaId: row.brand_dna_id,
    versionNumber: Number(row.version_number),
    workspaceId: row.workspace_id,
    slug: row.slug,
    name: row.name,
    ...(row.description === null || row.description === undefined ? {} : { description: row.description }),
    axes: axesFromRow(row),
    version: row.version,
    restoredFrom: row.restored_from === null || row.restored_from === undefined ? null : Number(row.restored_from),
    createdBy: row.created_by ?? null,
    createdAt: toIsoTimestamp(row.created_at),
  };
}

export function workspaceFromRow(row: WorkspaceRow): Workspace {
  return {
    id: row.id,
    name: row.name,
    role: row.role ?? null,
    createdBy: row.created_by ?? null,
    createdAt: toIsoTimestamp(row.created_at),
    updatedAt: toIsoTimestamp(row.updated_at),
  };
}

export function memberFromRow(row: MemberRow): Member {
  return {
    workspaceId: row.workspace_id,
    userId: row.user_id,
    role: row.role,
    email: row.email ?? null,
    displayName: row.display_name ?? null,
    addedBy: row.added_by ?? null,
    createdAt: toIsoTimestamp(row.created_at),
    updatedAt: toIsoTimestamp(row.updated_at),
  };
}

export function presetFromRow(row: PresetRow): Preset {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    tags: row.tags ?? [],
    axes: axesFromRow(row),
    thumbnailUrl: row.thumbnail_url ?? null,
    metadata: row.metadata ?? {},
    scope: row.owner_id ? 'personal' : row.workspace_id ? 'workspace' : 'builtin',
    ownerId: row.owner_id ?? null,
    workspaceId: row.workspace_id ?? null,
    createdAt: toIsoTimestamp(row.created_at),
    updatedAt: toIsoTimestamp(row.updated_at),
  };
}

export function presetSearchResultFromRow(row: PresetRow): PresetSearchResult {
  return { ...presetFromRow(row), score: row.score === null || row.score === undefined ? null : Number(row.score) };
}

/** Wire fields of a preset write → its columns. Only the fields present are returned. */
export interface PresetWrite {
  name?: string;
  description?: string;
  category?: string;
  tags?: string[];
  axes?: Partial<Axes>;
  thumbnailUrl?: string | null;
  metadata?: Record<string, unknown>;
  ownerId?: string | null;
  workspaceId?: string | null;
}

export type PresetColumns = Pick<
  TablesUpdate<'presets'>,
  'name' | 'description' | 'category' | 'tags' | 'thumbnail_url' | 'owner_id' | 'workspace_id' | keyof AxisColumns
> & { metadata?: PresetRow['metadata'] };

export function presetToColumns(write: PresetWrite): PresetColumns {
  const columns: PresetColumns = {};
  if (write.name !== undefined) columns.name = write.name;
  if (write.description !== undefined) columns.description = write.description;
  if (write.category !== undefined) columns.category = write.category;
  if (write.tags !== undefined) columns.tags = write.tags;
  if (write.thumbnailUrl !== undefined) columns.thumbnail_url = write.thumbnailUrl;
  if (write.metadata !== undefined) columns.metadata = write.metadata;
  if (write.ownerId !== undefined) columns.owner_id = write.ownerId;
  if (write.workspaceId !== undefined) columns.workspace_id = write.workspaceId;
  return { ...columns, ...axesToColumns(write.axes) };
}

/** A Supabase Auth (GoTrue) user object, as far as the API passes it on. */
export interface AuthUserJson {
  id: string;
  email?: string | null;
  created_at?: string | null;
}

/** A Supabase Auth session response. */
export interface AuthSessionJson {
  access_token: string;
  token_type?: string;
  expires_in: number;
  expires_at?: number;
  refresh_token: string;
  user: AuthUserJson;
}

export function authUserFromJson(user: AuthUserJson): AuthUser {
  return {
    id: user.id,
    email: user.email ? user.email : null,
    createdAt: user.created_at ? toIsoTimestamp(user.created_at) : null,
  };
}

export function sessionFromAuth(session: AuthSessionJson): Session {
  return {
    accessToken: session.access_token,
    tokenType: 'bearer',
    expiresIn: Number(session.expires_in),
    expiresAt: Number(session.expires_at ?? Math.floor(Date.now() / 1000) + Number(session.expires_in)),
    refreshToken: session.refresh_token,
    user: authUserFromJson(session.user),
  };
}
