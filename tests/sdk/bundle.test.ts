// What the SDK weighs in a frontend's bundle: an app with createStudioClient from the built package,
// bundled by Vite and by esbuild, against an app with supabase-js alone (`npm run bench -- sdk`
// prints the same numbers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSdkCopy, type SdkCopy } from '../../scripts/build-sdk.ts';
import { BUDGET_GZIP_BYTES, compareBundles, type BundleComparison } from '../../bench/sdk.ts';

describe('the SDK in a browser bundle', () => {
  let copy: SdkCopy | undefined;
  let comparisons: BundleComparison[] = [];

  beforeAll(async () => {
    copy = await buildSdkCopy();
    comparisons = await compareBundles(copy);
  }, 120_000);

  afterAll(() => copy?.remove());

  it('holds none of zod\'s locales but English, with either bundler', () => {
    for (const { bundler, sdk } of comparisons) {
      const zod = sdk.modules.filter((id) => id.includes('/zod/'));
      expect(zod.length, bundler).toBeGreaterThan(0);
      expect(zod.filter((id) => /\/locales\/(?!en\.)/.test(id)), bundler).toEqual([]);
    }
  });

  it('holds the schemas of the answers the client checks, and none of the request bodies it only sends', () => {
    // Their ids (schema metadata, for the OpenAPI document) are strings that minifiers keep.
    const has = (code: string, id: string) => new RegExp(`["'\`]${id}["'\`]`).test(code);
    for (const { bundler, sdk } of comparisons) {
      for (const id of ['BrandDna', 'StudioBrandDna', 'ReceivedInvitationList']) expect(has(sdk.code, id), `${bundler}: ${id}`).toBe(true);
      for (const id of ['BrandDnaCreate', 'BrandDnaPatch', 'BrandDnaImport', 'InvitationCreate', 'InvitationAnswer', 'MemberAdd', 'PresetCreate', 'Login']) {
        expect(has(sdk.code, id), `${bundler}: ${id}`).toBe(false);
      }
    }
  });

  it(`adds at most ${BUDGET_GZIP_BYTES / 1000} kB gzip to supabase-js, with either bundler`, () => {
    expect(comparisons.map((c) => c.bundler)).toEqual(['vite', 'esbuild']);
    for (const { bundler, baseline, sdk } of comparisons) {
      expect(sdk.gzip - baseline.gzip, bundler).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
      // Tree-shaking cannot have removed the client: the app bundles more than supabase-js.
      expect(sdk.gzip - baseline.gzip, bundler).toBeGreaterThan(5_000);
    }
  });
});
