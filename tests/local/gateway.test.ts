import { describe, expect, inject, it } from 'vitest';

const stack = inject('stack');

describe('gateway', () => {
  it('routes /functions/v1/api to the API function running in Deno', async () => {
    const res = await fetch(`${stack.url}/functions/v1/api/v1/health`);
    expect(res.status).toBe(200);
  });

  it('answers 404 "Function not found" for an unknown function', async () => {
    const res = await fetch(`${stack.url}/functions/v1/nope/x`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Function not found');
  });

  it('answers /rest/v1 with a 501 problem that explains the local stack', async () => {
    const res = await fetch(`${stack.url}/rest/v1/brand_dna`);
    expect(res.status).toBe(501);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('not_in_local_stack');
    expect(body.detail).toContain('supabase start');
  });
});
