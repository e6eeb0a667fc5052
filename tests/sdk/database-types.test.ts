// sdk/src/database.types.ts is generated from the migrations; this fails when it is stale.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DATABASE_TYPES_FILE, generateDatabaseTypes } from '../../scripts/gen-types.ts';

describe('generated Database types', () => {
  it('match the migrations (run `npm run gen:types` after changing them)', async () => {
    const committed = await readFile(DATABASE_TYPES_FILE, 'utf8');
    expect(committed).toContain('search_presets');
    expect(await generateDatabaseTypes()).toBe(committed);
  }, 120_000);
});
