// The studio's own Brand DNA files: objects of @tekton/studio-mcp's BrandDNASchema (`id` a string
// of the studio's, `name`, optional `description`, `axes`, `version`, `createdAt`, `updatedAt`).
// The import takes them verbatim and the exports give them back in the same shape; this is their
// wire contract and the mapping from the database's rows.
import * as z from 'zod';
import { AxesSchema } from './axes.ts';
import { axesFromRow, toIsoTimestamp, type BrandDnaRow } from './mapping.ts';
import { BrandDnaNameSchema, DescriptionSchema, IdSchema, NO_NUL, noNul, SemverSchema, TimestampSchema } from './schemas.ts';

export const MAX_IMPORT_ITEMS = 100;

export const StudioBrandDnaSchema = z
  .strictObject({
    id: z
      .string()
      .regex(NO_NUL, noNul)
      .trim()
      .min(1, { error: 'must not be empty' })
      .max(255, { error: 'must be at most 255 characters' })
      .describe('The studio\'s id (e.g. brand-001; for brand DNA made here, its UUID). Unique within a workspace: importing it again updates that brand DNA.'),
    name: BrandDnaNameSchema,
    description: DescriptionSchema.optional(),
    axes: AxesSchema,
    version: SemverSchema,
    createdAt: TimestampSchema.describe('When the brand was originally created (kept as given).'),
    updatedAt: TimestampSchema.describe('When it last changed in the studio (kept as given until it changes here).'),
  })
  .meta({
    id: 'StudioBrandDna',
    description: 'A Brand DNA in the shape of @tekton/studio-mcp\'s BrandDNASchema, as its files hold it; unknown fields are refused.',
  });
export type StudioBrandDna = z.infer<typeof StudioBrandDnaSchema>;
/** A studio object as the package holds it in memory: its dates may still be Date objects. */
export type StudioBrandDnaInput = Omit<z.input<typeof StudioBrandDnaSchema>, 'createdAt' | 'updatedAt'> & {
  createdAt: string | Date;
  updatedAt: string | Date;
};

export const StudioBrandDnaListSchema = z
  .array(StudioBrandDnaSchema)
  .meta({ id: 'StudioBrandDnaList', description: 'A workspace\'s brand DNA in the studio\'s shape, by original creation time.' });

export const BrandDnaImportSchema = z
  .union([
    StudioBrandDnaSchema,
    z
      .array(StudioBrandDnaSchema)
      .min(1, { error: 'must hold at least one brand DNA' })
      .max(MAX_IMPORT_ITEMS, { error: `must hold at most ${MAX_IMPORT_ITEMS} brand DNA` }),
  ])
  .meta({ id: 'BrandDnaImport', description: `One studio Brand DNA object, or an array of 1–${MAX_IMPORT_ITEMS}.` });

export const WorkspaceQuerySchema = z.strictObject({ workspaceId: IdSchema.describe('The workspace.') });

export const ImportOutcomeSchema = z.enum(['created', 'updated', 'unchanged']);
export type ImportOutcome = z.infer<typeof ImportOutcomeSchema>;

export const BrandDnaImportResultSchema = z
  .object({
    workspaceId: IdSchema,
    data: z
      .array(
        z.object({
          id: z.string().describe('The studio\'s id of the item.'),
          brandDnaId: IdSchema.describe('The brand DNA it became or updated.'),
          outcome: ImportOutcomeSchema.describe('created; updated (a new version); unchanged (same content, no new version).'),
          revision: z.int().min(1),
          version: SemverSchema.describe('Its version now: the studio\'s, or with the PATCH bumped when a change did not raise it.'),
        }),
      )
      .describe('One entry per item, in order.'),
  })
  .meta({ id: 'BrandDnaImportResult' });
export type BrandDnaImportResult = z.infer<typeof BrandDnaImportResultSchema>;

/** A brand DNA row with its origin (left joined: null for brand DNA made here). */
export interface BrandDnaWithOriginRow extends BrandDnaRow {
  external_id: string | null;
  source_created_at: BrandDnaRow['created_at'] | null;
  source_updated_at: BrandDnaRow['updated_at'] | null;
  source_revision: number | null;
}

/**
 * The studio object of a brand DNA: the studio's id and creation time if it was imported (else its
 * own), and the studio's updatedAt until it changes here.
 */
export function studioBrandDnaFromRow(row: BrandDnaWithOriginRow): StudioBrandDna {
  const unchangedSinceImport = row.source_updated_at !== null && Number(row.source_revision) === Number(row.revision);
  return {
    id: row.external_id ?? row.id,
    name: row.name,
    ...(row.description === null || row.description === undefined ? {} : { description: row.description }),
    axes: axesFromRow(row),
    version: row.version,
    createdAt: toIsoTimestamp(row.source_created_at ?? row.created_at),
    updatedAt: toIsoTimestamp(unchangedSinceImport ? row.source_updated_at! : row.updated_at),
  };
}
