// The wire contract of the Tekton Studio API (camelCase JSON): request bodies, query strings and
// responses, as zod 4 schemas. The API validates with them, the OpenAPI document is generated from
// them, and the SDK exports them with their inferred types. Schemas with an `id` in their metadata
// become named components of the OpenAPI document.
import * as z from 'zod';
import { AxesSchema, AxisValueSchema, AXES, PartialAxesSchema, type AxisName } from './axes.ts';

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** Postgres rejects NUL characters in text, so no string the API stores may contain one. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
export const NO_NUL = /^[^\u0000]*$/;
export const noNul = { error: 'must not contain NUL (\\u0000) characters' };

/**
 * A UTF-16 surrogate without its partner (JSON allows `"\ud800"`) has no UTF-8 form: the database
 * driver would store it as U+FFFD, so it is refused instead. (In a `u` regex a surrogate class
 * only matches surrogates that are not part of a pair.)
 */
const NO_LONE_SURROGATE = /^[^\ud800-\udfff]*$/u;
const noLoneSurrogate = { error: 'must not contain unpaired surrogates' };

/**
 * Characters that show nothing on their own: white space, control and format characters (bidi
 * controls, zero-width characters, the byte-order mark, soft hyphens), default-ignorable ones
 * (variation selectors, Hangul fillers, tag characters) and the blank braille pattern. The
 * database's private.has_visible_character() lists the same set (tests/api/names.test.ts
 * compares them).
 */
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** True when `value` has at least one character that is not invisible. */
export function hasVisibleCharacter(value: string): boolean {
  return value.replace(INVISIBLE, '') !== '';
}

/** Any 8-4-4-4-12 hex id (Postgres uuid); ids the API makes are random UUIDs. */
export const IdSchema = z.guid({ error: 'must be a UUID' });
export const TimestampSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const SEMVER_PATTERN = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

export const SlugSchema = z
  .string()
  .max(64, { error: 'must be at most 64 characters' })
  .regex(SLUG_PATTERN, { error: 'must be lowercase letters and digits separated by single hyphens' })
  .describe('Lowercase letters and digits separated by single hyphens, at most 64 characters; unique within the workspace.');

export const SemverSchema = z
  .string()
  .regex(SEMVER_PATTERN, { error: 'must be MAJOR.MINOR.PATCH (digits, no leading zeros, each below 10^9)' })
  .describe(
    'Semantic version MAJOR.MINOR.PATCH, each part at most 999999999. A change that does not raise it gets the next version: PATCH + 1, a PATCH of 999999999 rolling over into MINOR (and a MINOR of 999999999 into MAJOR); 999999999.999999999.999999999 stays.',
  );

function text(max: number, what = 'characters') {
  return z.string().regex(NO_NUL, noNul).regex(NO_LONE_SURROGATE, noLoneSurrogate).max(max, { error: `must be at most ${max} ${what}` });
}

/**
 * A display name: surrounding white space trimmed, NFC-normalized (so that one name has one
 * spelling, as the database stores it), 1–`max` characters, at least one of them visible.
 */
function nameSchema(max: number) {
  return z
    .string()
    .regex(NO_NUL, noNul)
    .regex(NO_LONE_SURROGATE, noLoneSurrogate)
    .trim()
    .normalize('NFC')
    .min(1, { error: 'must not be empty', abort: true })
    .max(max, { error: `must be at most ${max} characters` })
    .refine(hasVisibleCharacter, { error: 'must contain a visible character' });
}

export const BrandDnaNameSchema = nameSchema(120);
export const DescriptionSchema = text(2000);
export const WorkspaceRoleSchema = z.enum(['viewer', 'editor', 'owner']).meta({
  id: 'WorkspaceRole',
  description: 'viewer reads; editor also creates and edits brand DNA; owner also deletes and manages members.',
});
export type WorkspaceRole = z.infer<typeof WorkspaceRoleSchema>;

