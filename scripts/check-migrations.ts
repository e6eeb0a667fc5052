// `npm run check:migrations` (part of `npm test`): migrations that are already on main are never
// edited or deleted. `supabase db push` applies each version once: an edited file would never reach
// a deployed database, and a deleted one makes the push fail on a version it cannot find locally.
// A change may only add new files.
//
// The change is the working tree (commits and uncommitted edits) against a base commit:
//   - MIGRATIONS_BASE when set (CI: the pull request's base commit, or the commit before a push);
//   - otherwise where this branch left main (git merge-base with origin/main, or main);
//   - on main itself, main's last commit (the working tree may only add files).
// A base that a shallow clone lacks is fetched from origin; outside a git checkout nothing can be
// compared and the check says so.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_DIR = 'supabase/migrations';

export interface MigrationCheck {
  /** The commit compared with, or null when there is none (not a git checkout). */
  base: string | null;
  /** How the base was chosen, for the report. */
  baseSource: string;
  edited: string[];
  deleted: string[];
}

export class MigrationCheckError extends Error {}

function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function tryGit(root: string, args: string[]): string | null {
  try {
    return git(root, args);
  } catch {
    return null;
  }
}

const hasCommit = (root: string, rev: string) => tryGit(root, ['cat-file', '-e', `${rev}^{commit}`]) !== null;

/** The base commit, fetched from origin when a shallow clone does not have it. */
function resolveBase(root: string, env: NodeJS.ProcessEnv): { base: string | null; source: string } {
  const given = env.MIGRATIONS_BASE?.trim();
  // GitHub sends forty zeros as the "before" of a branch's first push: nothing to compare with.
  if (given && !/^0+$/.test(given)) {
    if (!hasCommit(root, given)) tryGit(root, ['fetch', '--quiet', '--no-tags', '--depth=1', 'origin', given]);
    if (!hasCommit(root, given)) {
      throw new MigrationCheckError(
        `MIGRATIONS_BASE=${given} is not in this clone and could not be fetched from origin; fetch it (e.g. actions/checkout with fetch-depth: 0).`,
      );
    }
    return { base: git(root, ['rev-parse', `${given}^{commit}`]), source: 'MIGRATIONS_BASE' };
  }
  const main = ['origin/main', 'main'].find((ref) => hasCommit(root, ref));
  if (!main) return { base: git(root, ['rev-parse', 'HEAD']), source: 'HEAD: no main branch in this clone, set MIGRATIONS_BASE to compare with main' };
  const forkPoint = tryGit(root, ['merge-base', 'HEAD', main]);
  if (forkPoint) return { base: forkPoint, source: `merge-base of HEAD and ${main}` };
  // A shallow clone may not reach the fork point; main's tip itself is the next best thing.
  return { base: git(root, ['rev-parse', main]), source: `${main} (no common history in this clone)` };
}

export function checkMigrations(root: string, env: NodeJS.ProcessEnv = process.env): MigrationCheck {
  if (tryGit(root, ['rev-parse', '--is-inside-work-tree']) !== 'true') {
    return { base: null, baseSource: 'not a git checkout', edited: [], deleted: [] };
  }
  const { base, source } = resolveBase(root, env);
  const edited: string[] = [];
  const deleted: string[] = [];
  const listing = base ? git(root, ['ls-tree', '-r', base, '--', `${MIGRATIONS_DIR}/`]) : '';
  for (const line of listing.split('\n').filter(Boolean)) {
    const [meta, file] = line.split('\t') as [string, string];
    const blob = meta.split(' ')[2];
    if (!existsSync(path.join(root, file))) deleted.push(file);
    // hash-object applies the same clean filters as `git add`, so only real edits count.
    else if (git(root, ['hash-object', '--', file]) !== blob) edited.push(file);
  }
  return { base, baseSource: source, edited, deleted };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  try {
    const result = checkMigrations(root);
    if (!result.base) {
      console.log(`check:migrations: ${result.baseSource}, nothing to compare with.`);
    } else if (result.edited.length + result.deleted.length === 0) {
      console.log(`check:migrations: migrations on ${result.base.slice(0, 12)} (${result.baseSource}) are unchanged.`);
    } else {
      for (const file of result.edited) console.error(`edited:  ${file}`);
      for (const file of result.deleted) console.error(`deleted: ${file}`);
      console.error(
        `\nThese migrations are already on main (${result.base.slice(0, 12)}, ${result.baseSource}) and may not change: ` +
          'a deployed database never runs a migration twice. Restore them and put the change into a new migration file.',
      );
      process.exit(1);
    }
  } catch (err) {
    console.error(`check:migrations: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
