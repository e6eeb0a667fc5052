// `npm run demo` keeps working: run it against the test stack and read its transcript.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { ROOT } from '../../local/config.ts';

const stack = inject('stack');

describe('npm run demo', () => {
  it('tells the two teammates\' story without a failed step', async () => {
    const { stdout } = await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/demo.ts'], {
      cwd: ROOT,
      env: { ...process.env, SUPABASE_URL: stack.url, SUPABASE_ANON_KEY: stack.publishableKey },
    });
    expect(stdout).toContain('creates the workspace');
    expect(stdout).toMatch(/Bob\s+finds Ada's invitation to “Demo studio \w+” as editor, and accepts it/);
    expect(stdout).toMatch(/Bob\s+sees it live: UPDATE of .*axes\.warmth/);
    expect(stdout).toContain('precondition_failed (412)');
    expect(stdout).toMatch(/restores #1 as a new version → revision 4/);
    expect(stdout.trimEnd().endsWith('Done.')).toBe(true);
  }, 60_000);
});