/** A page of a keyset-paginated list; pass `nextCursor` back as `cursor` for the next page. */
function page<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      data: z.array(item),
      nextCursor: z.string().nullable().describe('Opaque cursor of the next page; null on the last page.'),
    })
    .meta({ id });
}

// ---------------------------------------------------------------------------------------------
// Query-string values (always strings on the wire)
// ---------------------------------------------------------------------------------------------

/** A decimal integer in a query string. */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,10}$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));
}

/** An axis bound in a query string: a decimal number from 0 to 1. */
const queryAxis = z
  .string()
  .regex(/^(0|1|0?\.\d{1,17}|[01]\.\d{0,17})$/, { error: 'must be a decimal number from 0 to 1' })
  .transform(Number)
  .pipe(AxisValueSchema);

const queryText = (max: number) => text(max).trim();

export const LimitQuerySchema = queryInt(1, 100).optional().describe('Page size, 1–100 (default 20).');
export const CursorQuerySchema = z
  .string()
  .max(512, { error: 'is not a cursor of this list' })
  .optional()
  .describe('The `nextCursor` of the previous page.');

// ---------------------------------------------------------------------------------------------
// Problems (RFC 9457)
// ---------------------------------------------------------------------------------------------

export const ProblemSchema = z
  .object({
    type: z.string().describe('URI reference naming the problem type.'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.string().describe('Stable snake_case error code, e.g. validation_failed, not_found, slug_taken.'),
    requestId: z.string(),
    errors: z
      .array(z.object({ path: z.string().describe('Dotted path of the offending field, e.g. axes.density.'), message: z.string() }))
      .optional()
      .describe('Field errors (validation problems only).'),
  })
  .meta({ id: 'Problem', description: 'An error, as application/problem+json (RFC 9457).' });
export type Problem = z.infer<typeof ProblemSchema>;

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

export const HealthSchema = z
  .object({ status: z.literal('ok'), database: z.literal('ok'), time: TimestampSchema })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof HealthSchema>;

// ---------------------------------------------------------------------------------------------
// Brand DNA
// ---------------------------------------------------------------------------------------------

export const BrandDnaSchema = z
  .object({
    id: IdSchema,
    workspaceId: IdSchema,
    slug: SlugSchema,
    name: z.string(),
    description: z.string().optional().describe('Absent when the brand DNA has no description.'),
    axes: AxesSchema,
    version: SemverSchema,
    revision: z.int().min(1).describe('Number of the latest version (1, 2, 3 …); the ETag.'),
    presetId: IdSchema.nullable().describe('Preset it started from, if any.'),
    createdBy: IdSchema.nullable(),
    updatedBy: IdSchema.nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'BrandDna', description: 'A brand\'s personality. Compatible with @tekton/studio-mcp\'s BrandDNASchema.' });
export type BrandDna = z.infer<typeof BrandDnaSchema>;

const nullableDescription = DescriptionSchema.nullable().describe('At most 2000 characters; null clears it.');

export const BrandDnaCreateSchema = z
  .strictObject({
    workspaceId: IdSchema,
    name: BrandDnaNameSchema,
    slug: SlugSchema.optional().describe('Derived from the name (and made unique) when absent; a given slug that is taken is a 409.'),
    description: nullableDescription.optional(),
    axes: AxesSchema.optional().describe('Required unless presetId is given (then the preset\'s axes are used).'),
    version: SemverSchema.optional().describe('Defaults to 1.0.0.'),
    presetId: IdSchema.optional().describe('Start from this preset: its axes (unless axes are given) and its description (unless given).'),
  })
  .refine((body) => body.axes !== undefined || body.presetId !== undefined, {
    error: 'required unless presetId is given',
    path: ['axes'],
  })
  .meta({ id: 'BrandDnaCreate' });
export type BrandDnaCreate = z.infer<typeof BrandDnaCreateSchema>;

export const BrandDnaFromPresetSchema = z
  .strictObject({
    presetId: IdSchema,
    workspaceId: IdSchema,
    name: BrandDnaNameSchema.optional().describe('Defaults to the preset\'s name.'),
    slug: SlugSchema.optional(),
    description: nullableDescription.optional().describe('Defaults to the preset\'s description.'),
    axes: PartialAxesSchema.optional().describe('Axes that override the preset\'s.'),
    version: SemverSchema.optional(),
  })
  .meta({ id: 'BrandDnaFromPreset' });
export type BrandDnaFromPreset = z.infer<typeof BrandDnaFromPresetSchema>;

export const BrandDnaReplaceSchema = z
  .strictObject({
    name: BrandDnaNameSchema,
    slug: SlugSchema.optional().describe('Kept when absent.'),
    description: nullableDescription.optional().describe('Absent or null: no description.'),
    axes: AxesSchema,
    version: SemverSchema.optional().describe('Absent: the PATCH is bumped when the content changes.'),
  })
  .meta({ id: 'BrandDnaReplace' });
export type BrandDnaReplace = z.infer<typeof BrandDnaReplaceSchema>;

export const BrandDnaPatchSchema = z
  .strictObject({
    name: BrandDnaNameSchema.optional(),
    slug: SlugSchema.optional(),
    description: nullableDescription.optional(),
    axes: PartialAxesSchema.optional().describe('Only the axes given change.'),
    version: SemverSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'give at least one field to change' })
  .meta({ id: 'BrandDnaPatch' });
export type BrandDnaPatch = z.infer<typeof BrandDnaPatchSchema>;

export const BrandDnaListQuerySchema = z.strictObject({
  workspaceId: IdSchema.optional().describe('Only brand DNA of this workspace.'),
  q: queryText(200).optional().describe('Text to find in name, slug or description (case-insensitive).'),
  updatedSince: TimestampSchema.optional().describe('Only brand DNA changed at or after this time.'),
  cursor: CursorQuerySchema,
  limit: LimitQuerySchema,
});
export type BrandDnaListQuery = z.input<typeof BrandDnaListQuerySchema>;

export const BrandDnaPageSchema = page(BrandDnaSchema, 'BrandDnaPage');
export type BrandDnaPage = z.infer<typeof BrandDnaPageSchema>;

export const BrandDnaVersionSchema = z
  .object({
    brandDnaId: IdSchema,
    versionNumber: z.int().min(1),
    workspaceId: IdSchema,
    slug: SlugSchema,
    name: z.string(),
    description: z.string().optional(),
    axes: AxesSchema,
    version: SemverSchema,
    restoredFrom: z.int().min(1).nullable().describe('The older version this one restored, if any.'),
    createdBy: IdSchema.nullable(),
    createdAt: TimestampSchema,
  })
  .meta({ id: 'BrandDnaVersion', description: 'An immutable snapshot of a brand DNA.' });
export type BrandDnaVersion = z.infer<typeof BrandDnaVersionSchema>;

export const VersionListQuerySchema = z.strictObject({ cursor: CursorQuerySchema, limit: LimitQuerySchema });
export const BrandDnaVersionPageSchema = page(BrandDnaVersionSchema, 'BrandDnaVersionPage');
export type BrandDnaVersionPage = z.infer<typeof BrandDnaVersionPageSchema>;

export const CompareQuerySchema = z.strictObject({
  from: queryInt(1, 2147483647).describe('Version number to compare from.'),
  to: z
    .union([z.literal('current'), queryInt(1, 2147483647)])
    .optional()
    .describe('Version number to compare to, or `current` (default).'),
});

export const AxisChangeSchema = z
  .object({
    axis: z.enum(AXES),
    from: z.number(),
    to: z.number(),
    delta: z.number().describe('to − from, rounded to 12 decimals.'),
    direction: z.enum(['up', 'down', 'unchanged']),
  })
  .meta({ id: 'AxisChange' });
export type AxisChange = z.infer<typeof AxisChangeSchema>;

const fieldChange = <T extends z.ZodType>(value: T) => z.object({ from: value, to: value });

export const BrandDnaComparisonSchema = z
  .object({
    brandDnaId: IdSchema,
    from: z.object({ versionNumber: z.int(), version: SemverSchema }),
    to: z.object({ versionNumber: z.int(), version: SemverSchema, current: z.boolean() }),
    axes: z.array(AxisChangeSchema).describe('One entry per axis, in the canonical order.'),
    changed: z
      .object({
        name: fieldChange(z.string()).optional(),
        description: fieldChange(z.string().nullable()).optional(),
        version: fieldChange(SemverSchema).optional(),
      })
      .describe('Fields other than the axes that differ (absent when equal).'),
  })
  .meta({ id: 'BrandDnaComparison' });
export type BrandDnaComparison = z.infer<typeof BrandDnaComparisonSchema>;

// ---------------------------------------------------------------------------------------------
// Workspaces and members
// ---------------------------------------------------------------------------------------------

export const WorkspaceNameSchema = nameSchema(120);

export const WorkspaceSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    role: WorkspaceRoleSchema.nullable().describe('The caller\'s role (null for the service role).'),
    createdBy: IdSchema.nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'Workspace' });
