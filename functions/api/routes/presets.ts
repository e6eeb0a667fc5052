// Presets: search (text, tags, category, axis ranges, nearness; keyset pages), categories, read,
// create (personal, workspace or built-in), change and delete.
import * as z from 'zod';
import {
  AXES,
  IdSchema,
  PresetCategoryListSchema,
  PresetCreateSchema,
  PresetPageSchema,
  PresetSchema,
  PresetSearchQuerySchema,
  PresetUpdateSchema,
  capitalised,
  presetFromRow,
  presetSearchResultFromRow,
  presetToColumns,
  type PresetRow,
} from '../../../sdk/src/contract.ts';
import type { Tx } from '../../_shared/db.ts';
import { ApiError, problem } from '../../_shared/problems.ts';
import { requireWorkspaceRole } from '../access.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { IdParams, json, noContent, route, type RouteSpec } from '../registry.ts';

const TAG = 'Presets';

/** The columns a preset response needs (not the generated search columns). */
export const PRESET_COLUMNS =
  'id, name, description, category, tags, density, warmth, playfulness, sophistication, energy, thumbnail_url, metadata, owner_id, workspace_id, created_at, updated_at';

const SearchCursor = z.discriminatedUnion('m', [
  z.strictObject({ m: z.literal('name'), n: z.string().max(255), i: IdSchema }),
  z.strictObject({ m: z.literal('near'), s: z.number(), i: IdSchema }),
  z.strictObject({ m: z.literal('text'), s: z.number(), i: IdSchema }),
]);

async function explainPresetMiss(tx: Tx, id: string, action: string): Promise<never> {
  const [row] = await tx`select 1 from public.presets where id = ${id}`;
  if (!row) throw problem.notFound('There is no preset with this id that you can see.');
  throw problem.forbidden(`You may not ${action} this preset: built-in presets are managed by platform admins, workspace presets by the workspace's editors, personal ones by their owner.`);
}

