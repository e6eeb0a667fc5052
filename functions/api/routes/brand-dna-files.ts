// The studio's own Brand DNA files in and out: import objects of @tekton/studio-mcp's
// BrandDNASchema verbatim (their ids kept as external ids, their versions and timestamps kept), and
// export in that shape. Registered before the brand DNA routes, so that /brand-dna/export is not
// taken for an id.
import type postgres from 'postgres';
import { IdSchema, brandDnaToColumns, type BrandDnaRow } from '../../../sdk/src/contract.ts';
import {
  BrandDnaImportResultSchema,
  BrandDnaImportSchema,
  MAX_IMPORT_ITEMS,
  StudioBrandDnaListSchema,
  StudioBrandDnaSchema,
  WorkspaceQuerySchema,
  studioBrandDnaFromRow,
  type BrandDnaImportResult,
  type BrandDnaWithOriginRow,
  type StudioBrandDna,
} from '../../../sdk/src/studio-files.ts';
import type { Tx } from '../../_shared/db.ts';
import { ApiError, fromDatabaseError, problem, type FieldError } from '../../_shared/problems.ts';
import { requireWorkspaceRole, requireWorkspaceVisible } from '../access.ts';
import { IdParams, json, route, type RouteSpec } from '../registry.ts';
import { insertWithDerivedSlug } from './brand-dna.ts';

const TAG = 'Brand DNA';

type ImportedItem = BrandDnaImportResult['data'][number];

/** The brand DNA an item updates: the one with its id as external id, else one made here whose id it is. */
type Target = Pick<BrandDnaRow, 'id' | 'revision'>;

const withOrigin = (tx: Tx) => tx`
  select b.*, o.external_id, o.source_created_at, o.source_updated_at, o.source_revision
  from public.brand_dna b left join public.brand_dna_origins o on o.brand_dna_id = b.id`;

/** Locks the brand DNA the items update (in id order, so that concurrent imports cannot deadlock on them). */
async function lockTargets(tx: Tx, workspaceId: string, ids: string[]): Promise<(id: string) => Target | undefined> {
  const uuids = ids.filter((id) => IdSchema.safeParse(id).success).map((id) => id.toLowerCase());
  const rows = await tx<BrandDnaWithOriginRow[]>`
    ${withOrigin(tx)}
    where b.workspace_id = ${workspaceId}
      and (o.external_id = any(${ids}::text[]) or (o.brand_dna_id is null and b.id = any(${uuids}::uuid[])))
    order by b.id
    for update of b`;
  const byExternalId = new Map(rows.filter((r) => r.external_id !== null).map((r) => [r.external_id!, r]));
  const madeHere = new Map(rows.filter((r) => r.external_id === null).map((r) => [r.id, r]));
  return (id) => byExternalId.get(id) ?? madeHere.get(id.toLowerCase());
}

/** Creates or updates the brand DNA of one item, and records where it came from. */
async function importItem(tx: Tx, workspaceId: string, item: StudioBrandDna, target: Target | undefined): Promise<ImportedItem> {
  const content = { name: item.name, description: item.description ?? null, axes: item.axes, version: item.version };
  const row = target
    ? (await tx<BrandDnaRow[]>`
        update public.brand_dna set ${tx(brandDnaToColumns(content) as Record<string, unknown>)} where id = ${target.id} returning *`)[0]!
    : await insertWithDerivedSlug(tx, { workspaceId, ...content });
  // A new external id raises a unique violation when a concurrent import made it first (see below).
  await tx`
    insert into public.brand_dna_origins (brand_dna_id, external_id, source_created_at, source_updated_at, source_revision)
    values (${row.id}, ${item.id}, ${item.createdAt}, ${item.updatedAt}, ${row.revision})
    on conflict (brand_dna_id) do update
      set source_created_at = excluded.source_created_at, source_updated_at = excluded.source_updated_at,
          source_revision = excluded.source_revision`;
  const outcome = !target ? 'created' : row.revision > target.revision ? 'updated' : 'unchanged';
  return { id: item.id, brandDnaId: row.id, outcome, revision: row.revision, version: row.version };
}

/**
 * Imports one item in a savepoint, so that a failure undoes only its own changes. When a concurrent
 * import created the same external id meanwhile (committed now), the item updates that one instead.
 */
async function importOne(tx: Tx, workspaceId: string, item: StudioBrandDna, target: Target | undefined): Promise<ImportedItem> {
  try {
    return await inSavepoint(tx, () => importItem(tx, workspaceId, item, target));
  } catch (err) {
    if (!isExternalIdTaken(err)) throw err;
    const targetNow = (await lockTargets(tx, workspaceId, [item.id]))(item.id);
    return inSavepoint(tx, () => importItem(tx, workspaceId, item, targetNow));
  }
}

/** Runs `work` in a savepoint: when it fails, only its own changes are undone. */
async function inSavepoint<T>(tx: Tx, work: () => Promise<T>): Promise<T> {
  await tx`savepoint import_item`;
  try {
    const result = await work();
    await tx`release savepoint import_item`;
    return result;
  } catch (err) {
    await tx`rollback to savepoint import_item`;
    throw err;
  }
}

function isExternalIdTaken(err: unknown): boolean {
  const e = err as Partial<postgres.PostgresError> | null;
  return e?.code === '23505' && e.constraint_name === 'brand_dna_origins_external_id_unique';
}