export type Workspace = z.infer<typeof WorkspaceSchema>;

export const WorkspaceListSchema = z.object({ data: z.array(WorkspaceSchema) }).meta({ id: 'WorkspaceList' });
export const WorkspaceCreateSchema = z.strictObject({ name: WorkspaceNameSchema }).meta({ id: 'WorkspaceCreate' });
export const WorkspaceUpdateSchema = z.strictObject({ name: WorkspaceNameSchema }).meta({ id: 'WorkspaceUpdate' });
export type WorkspaceCreate = z.infer<typeof WorkspaceCreateSchema>;
export type WorkspaceUpdate = z.infer<typeof WorkspaceUpdateSchema>;

export const MemberSchema = z
  .object({
    workspaceId: IdSchema,
    userId: IdSchema,
    role: WorkspaceRoleSchema,
    email: z.string().nullable(),
    displayName: z.string().nullable(),
    addedBy: IdSchema.nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'Member' });
export type Member = z.infer<typeof MemberSchema>;

export const MemberListSchema = z.object({ data: z.array(MemberSchema) }).meta({ id: 'MemberList' });
export const MemberAddSchema = z
  .strictObject({
    email: z.email({ error: 'must be an e-mail address' }).max(320, { error: 'must be at most 320 characters' }),
    role: WorkspaceRoleSchema.optional().describe('Defaults to viewer.'),
  })
  .meta({ id: 'MemberAdd' });
