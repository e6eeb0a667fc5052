// scripts/check-migrations.ts on throw-away git repositories: a change may add migrations, never
// edit or delete one that is already on main — on a branch, on main itself, in CI's shallow clones.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMigrations, MIGRATIONS_DIR, MigrationCheckError } from '../../scripts/check-migrations.ts';

const FIRST = `${MIGRATIONS_DIR}/20260101000000_first.sql`;
const SECOND = `${MIGRATIONS_DIR}/20260102000000_second.sql`;
const temp = mkdtempSync(path.join(os.tmpdir(), 'migrations-check-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@test.local', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

let count = 0;
/** A repository whose main has two migrations, checked out on a new branch `feature`. */
function repository(): string {
  const dir = path.join(temp, `repo-${++count}`);
  mkdirSync(path.join(dir, MIGRATIONS_DIR), { recursive: true });
  git(dir, 'init', '--quiet');
  writeFileSync(path.join(dir, FIRST), 'create table one (id int);\n');
  writeFileSync(path.join(dir, SECOND), 'create table two (id int);\n');
  commit(dir, 'main: two migrations');
  git(dir, 'checkout', '--quiet', '-b', 'feature');
  return dir;
}

function commit(dir: string, message: string): void {
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', message);
}

const noEnv = {};

describe('check:migrations', () => {
  it('accepts a branch that adds a migration', () => {
    const dir = repository();
    writeFileSync(path.join(dir, MIGRATIONS_DIR, '20260103000000_third.sql'), 'create table three (id int);\n');
    commit(dir, 'feature: a new migration');
    const result = checkMigrations(dir, noEnv);
    expect(result).toMatchObject({ edited: [], deleted: [], baseSource: 'merge-base of HEAD and main' });
    expect(result.base).toBe(git(dir, 'rev-parse', 'main'));
  });

  it('refuses a committed edit of a migration that is on main', () => {
    const dir = repository();
    appendFileSync(path.join(dir, FIRST), 'alter table one add column name text;\n');
    commit(dir, 'feature: edits a deployed migration');
    expect(checkMigrations(dir, noEnv)).toMatchObject({ edited: [FIRST], deleted: [] });
  });

  it('refuses an uncommitted edit, and a deletion', () => {
    const dir = repository();
    appendFileSync(path.join(dir, SECOND), '-- just a comment\n');
    unlinkSync(path.join(dir, FIRST));
    expect(checkMigrations(dir, noEnv)).toMatchObject({ edited: [SECOND], deleted: [FIRST] });
  });

  it('refuses a rename (a deletion of the old name)', () => {
    const dir = repository();
    git(dir, 'mv', FIRST, `${MIGRATIONS_DIR}/20260109000000_first.sql`);
    commit(dir, 'feature: renames a deployed migration');
    expect(checkMigrations(dir, noEnv)).toMatchObject({ edited: [], deleted: [FIRST] });
  });

  it('on main itself, lets the working tree add files but not change committed ones', () => {
    const dir = repository();
    git(dir, 'checkout', '--quiet', 'main');
    writeFileSync(path.join(dir, MIGRATIONS_DIR, '20260103000000_third.sql'), 'create table three (id int);\n');
    expect(checkMigrations(dir, noEnv)).toMatchObject({ edited: [], deleted: [] });
    appendFileSync(path.join(dir, FIRST), '-- edited\n');
    expect(checkMigrations(dir, noEnv)).toMatchObject({ edited: [FIRST], deleted: [] });
  });

  it('does not count migrations that main gained after the branch left it', () => {
    const dir = repository();
    git(dir, 'checkout', '--quiet', 'main');
    writeFileSync(path.join(dir, MIGRATIONS_DIR, '20260103000000_third.sql'), 'create table three (id int);\n');
    commit(dir, 'main: a third migration');
    git(dir, 'checkout', '--quiet', 'feature');
    expect(checkMigrations(dir, noEnv)).toMatchObject({ edited: [], deleted: [] });
  });

  it('in a shallow CI clone, fetches MIGRATIONS_BASE from origin and still sees the edit', () => {
    const origin = repository();
    git(origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    appendFileSync(path.join(origin, FIRST), 'alter table one add column name text;\n');
    commit(origin, 'feature: edits a deployed migration');
    const base = git(origin, 'rev-parse', 'main');
    const clone = path.join(temp, `clone-${++count}`);
    git(temp, 'clone', '--quiet', '--depth=1', '--branch', 'feature', `file://${origin}`, clone);
    expect(() => git(clone, 'cat-file', '-e', `${base}^{commit}`)).toThrow();
    expect(checkMigrations(clone, { MIGRATIONS_BASE: base })).toMatchObject({ base, edited: [FIRST], deleted: [] });
  });

  it('fails loudly when MIGRATIONS_BASE cannot be found, rather than checking nothing', () => {
    const dir = repository();
    expect(() => checkMigrations(dir, { MIGRATIONS_BASE: 'f'.repeat(40) })).toThrow(MigrationCheckError);
  });

  it('treats the zero commit of a first push as no base', () => {
    const dir = repository();
    appendFileSync(path.join(dir, FIRST), '-- edited\n');
    expect(checkMigrations(dir, { MIGRATIONS_BASE: '0'.repeat(40) })).toMatchObject({ edited: [FIRST] });
  });

  it('outside a git checkout, says there is nothing to compare with', () => {
    const dir = path.join(temp, 'not-a-repo');
    mkdirSync(path.join(dir, MIGRATIONS_DIR), { recursive: true });
    expect(checkMigrations(dir, noEnv)).toMatchObject({ base: null, edited: [], deleted: [] });
  });
});
