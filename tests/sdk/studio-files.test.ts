// The studio's Brand DNA files through the SDK: objects as @tekton/studio-mcp holds them in memory
// (Date timestamps) go in with brandDna.import, and come back out of brandDna.export and
// exportWorkspace in a shape the studio's schema (the replica in tests/api/helpers.ts) parses into
// exactly the objects that went in.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StudioBrandDnaInput } from '../../sdk/src/index.ts';
import { StudioBrandDNASchema } from '../api/helpers.ts';
import { testClient } from './helpers.ts';

describe('studio files through the SDK', () => {
  const studio = testClient();
  const suffix = randomBytes(4).toString('hex');

  it('imports studio objects and exports them unchanged', async () => {
    expect((await studio.auth.signUp({ email: `files-${suffix}@example.com`, password: 'files-password-1' })).error).toBeNull();
    const workspaceId = (await studio.workspaces.create({ name: `Files ${suffix}` })).data!.id;
    const originals = [0, 1, 2].map((i) =>
      StudioBrandDNASchema.parse({
        id: `brand-00${i}`,
        name: `Studio brand ${i}`,
        ...(i === 1 ? {} : { description: `Brand number ${i}` }),
        axes: { density: 0.7, warmth: 0.4 + i / 10, playfulness: 0.3, sophistication: 0.6, energy: 0.8 },
        version: `1.${i}.0`,
        createdAt: new Date(Date.UTC(2024, 2, 1 + i, 10, 0, 0, 123)),
        updatedAt: new Date(Date.UTC(2024, 5, 1 + i, 8, 30, 0, 456)),
      }),
    );
    const input: StudioBrandDnaInput[] = originals;

    const result = await studio.brandDna.import(workspaceId, input);
    expect(result.error).toBeNull();
    expect(result.data!.data.map((r) => [r.id, r.outcome, r.version])).toEqual(originals.map((o) => [o.id, 'created', o.version]));

    const all = await studio.brandDna.exportWorkspace(workspaceId);
    expect(all.error).toBeNull();
    expect(all.data!.map((item) => StudioBrandDNASchema.parse(item))).toEqual(originals);

    const one = await studio.brandDna.export(result.data!.data[1]!.brandDnaId);
    expect(StudioBrandDNASchema.parse(one.data)).toEqual(originals[1]);

    const again = await studio.brandDna.import(workspaceId, { ...originals[0]!, axes: { ...originals[0]!.axes, energy: 0.1 } });
    expect(again.data!.data[0]).toMatchObject({ id: 'brand-000', outcome: 'updated', revision: 2, version: '1.0.1' });

    const refused = await studio.brandDna.import(workspaceId, [originals[2]!, { ...originals[2]!, id: 'brand-009', version: 'v2' }]);
    expect(refused.error).toMatchObject({ code: 'validation_failed', status: 422 });
    expect(refused.error!.errors).toEqual([{ path: '1.version', message: expect.any(String) }]);
  });
});