export const MemberUpdateSchema = z.strictObject({ role: WorkspaceRoleSchema }).meta({ id: 'MemberUpdate' });
export type MemberAdd = z.infer<typeof MemberAddSchema>;
export type MemberUpdate = z.infer<typeof MemberUpdateSchema>;

// ---------------------------------------------------------------------------------------------
// Presets
// ---------------------------------------------------------------------------------------------

export const TAG_PATTERN = SLUG_PATTERN;
export const TagSchema = z
  .string()
  .max(32, { error: 'must be at most 32 characters' })
  .regex(TAG_PATTERN, { error: 'must be lowercase letters and digits separated by single hyphens' });
export const CategorySchema = z
  .string()
  .max(100, { error: 'must be at most 100 characters' })
  .regex(SLUG_PATTERN, { error: 'must be lowercase letters and digits separated by single hyphens' });

export const PresetScopeSchema = z.enum(['builtin', 'personal', 'workspace']);

const MAX_METADATA_BYTES = 16_384;
const MAX_METADATA_DEPTH = 8;

/** JSON value limits Postgres and the API can store safely: depth, size, no NUL characters. */
function metadataProblem(value: unknown): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_METADATA_DEPTH) return `must be nested at most ${MAX_METADATA_DEPTH} levels deep`;
    if (typeof node === 'string' && node.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
    if (typeof node === 'string' && !NO_LONE_SURROGATE.test(node)) return noLoneSurrogate.error;
    if (typeof node === 'number' && !Number.isFinite(node)) return 'must contain finite numbers only';
    if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
        if (!NO_LONE_SURROGATE.test(key)) return noLoneSurrogate.error;
        stack.push([child, depth + 1]);
      }
    }
  }
  if (new TextEncoder().encode(JSON.stringify(value)).length > MAX_METADATA_BYTES) return 'must be at most 16 KiB of JSON';
  return null;
}

