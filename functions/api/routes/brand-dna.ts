// Brand DNA: create (also from a preset), list, read, replace, partial update, delete; its version
// history, the compare view and restore.
import * as z from 'zod';
import {
  BrandDnaComparisonSchema,
  BrandDnaCreateSchema,
  BrandDnaFromPresetSchema,
  BrandDnaListQuerySchema,
  BrandDnaPageSchema,
  BrandDnaPatchSchema,
  BrandDnaReplaceSchema,
  BrandDnaSchema,
  BrandDnaVersionPageSchema,
  BrandDnaVersionSchema,
  CompareQuerySchema,
  IdSchema,
  VersionListQuerySchema,
  brandDnaFromRow,
  brandDnaToColumns,
  brandDnaVersionFromRow,
  compareVersions,
  mergeAxes,
  axesFromRow,
  presetFromRow,
  slugify,
  slugWithSuffix,
  type Axes,
  type BrandDnaRow,
  type BrandDnaVersionRow,
  type BrandDnaWrite,
  type PresetRow,
} from '../../../sdk/src/contract.ts';
import type { Caller } from '../../_shared/auth.ts';
import { textAssignments, textSql, textStatement, type Tx } from '../../_shared/db.ts';
import { etagOf, ifMatchRevisions } from '../../_shared/http.ts';
import { problem } from '../../_shared/problems.ts';
import { explainBrandDnaMiss, requireWorkspaceRole } from '../access.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { IdParams, json, noContent, route, type HandlerContext, type RouteSpec } from '../registry.ts';
import { PRESET_COLUMNS } from './presets.ts';

const TAG = 'Brand DNA';
const VersionParams = z.strictObject({ id: IdSchema, n: z.string().regex(/^[1-9]\d{0,9}$/).transform(Number).pipe(z.int().max(2147483647)) });

function location(id: string): string {
  return `/api/v1/brand-dna/${id}`;
}

function brandDnaResponse(row: BrandDnaRow, status = 200, extra: Record<string, string> = {}): Response {
  return json(brandDnaFromRow(row), status, { ETag: etagOf(row.revision), ...extra });
}

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type NewBrandDna = BrandDnaWrite & { workspaceId: string; name: string };

/**
 * Inserts a brand DNA. A slug the client chose must be free (else 409 slug_taken); a derived one
 * gets a numeric suffix until it is free.
 */
async function insertBrandDna(tx: Tx, caller: Caller, write: NewBrandDna): Promise<BrandDnaRow> {
  await requireWorkspaceRole(tx, caller, write.workspaceId, 'editor', 'create brand DNA');
  if (write.slug !== undefined) {
    const [row] = await tx<BrandDnaRow[]>`insert into public.brand_dna ${tx(brandDnaToColumns(write) as Record<string, unknown>)} returning *`;
    return row!;
  }
  return insertWithDerivedSlug(tx, write);
}

/** Inserts a brand DNA with a slug derived from its name, suffixed until it is free. */
export async function insertWithDerivedSlug(tx: Tx, write: NewBrandDna): Promise<BrandDnaRow> {
  const base = slugify(write.name);
  const taken = new Set(
    (
      await tx<{ slug: string }[]>`
        select slug from public.brand_dna
        where workspace_id = ${write.workspaceId} and (slug = ${base} or slug like ${`${base.slice(0, 58)}%`})`
    ).map((r) => r.slug),
  );
  let n = 1;
  for (let attempt = 0; attempt < 8; attempt++) {
    while (taken.has(slugWithSuffix(base, n))) n++;
    const slug = attempt < 7 ? slugWithSuffix(base, n) : slugWithSuffix(base, 1000 + Math.floor(Math.random() * 1e6));
    const columns = brandDnaToColumns({ ...write, slug }) as Record<string, unknown>;
    const [row] = await tx<BrandDnaRow[]>`
      insert into public.brand_dna ${tx(columns)} on conflict (workspace_id, slug) do nothing returning *`;
    if (row) return row;
    taken.add(slug); // someone took it meanwhile
  }
  throw problem.conflict('slug_taken', 'Could not find a free slug; give one explicitly.');
}

async function loadPreset(tx: Tx, presetId: string): Promise<PresetRow> {
  const [row] = await tx<PresetRow[]>`select ${tx.unsafe(PRESET_COLUMNS)} from public.presets where id = ${presetId}`;
  if (!row) throw problem.notFound('There is no preset with this id that you can see.', 'preset_not_found');
  return row;
}

