// Turning "RLS filtered it out" into the right answer: 404 when the caller cannot see the row,
// 403 when they can see it but their role does not allow the change, 412 when If-Match is stale.
import type { Caller } from '../_shared/auth.ts';
import type { Tx } from '../_shared/db.ts';
import { problem } from '../_shared/problems.ts';
import type { Enums } from '../../sdk/src/database.types.ts';

export type Revisions = number[] | 'any' | null;

export type WorkspaceRole = Enums<'workspace_role'>;

const workspaceNotFound = () => problem.notFound('There is no workspace with this id that you can see.', 'workspace_not_found');

/** 404 unless the caller sees the workspace (RLS decides). */
export async function requireWorkspaceVisible(tx: Tx, workspaceId: string): Promise<void> {
  const [row] = await tx<{ visible: boolean }[]>`select exists (select 1 from public.workspaces w where w.id = ${workspaceId}) as visible`;
  if (!row?.visible) throw workspaceNotFound();
}

/**
 * 404 unless the caller sees the workspace, 403 unless their role is at least `minimum`. The ranking
 * of roles is the database's (`private.has_workspace_role`, the order of the enum), the same one the
 * policies use.
 */
export async function requireWorkspaceRole(tx: Tx, caller: Caller, workspaceId: string, minimum: WorkspaceRole, action: string): Promise<void> {
  const [row] = await tx<{ visible: boolean; allowed: boolean }[]>`
    select exists (select 1 from public.workspaces w where w.id = ${workspaceId}) as visible,
           private.has_workspace_role(${workspaceId}, ${minimum}::public.workspace_role) as allowed`;
  if (!row?.visible) throw workspaceNotFound();
  if (caller.role === 'service_role' || row.allowed) return;
  throw problem.forbidden(`Only ${minimum}s${minimum === 'owner' ? '' : ' and owners'} of the workspace can ${action}.`);
}

/** Explains why a write to a brand DNA touched no row, and throws accordingly. */
export async function explainBrandDnaMiss(tx: Tx, id: string, revisions: Revisions, action: string, minimum: Exclude<WorkspaceRole, 'viewer'>): Promise<never> {
  const [row] = await tx<{ revision: number }[]>`select revision from public.brand_dna where id = ${id}`;
  if (!row) throw problem.notFound('There is no brand DNA with this id that you can see.');
  if (Array.isArray(revisions) && !revisions.includes(row.revision)) throw problem.preconditionFailed();
  throw problem.forbidden(`Only ${minimum === 'owner' ? 'owners' : 'editors and owners'} of the workspace can ${action}.`);
}