export const PresetMetadataSchema = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    const problem = metadataProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('Free-form JSON object (at most 16 KiB, 8 levels deep), e.g. palette hints.');

const ThumbnailUrlSchema = z
  .string()
  .max(2048, { error: 'must be at most 2048 characters' })
  // eslint-disable-next-line no-control-regex -- no NUL in URLs
  .regex(/^https?:\/\/[^\s\u0000]+$/, { error: 'must be an http(s) URL without spaces' });

export const PresetSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    description: z.string(),
    category: z.string(),
    tags: z.array(z.string()),
    axes: AxesSchema,
    thumbnailUrl: z.string().nullable(),
    // Any JSON object. (z.record would say the same, but adds 4 kB of zod to a browser bundle.)
    metadata: z.looseObject({}),
    scope: PresetScopeSchema.describe('builtin: everyone reads it; personal: its owner; workspace: the workspace\'s members.'),
    ownerId: IdSchema.nullable(),
    workspaceId: IdSchema.nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'Preset' });
export type Preset = z.infer<typeof PresetSchema>;

export const PresetSearchResultSchema = PresetSchema.extend({
  score: z
    .number()
    .nullable()
    .describe('With `near`: the distance to it (smaller is nearer); with `q`: the relevance (larger is better); else null.'),
}).meta({ id: 'PresetSearchResult' });
export type PresetSearchResult = z.infer<typeof PresetSearchResultSchema>;

export const PresetPageSchema = page(PresetSearchResultSchema, 'PresetPage');
export type PresetPage = z.infer<typeof PresetPageSchema>;

export const PresetCreateSchema = z
  .strictObject({
    name: nameSchema(255),
    description: DescriptionSchema.optional(),
    category: CategorySchema,
    tags: z.array(TagSchema).max(20, { error: 'must have at most 20 tags' }).optional(),
    axes: AxesSchema,
    thumbnailUrl: ThumbnailUrlSchema.nullable().optional(),
    metadata: PresetMetadataSchema.optional(),
    workspaceId: IdSchema.optional().describe('Make it a preset of this workspace (editors) instead of a personal one.'),
    builtin: z.boolean().optional().describe('Make it a built-in preset everyone can read (platform admins only).'),
  })
  .refine((body) => !(body.builtin && body.workspaceId), {
    error: 'a built-in preset belongs to no workspace',
    path: ['builtin'],
  })
  .meta({ id: 'PresetCreate' });
export type PresetCreate = z.infer<typeof PresetCreateSchema>;

export const PresetUpdateSchema = z
  .strictObject({
    name: nameSchema(255).optional(),
    description: DescriptionSchema.optional(),
    category: CategorySchema.optional(),
    tags: z.array(TagSchema).max(20, { error: 'must have at most 20 tags' }).optional(),
    axes: PartialAxesSchema.optional(),
    thumbnailUrl: ThumbnailUrlSchema.nullable().optional(),
    metadata: PresetMetadataSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'give at least one field to change' })
  .meta({ id: 'PresetUpdate' });
export type PresetUpdate = z.infer<typeof PresetUpdateSchema>;

export function capitalised<A extends AxisName>(axis: A): Capitalize<A> {
  return (axis[0]!.toUpperCase() + axis.slice(1)) as Capitalize<A>;
}

const axisRangeShape = Object.fromEntries(
  AXES.flatMap((axis) => [
    [`min${capitalised(axis)}`, queryAxis.optional().describe(`Only presets whose ${axis} is at least this.`)],
    [`max${capitalised(axis)}`, queryAxis.optional().describe(`Only presets whose ${axis} is at most this.`)],
  ]),
) as Record<`${'min' | 'max'}${Capitalize<AxisName>}`, z.ZodOptional<typeof queryAxis>>;