function etagHeaderRevisions(request: Request) {
  return ifMatchRevisions(request.headers.get('If-Match'));
}

const revisionFilter = (tx: Tx, revisions: ReturnType<typeof ifMatchRevisions>) =>
  Array.isArray(revisions) ? tx`and revision = any(${revisions}::int[])` : tx``;

/**
 * PUT and PATCH: change the columns of `write` (only if the revision matches If-Match, when sent).
 * One statement with text parameters, so that it leaves together with the caller's set-up and the
 * commit: the row's lock is not held across a round trip to the function, which is what concurrent
 * edits of one brand DNA wait for. A miss is explained afterwards.
 */
async function updateBrandDna(ctx: Pick<HandlerContext<unknown, unknown, unknown>, 'db' | 'once'>, id: string, write: BrandDnaWrite, request: Request): Promise<BrandDnaRow> {
  const revisions = etagHeaderRevisions(request);
  const set = textAssignments(brandDnaToColumns(write), 2);
  const values = [id, ...set.values];
  let text = `update public.brand_dna set ${set.text} where id = $1`;
  if (Array.isArray(revisions)) {
    values.push(`{${revisions.join(',')}}`);
    text += ` and revision = any($${values.length}::int[])`;
  }
  const [updated] = await ctx.once((tx) => textStatement<BrandDnaRow[]>(tx, `${text} returning *`, values));
  return updated ?? ctx.db((tx) => explainBrandDnaMiss(tx, id, revisions, 'change brand DNA', 'editor'));
}

const ListCursor = z.strictObject({ t: z.string().regex(/^-?\d{1,20}$/), i: IdSchema });
const VersionCursor = z.strictObject({ n: z.int().min(1).max(2147483647) });

