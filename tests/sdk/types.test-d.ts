// The SDK's public types, checked by the compiler: vitest type-checks `*.test-d.ts` files (see
// vitest.config.ts) and reports each failed expectTypeOf as a failed test.
import WebSocket from 'ws';
import { describe, expectTypeOf, it } from 'vitest';
import type { Tables } from '../../sdk/src/database.types.ts';
import {
  brandDnaFromRow,
  createStudioClient,
  type Axes,
  type BrandDna,
  type BrandDnaRow,
  type BrandDnaVersionRow,
  type BrandDnaChange,
  type BrandDnaListOptions,
  type BrandDnaComparison,
  type Database,
  type InvitationAnswer,
  type InvitationCreated,
  type InvitationNotice,
  type MemberRow,
  type PageIterator,
  type Preset,
  type StudioBrandDna,
  type StudioError,
  type StudioResult,
  type Unsubscribe,
  type Workspace,
} from '../../sdk/src/index.ts';

const client = createStudioClient({ url: 'http://127.0.0.1:1', key: 'sb_publishable_test', supabase: { realtime: { transport: WebSocket as never } } });

describe('SDK types', () => {
  it('returns { data, error } results with typed data', () => {
    expectTypeOf(client.brandDna.get).returns.resolves.toEqualTypeOf<StudioResult<BrandDna>>();
    expectTypeOf(client.brandDna.compare).returns.resolves.toEqualTypeOf<StudioResult<BrandDnaComparison>>();
    expectTypeOf(client.workspaces.create).returns.resolves.toEqualTypeOf<StudioResult<Workspace>>();
    expectTypeOf(client.brandDna.delete).returns.resolves.toEqualTypeOf<StudioResult<null>>();
    expectTypeOf<StudioResult<BrandDna>>().toEqualTypeOf<{ data: BrandDna; error: null } | { data: null; error: StudioError }>();
  });

  it('narrows data once error is checked', async () => {
    const result = await client.presets.get('id');
    if (result.error) {
      expectTypeOf(result.data).toBeNull();
      expectTypeOf(result.error.code).toBeString();
    } else {
      expectTypeOf(result.data).toEqualTypeOf<Preset>();
    }
  });

  it('types request bodies from the zod schemas', () => {
    expectTypeOf(client.brandDna.update).parameter(1).toHaveProperty('axes').toEqualTypeOf<Partial<Axes> | undefined>();
    expectTypeOf(client.brandDna.update).parameter(2).toEqualTypeOf<{ ifMatch?: string | number } | undefined>();
    expectTypeOf(client.workspaces.addMember).parameter(1).toHaveProperty('role').toEqualTypeOf<'viewer' | 'editor' | 'owner' | undefined>();
    // @ts-expect-error: axes are numbers
    void client.brandDna.update('id', { axes: { energy: 'high' } });
    // Query options are the values an app has (numbers, dates), not the query strings they become.
    expectTypeOf(client.brandDna.list).parameter(0).toEqualTypeOf<BrandDnaListOptions | undefined>();
    void client.brandDna.list({ workspaceId: 'id', limit: 20, updatedSince: new Date() });
    // @ts-expect-error: limit is a number
    void client.brandDna.list({ limit: '20' });
    // @ts-expect-error: unknown axis
    void client.brandDna.update('id', { axes: { loudness: 1 } });
  });

  it('types invitations and the studio\'s Brand DNA files', () => {
    expectTypeOf(client.workspaces.invite).returns.resolves.toEqualTypeOf<StudioResult<InvitationCreated>>();
    expectTypeOf(client.invitations.accept).parameter(0).toEqualTypeOf<InvitationAnswer>();
    expectTypeOf(client.invitations.watch).parameter(0).toEqualTypeOf<(notice: InvitationNotice) => void>();
    // @ts-expect-error: an invitation is answered by its id or by its token, not both
    void client.invitations.accept({ id: 'id', token: 'token' });
    expectTypeOf(client.brandDna.export).returns.resolves.toEqualTypeOf<StudioResult<StudioBrandDna>>();
    expectTypeOf(client.brandDna.exportWorkspace).returns.resolves.toEqualTypeOf<StudioResult<StudioBrandDna[]>>();
    // The studio package's objects hold Date timestamps: they go in as they are.
    const fromStudio = { id: 'brand-001', name: 'Brand', axes: { density: 0, warmth: 0, playfulness: 0, sophistication: 0, energy: 0 }, version: '1.0.0', createdAt: new Date(), updatedAt: new Date() };
    void client.brandDna.import('workspace', [fromStudio]);
    // @ts-expect-error: the studio's fields only
    void client.brandDna.import('workspace', { ...fromStudio, slug: 'brand' });
  });

  it('paginates with async iterators and watches with unsubscribe functions', () => {
    expectTypeOf(client.brandDna.listAll()).toEqualTypeOf<PageIterator<BrandDna>>();
    expectTypeOf(client.brandDna.watch).parameter(1).toEqualTypeOf<(change: BrandDnaChange) => void>();
    expectTypeOf(client.brandDna.watch).returns.resolves.toEqualTypeOf<StudioResult<Unsubscribe>>();
  });

  it('exposes the generated Database types and the underlying supabase-js client', () => {
    expectTypeOf<Database['public']['Tables']['brand_dna']['Row']['energy']>().toEqualTypeOf<number>();
    expectTypeOf<Database['public']['Enums']['workspace_role']>().toEqualTypeOf<'viewer' | 'editor' | 'owner'>();
    expectTypeOf(client.supabase.from).toBeFunction();
  });

  it('maps rows of the generated types, whose timestamps postgres.js reads as Dates', () => {
    expectTypeOf<keyof BrandDnaRow>().toEqualTypeOf<keyof Tables<'brand_dna'>>();
    expectTypeOf<Tables<'brand_dna'>>().toExtend<BrandDnaRow>();
    expectTypeOf<BrandDnaRow['updated_at']>().toEqualTypeOf<Date | string>();
    expectTypeOf<BrandDnaVersionRow['restored_from']>().toEqualTypeOf<Tables<'brand_dna_versions'>['restored_from']>();
    expectTypeOf<Tables<'workspace_members'>>().toExtend<MemberRow>();
    expectTypeOf(brandDnaFromRow).parameter(0).toEqualTypeOf<BrandDnaRow>();
  });
});