export const PresetSearchQuerySchema = z
  .strictObject({
    q: queryText(200)
      .optional()
      .describe(
        'Words to find in name, category, tags and description, most relevant first: presets with every word before presets with some. A misspelt word of 3 or more letters also matches the nearest known words; stop words (and, with …) are ignored; shorter words match exactly. At most 6 distinct words count, and a search ranks at most its 1,000 best matches.',
      ),
    tags: z
      .string()
      .max(700)
      .transform((value) => value.split(',').map((tag) => tag.trim()).filter((tag) => tag !== ''))
      .pipe(z.array(TagSchema).max(20, { error: 'must have at most 20 tags' }))
      .optional()
      .describe('Comma-separated tags; presets having all of them.'),
    category: CategorySchema.optional(),
    ...axisRangeShape,
    near: z
      .string()
      .max(200)
      .transform((value) => value.split(','))
      .pipe(z.array(z.string().trim().pipe(queryAxis)).length(5, { error: `must be five numbers (${AXES.join(',')})` }))
      .optional()
      .describe(`Five comma-separated numbers (${AXES.join(',')}): nearest presets first.`),
    scope: z.enum(['builtin', 'custom']).optional().describe('Only built-in or only custom presets.'),
    cursor: CursorQuerySchema,
    limit: LimitQuerySchema,
  })
  .superRefine((query, ctx) => {
    for (const axis of AXES) {
      const min = query[`min${capitalised(axis)}`];
      const max = query[`max${capitalised(axis)}`];
      if (min !== undefined && max !== undefined && min > max) {
        ctx.addIssue({ code: 'custom', path: [`min${capitalised(axis)}`], message: `must not be above max${capitalised(axis)}` });
      }
    }
  });
export type PresetSearchQuery = z.input<typeof PresetSearchQuerySchema>;

export const PresetCategoryListSchema = z
  .object({ data: z.array(z.object({ category: z.string(), count: z.int() })) })
  .meta({ id: 'PresetCategoryList' });
export type PresetCategoryList = z.infer<typeof PresetCategoryListSchema>;

// ---------------------------------------------------------------------------------------------
// Auth (thin REST face over Supabase Auth)
// ---------------------------------------------------------------------------------------------

const PasswordSchema = z.string().min(1, { error: 'must not be empty' }).max(72, { error: 'must be at most 72 characters' });
const EmailSchema = z.email({ error: 'must be an e-mail address' }).max(320);

export const SignupSchema = z
  .strictObject({
    email: EmailSchema,
    password: PasswordSchema,
    displayName: nameSchema(120).optional().describe('Name shown to teammates; defaults to the part of the e-mail before @.'),
  })
  .meta({ id: 'Signup' });
export const LoginSchema = z.strictObject({ email: EmailSchema, password: PasswordSchema }).meta({ id: 'Login' });
export const RefreshSchema = z
  .strictObject({ refreshToken: z.string().min(1).max(2048).regex(NO_NUL, noNul) })
  .meta({ id: 'Refresh' });
export const LogoutQuerySchema = z.strictObject({
  scope: z.enum(['global', 'local', 'others']).optional().describe('Which sessions to end (default global).'),
});

export const AuthUserSchema = z
  .object({ id: IdSchema, email: z.string().nullable(), createdAt: TimestampSchema.nullable() })
  .meta({ id: 'AuthUser' });
export type AuthUser = z.infer<typeof AuthUserSchema>;
export const SessionSchema = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('bearer'),
    expiresIn: z.int(),
    expiresAt: z.int().describe('Unix seconds.'),
    refreshToken: z.string(),
    user: AuthUserSchema,
  })
  .meta({ id: 'Session' });
export type Session = z.infer<typeof SessionSchema>;
export const SignupResultSchema = z
  .object({ user: AuthUserSchema, session: SessionSchema.nullable().describe('Null when the e-mail must be confirmed first.') })
  .meta({ id: 'SignupResult' });