export const presetRoutes: RouteSpec[] = [
  route({
    method: 'get',
    path: '/v1/presets',
    operationId: 'searchPresets',
    summary: 'Search presets',
    description:
      'Built-in presets (everyone, also without a token) and the caller\'s personal and workspace presets. Three orders: with `near` nearest first, else with `q` most relevant first, else by name.',
    tag: TAG,
    auth: 'optional',
    query: PresetSearchQuerySchema,
    responses: { 200: { description: 'A page of presets.', schema: PresetPageSchema } },
    async handler({ query, once }) {
      const limit = query.limit ?? 20;
      const mode = query.near ? 'near' : query.q ? 'text' : 'name';
      const after = decodeCursor(query.cursor, SearchCursor);
      if (after && after.m !== mode) throw problem.validation([{ path: 'cursor', message: 'belongs to a search with other parameters' }]);
      const mins = AXES.map((axis) => query[`min${capitalised(axis)}`]);
      const maxes = AXES.map((axis) => query[`max${capitalised(axis)}`]);
      const axesMin = mins.some((v) => v !== undefined) ? mins.map((v) => v ?? 0) : null;
      const axesMax = maxes.some((v) => v !== undefined) ? maxes.map((v) => v ?? 1) : null;
      // search_presets caps pages at 100; ask for one more row to know whether another page exists.
      const fetchSize = Math.min(limit + 1, 100);
      const rows = await once(
        (tx) => tx<PresetRow[]>`
          select * from public.search_presets(
            ${query.q ?? null}, ${query.tags && query.tags.length > 0 ? query.tags : null}::text[], ${query.category ?? null},
            ${axesMin}::float8[], ${axesMax}::float8[], ${query.near ?? null}::float8[], ${query.scope ?? null},
            ${after && 's' in after ? after.s : null}::float8, ${after && 'n' in after ? after.n : null}::text, ${after?.i ?? null}::uuid,
            ${fetchSize})`,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const more = rows.length > limit || (limit >= 100 && rows.length === 100);
      let nextCursor: string | null = null;
      if (more && last) {
        nextCursor = encodeCursor(mode === 'name' ? { m: mode, n: last.name, i: last.id } : { m: mode, s: Number(last.score), i: last.id });
      }
      return json({ data: page.map(presetSearchResultFromRow), nextCursor });
    },
  }),
  route({
    method: 'get',
    path: '/v1/presets/categories',
    operationId: 'listPresetCategories',
    summary: 'List preset categories',
    description: 'Categories of the presets the caller may read, with how many presets each has.',
    tag: TAG,
    auth: 'optional',
    responses: { 200: { description: 'The categories.', schema: PresetCategoryListSchema } },
    async handler({ once }) {
      const rows = await once((tx) => tx<{ category: string; preset_count: string }[]>`select * from public.preset_categories()`);
      return json({ data: rows.map((r) => ({ category: r.category, count: Number(r.preset_count) })) });
    },
  }),
  route({
    method: 'get',
    path: '/v1/presets/:id',
    operationId: 'getPreset',
    summary: 'Read a preset',
    tag: TAG,
    auth: 'optional',
    params: IdParams,
    responses: { 200: { description: 'The preset.', schema: PresetSchema } },
    async handler({ params, once }) {
      const [row] = await once((tx) => tx<PresetRow[]>`select ${tx.unsafe(PRESET_COLUMNS)} from public.presets where id = ${params.id}`);
      if (!row) throw problem.notFound('There is no preset with this id that you can see.');
      return json(presetFromRow(row));
    },
  }),
  route({
    method: 'post',
    path: '/v1/presets',
    operationId: 'createPreset',
    summary: 'Create a preset',
    description:
      'A personal preset by default; with `workspaceId` a preset of that workspace (editors and owners); with `builtin: true` a built-in preset (platform admins).',
    tag: TAG,
    auth: 'user',
    body: PresetCreateSchema,
    responses: { 201: { description: 'Created.', schema: PresetSchema, headers: ['Location'] } },
    problems: [403, 404, 409],
    async handler({ body, caller, db }) {
      const { workspaceId, builtin, ...fields } = body;
      const privileged = caller.isAdmin || caller.role === 'service_role';
      if (builtin && !privileged) throw problem.forbidden('Only platform admins can create built-in presets.');
      if (!builtin && !workspaceId && !caller.userId) {
        throw new ApiError({ status: 422, code: 'validation_failed', detail: 'A personal preset needs a user.', errors: [{ path: 'workspaceId', message: 'is required for the service role (or set builtin)' }] });
      }
      const row = await db(async (tx) => {
        if (workspaceId) await requireWorkspaceRole(tx, caller, workspaceId, 'editor', 'create workspace presets');
        const columns = presetToColumns({
          ...fields,
          ...(fields.metadata ? { metadata: tx.json(fields.metadata as never) as unknown as Record<string, unknown> } : {}),
          ownerId: builtin || workspaceId ? null : caller.userId,
          workspaceId: workspaceId ?? null,
        }) as Record<string, unknown>;
        const [created] = await tx<PresetRow[]>`
          insert into public.presets ${tx(columns)} returning ${tx.unsafe(PRESET_COLUMNS)}`;
        return created!;
      });
      return json(presetFromRow(row), 201, { Location: `/api/v1/presets/${row.id}` });
    },
  }),
  route({
    method: 'patch',
    path: '/v1/presets/:id',
    operationId: 'updatePreset',
    summary: 'Change a preset',
    description: 'Its owner, editors of its workspace, or platform admins for built-in presets. `axes` may name some axes only.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    body: PresetUpdateSchema,
    responses: { 200: { description: 'The preset after the change.', schema: PresetSchema } },
    problems: [403, 409],
    async handler({ params, body, db }) {
      const row = await db(async (tx) => {
        const columns = presetToColumns({
          ...body,
          ...(body.metadata ? { metadata: tx.json(body.metadata as never) as unknown as Record<string, unknown> } : {}),
        }) as Record<string, unknown>;
        const [updated] = await tx<PresetRow[]>`
          update public.presets set ${tx(columns)} where id = ${params.id} returning ${tx.unsafe(PRESET_COLUMNS)}`;
        return updated ?? explainPresetMiss(tx, params.id, 'change');
      });
      return json(presetFromRow(row));
    },
  }),
  route({
    method: 'delete',
    path: '/v1/presets/:id',
    operationId: 'deletePreset',
    summary: 'Delete a preset',
    description: 'Its owner, editors of its workspace, or platform admins for built-in presets.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    responses: { 204: { description: 'Deleted.' } },
    problems: [403],
    async handler({ params, db }) {
      await db(async (tx) => {
        const [deleted] = await tx`delete from public.presets where id = ${params.id} returning id`;
        if (!deleted) await explainPresetMiss(tx, params.id, 'delete');
      });
      return noContent();
    },
  }),
];