export const brandDnaRoutes: RouteSpec[] = [
  route({
    method: 'post',
    path: '/v1/brand-dna',
    operationId: 'createBrandDna',
    summary: 'Create a brand DNA',
    description: 'Editors and owners of the workspace. With `presetId`, the preset\'s axes (and description) are the starting point.',
    tag: TAG,
    auth: 'user',
    body: BrandDnaCreateSchema,
    responses: { 201: { description: 'Created.', schema: BrandDnaSchema, headers: ['ETag', 'Location'] } },
    problems: [403, 404, 409],
    async handler({ body, caller, db }) {
      const row = await db(async (tx) => {
        let axes: Axes | undefined = body.axes;
        let description = body.description;
        if (body.presetId !== undefined) {
          const preset = presetFromRow(await loadPreset(tx, body.presetId));
          axes ??= preset.axes;
          if (description === undefined) description = preset.description || null;
        }
        return insertBrandDna(tx, caller, { ...body, axes: axes!, description: description ?? null, presetId: body.presetId ?? null });
      });
      return brandDnaResponse(row, 201, { Location: location(row.id) });
    },
  }),
  route({
    method: 'post',
    path: '/v1/brand-dna/from-preset',
    operationId: 'createBrandDnaFromPreset',
    summary: 'Start a brand DNA from a preset',
    description: 'Copies the preset\'s axes (overridable one by one), name and description into a new brand DNA of the workspace.',
    tag: TAG,
    auth: 'user',
    body: BrandDnaFromPresetSchema,
    responses: { 201: { description: 'Created.', schema: BrandDnaSchema, headers: ['ETag', 'Location'] } },
    problems: [403, 404, 409],
    async handler({ body, caller, db }) {
      const row = await db(async (tx) => {
        const preset = await loadPreset(tx, body.presetId);
        return insertBrandDna(tx, caller, {
          workspaceId: body.workspaceId,
          name: body.name ?? preset.name.slice(0, 120).trim(),
          ...(body.slug !== undefined ? { slug: body.slug } : {}),
          description: body.description !== undefined ? body.description : preset.description ? preset.description : null,
          axes: mergeAxes(axesFromRow(preset), body.axes),
          ...(body.version !== undefined ? { version: body.version } : {}),
          presetId: preset.id,
        });
      });
      return brandDnaResponse(row, 201, { Location: location(row.id) });
    },
  }),
  route({
    method: 'get',
    path: '/v1/brand-dna',
    operationId: 'listBrandDna',
    summary: 'List brand DNA',
    description: 'Brand DNA of the workspaces the caller belongs to, most recently changed first, in keyset pages.',
    tag: TAG,
    auth: 'user',
    query: BrandDnaListQuerySchema,
    responses: { 200: { description: 'A page of brand DNA.', schema: BrandDnaPageSchema } },
    async handler({ query, once }) {
      const limit = query.limit ?? 20;
      const after = decodeCursor(query.cursor, ListCursor);
      const rows = await once(
        (tx) => tx<(BrandDnaRow & { cursor_us: string })[]>`
          select b.*, (extract(epoch from b.updated_at) * 1000000)::bigint::text as cursor_us
          from public.brand_dna b
          where true
            ${query.workspaceId ? tx`and b.workspace_id = ${query.workspaceId}` : tx``}
            ${query.q ? tx`and (b.name ilike ${likePattern(query.q)} or b.slug ilike ${likePattern(query.q)} or b.description ilike ${likePattern(query.q)})` : tx``}
            ${query.updatedSince ? tx`and b.updated_at >= ${query.updatedSince}::timestamptz` : tx``}
            ${
              after
                ? tx`and (b.updated_at < timestamptz 'epoch' + ${after.t}::bigint * interval '1 microsecond'
                      or (b.updated_at = timestamptz 'epoch' + ${after.t}::bigint * interval '1 microsecond' and b.id > ${after.i}))`
                : tx``
            }
          order by b.updated_at desc, b.id
          limit ${limit + 1}`,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return json({
        data: page.map(brandDnaFromRow),
        nextCursor: rows.length > limit && last ? encodeCursor({ t: last.cursor_us, i: last.id }) : null,
      });
    },
  }),
  route({
    method: 'get',
    path: '/v1/brand-dna/:id',
    operationId: 'getBrandDna',
    summary: 'Read a brand DNA',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    responses: { 200: { description: 'The brand DNA.', schema: BrandDnaSchema, headers: ['ETag'] } },
    async handler({ params, once }) {
      const [row] = await once((tx) => textSql(tx)<BrandDnaRow[]>`select * from public.brand_dna where id = ${params.id}`);
      if (!row) throw problem.notFound('There is no brand DNA with this id that you can see.');
      return brandDnaResponse(row);
    },
  }),
  route({
    method: 'put',
    path: '/v1/brand-dna/:id',
    operationId: 'replaceBrandDna',
    summary: 'Replace a brand DNA',
    description: 'Editors and owners. Sets name, description, all five axes and (optionally) slug and version; a change makes a new version.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    body: BrandDnaReplaceSchema,
    ifMatch: true,
    responses: { 200: { description: 'The brand DNA after the change.', schema: BrandDnaSchema, headers: ['ETag'] } },
    problems: [403, 409],
    async handler({ params, body, request, db, once }) {
      return brandDnaResponse(await updateBrandDna({ db, once }, params.id, { ...body, description: body.description ?? null }, request));
    },
  }),
  route({
    method: 'patch',
    path: '/v1/brand-dna/:id',
    operationId: 'updateBrandDna',
    summary: 'Change some fields of a brand DNA',
    description: 'Editors and owners. Only the fields given change; `axes` may name some axes only. A change makes a new version.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    body: BrandDnaPatchSchema,
    ifMatch: true,
    responses: { 200: { description: 'The brand DNA after the change.', schema: BrandDnaSchema, headers: ['ETag'] } },
    problems: [403, 409],
    async handler({ params, body, request, db, once }) {
      return brandDnaResponse(await updateBrandDna({ db, once }, params.id, body, request));
    },
  }),
  route({
    method: 'delete',
    path: '/v1/brand-dna/:id',
    operationId: 'deleteBrandDna',
    summary: 'Delete a brand DNA',
    description: 'Owners of the workspace. Its version history is kept.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    ifMatch: true,
    responses: { 204: { description: 'Deleted.' } },
    problems: [403],
    async handler({ params, request, db }) {
      const revisions = etagHeaderRevisions(request);
      await db(async (tx) => {
        const [deleted] = await tx`delete from public.brand_dna where id = ${params.id} ${revisionFilter(tx, revisions)} returning id`;
        if (!deleted) await explainBrandDnaMiss(tx, params.id, revisions, 'delete brand DNA', 'owner');
      });
      return noContent();
    },
  }),
  route({
    method: 'get',
    path: '/v1/brand-dna/:id/versions',
    operationId: 'listBrandDnaVersions',
    summary: 'List the versions of a brand DNA',
    description: 'Newest first, in keyset pages. The history stays readable to members after the brand DNA is deleted.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    query: VersionListQuerySchema,
    responses: { 200: { description: 'A page of versions.', schema: BrandDnaVersionPageSchema } },
    async handler({ params, query, db }) {
      const limit = query.limit ?? 20;
      const after = decodeCursor(query.cursor, VersionCursor);
      const rows = await db(async (tx) => {
        const found = await tx<BrandDnaVersionRow[]>`
          select * from public.brand_dna_versions
          where brand_dna_id = ${params.id} ${after ? tx`and version_number < ${after.n}` : tx``}
          order by version_number desc
          limit ${limit + 1}`;
        if (found.length === 0 && !after) {
          const [exists] = await tx`select 1 from public.brand_dna where id = ${params.id}`;
          if (!exists) throw problem.notFound('There is no brand DNA with this id that you can see.');
        }
        return found;
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return json({
        data: page.map(brandDnaVersionFromRow),
        nextCursor: rows.length > limit && last ? encodeCursor({ n: last.version_number }) : null,
      });
    },
  }),
  route({
    method: 'get',
    path: '/v1/brand-dna/:id/versions/:n',
    operationId: 'getBrandDnaVersion',
    summary: 'Read one version of a brand DNA',
    tag: TAG,
    auth: 'user',
    params: VersionParams,
    responses: { 200: { description: 'The version.', schema: BrandDnaVersionSchema } },
    async handler({ params, once }) {
      const [row] = await once(
        (tx) => tx<BrandDnaVersionRow[]>`
          select * from public.brand_dna_versions where brand_dna_id = ${params.id} and version_number = ${params.n}`,
      );
      if (!row) throw problem.notFound('There is no such version of a brand DNA you can see.', 'version_not_found');
      return json(brandDnaVersionFromRow(row));
    },
  }),
  route({
    method: 'get',
    path: '/v1/brand-dna/:id/compare',
    operationId: 'compareBrandDnaVersions',
    summary: 'Compare two versions of a brand DNA',
    description: 'Per-axis deltas and the other fields that changed between version `from` and version `to` (or the current state).',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    query: CompareQuerySchema,
    responses: { 200: { description: 'The comparison.', schema: BrandDnaComparisonSchema } },
    async handler({ params, query, db }) {
      const to = query.to ?? 'current';
      const numbers = to === 'current' ? [query.from] : [query.from, to];
      const { versions, current } = await db(async (tx) => ({
        versions: await tx<BrandDnaVersionRow[]>`
          select * from public.brand_dna_versions where brand_dna_id = ${params.id} and version_number = any(${numbers}::int[])`,
        current: to === 'current' ? (await tx<BrandDnaRow[]>`select * from public.brand_dna where id = ${params.id}`)[0] : undefined,
      }));
      const fromRow = versions.find((v) => v.version_number === query.from);
      if (to === 'current' && !current) throw problem.notFound('There is no brand DNA with this id that you can see.');
      const toRow = to === 'current' ? current : versions.find((v) => v.version_number === to);
      if (!fromRow || !toRow) throw problem.notFound('There is no such version of a brand DNA you can see.', 'version_not_found');
      const fromVersion = brandDnaVersionFromRow(fromRow);
      const toVersion = to === 'current' ? brandDnaFromRow(toRow as BrandDnaRow) : brandDnaVersionFromRow(toRow as BrandDnaVersionRow);
      return json({
        brandDnaId: params.id,
        from: { versionNumber: fromVersion.versionNumber, version: fromVersion.version },
        to: {
          versionNumber: to === 'current' ? (toRow as BrandDnaRow).revision : (toRow as BrandDnaVersionRow).version_number,
          version: toVersion.version,
          current: to === 'current',
        },
        ...compareVersions(fromVersion, toVersion),
      });
    },
  }),
  route({
    method: 'post',
    path: '/v1/brand-dna/:id/versions/:n/restore',
    operationId: 'restoreBrandDnaVersion',
    summary: 'Make an old version current again',
    description: 'Editors and owners. The restored content becomes a new version (its PATCH bumped); nothing is rewritten.',
    tag: TAG,
    auth: 'user',
    params: VersionParams,
    responses: { 200: { description: 'The brand DNA after the restore.', schema: BrandDnaSchema, headers: ['ETag'] } },
    problems: [403, 409],
    async handler({ params, db }) {
      const row = await db(async (tx) => {
        const [restored] = await tx<BrandDnaRow[]>`select * from public.restore_brand_dna_version(${params.id}, ${params.n})`;
        return restored ?? explainBrandDnaMiss(tx, params.id, null, 'restore versions', 'editor');
      });
      return brandDnaResponse(row);
    },
  }),
];