/** 422 naming each item whose id appears earlier in the same import. */
function refuseRepeatedIds(items: StudioBrandDna[], path: (index: number, field?: string) => string): void {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  items.forEach((item, index) => {
    if (seen.has(item.id)) errors.push({ path: path(index, 'id'), message: 'appears more than once in this import' });
    seen.add(item.id);
  });
  if (errors.length > 0) throw problem.validation(errors);
}

export const brandDnaFileRoutes: RouteSpec[] = [
  route({
    method: 'post',
    path: '/v1/brand-dna/import',
    operationId: 'importBrandDna',
    summary: 'Import brand DNA from the studio',
    description:
      'Editors and owners. The body is one object of @tekton/studio-mcp\'s BrandDNASchema, or an array of up to 100, verbatim (as the studio writes them; unknown fields are refused). ' +
      'Each `id` is kept as the brand DNA\'s external id, unique in the workspace: an id imported before updates that brand DNA (a new version when the content changed), and the id of a brand DNA made here updates it; any other id makes a new brand DNA (slug from the name). ' +
      'The `version` is kept (a change that does not raise it gets its PATCH bumped, as every change does); `createdAt` and `updatedAt` are kept for the export. ' +
      'All or nothing: when any item fails, nothing is imported and the 422 lists every failing item by its index (`validation_failed` for the shape, `import_failed` for what the database refused).',
    tag: TAG,
    auth: 'user',
    query: WorkspaceQuerySchema,
    body: BrandDnaImportSchema,
    // Room for every item at its largest (id, name and description at their maximum lengths with
    // every character written as a \u escape: under 15 KiB), not the 64 KiB of one object.
    maxBodyBytes: MAX_IMPORT_ITEMS * 16 * 1024,
    responses: { 200: { description: 'What became of each item, in order.', schema: BrandDnaImportResultSchema } },
    problems: [403, 404, 409],
    async handler({ query, body, caller, db }) {
      const items = Array.isArray(body) ? body : [body];
      const path = (index: number, field?: string) => [Array.isArray(body) ? String(index) : '', field ?? ''].filter(Boolean).join('.') || '(body)';
      refuseRepeatedIds(items, path);
      const data = await db(async (tx) => {
        await requireWorkspaceRole(tx, caller, query.workspaceId, 'editor', 'import brand DNA');
        const targetOf = await lockTargets(tx, query.workspaceId, items.map((item) => item.id));
        const results: ImportedItem[] = [];
        const errors: FieldError[] = [];
        for (const [index, item] of items.entries()) {
          try {
            results.push(await importOne(tx, query.workspaceId, item, targetOf(item.id)));
          } catch (err) {
            // Items the database refuses are listed; anything else (a lost connection, a deadlock)
            // fails the whole import as usual.
            const refused = fromDatabaseError(err);
            if (refused.status !== 422) throw err;
            const field = refused.errors?.[0]?.path;
            errors.push({ path: path(index, field === '(body)' ? undefined : field), message: refused.message });
          }
        }
        if (errors.length > 0) {
          throw new ApiError({ status: 422, code: 'import_failed', detail: 'The database refused some items, so nothing was imported; see errors.', errors });
        }
        return results;
      });
      return json({ workspaceId: query.workspaceId, data });
    },
  }),
  route({
    method: 'get',
    path: '/v1/brand-dna/export',
    operationId: 'exportWorkspaceBrandDna',
    summary: 'Export a workspace\'s brand DNA for the studio',
    description: 'Members. Every brand DNA of the workspace in the studio\'s shape (see `exportBrandDna`), by original creation time; the array can be imported as it is.',
    tag: TAG,
    auth: 'user',
    query: WorkspaceQuerySchema,
    responses: { 200: { description: 'The brand DNA.', schema: StudioBrandDnaListSchema } },
    problems: [404],
    async handler({ query, db }) {
      const rows = await db(async (tx) => {
        await requireWorkspaceVisible(tx, query.workspaceId);
        return tx<BrandDnaWithOriginRow[]>`
          ${withOrigin(tx)}
          where b.workspace_id = ${query.workspaceId}
          order by coalesce(o.source_created_at, b.created_at), coalesce(o.external_id, b.id::text)`;
      });
      return json(rows.map(studioBrandDnaFromRow));
    },
  }),
  route({
    method: 'get',
    path: '/v1/brand-dna/:id/export',
    operationId: 'exportBrandDna',
    summary: 'Export a brand DNA for the studio',
    description:
      'Members. The brand DNA as an object of @tekton/studio-mcp\'s BrandDNASchema: for an imported one the studio\'s id, createdAt and (until it changes here) updatedAt; ' +
      'for one made here its own id and times. An import of the same object gives exactly this object back.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    responses: { 200: { description: 'The brand DNA in the studio\'s shape.', schema: StudioBrandDnaSchema } },
    async handler({ params, once }) {
      const [row] = await once((tx) => tx<BrandDnaWithOriginRow[]>`${withOrigin(tx)} where b.id = ${params.id}`);
      if (!row) throw problem.notFound('There is no brand DNA with this id that you can see.');
      return json(studioBrandDnaFromRow(row));
    },
  }),
];
