// Turning "RLS filtered it out" into the right answer: 404 when the caller cannot see the row,
// 403 when they can see it but their role does not allow the change, 412 when If-Match is stale.
import type { Caller } from '../_shared/auth.ts';
import type { Tx } from '../_shared/db.ts';
import { problem } from '../_shared/problems.ts';

export type Revisions = number[] | 'any' | null;

export interface WorkspaceAccess {
  visible: boolean;
  role: 'viewer' | 'editor' | 'owner' | null;
}

/** Whether the caller sees the workspace and with which role (RLS decides visibility). */
export async function workspaceAccess(tx: Tx, workspaceId: string): Promise<WorkspaceAccess> {
  const [row] = await tx<{ visible: boolean; role: WorkspaceAccess['role'] }[]>`
    select exists (select 1 from public.workspaces w where w.id = ${workspaceId}) as visible,
           (select m.role from public.workspace_members m
             where m.workspace_id = ${workspaceId} and m.user_id = (select auth.uid())) as role`;
  return { visible: !!row?.visible, role: row?.role ?? null };
}

const RANK = { viewer: 1, editor: 2, owner: 3 } as const;

/** 404 unless the caller sees the workspace, 403 unless their role is at least `minimum`. */
export async function requireWorkspaceRole(tx: Tx, caller: Caller, workspaceId: string, minimum: keyof typeof RANK, action: string): Promise<void> {
  const access = await workspaceAccess(tx, workspaceId);
  if (!access.visible) throw problem.notFound('There is no workspace with this id that you can see.', 'workspace_not_found');
  if (caller.role === 'service_role') return;
  if (!access.role || RANK[access.role] < RANK[minimum]) {
    throw problem.forbidden(`Only ${minimum}s${minimum === 'owner' ? '' : ' and owners'} of the workspace can ${action}.`);
  }
}

/** Explains why a write to a brand DNA touched no row, and throws accordingly. */
export async function explainBrandDnaMiss(tx: Tx, id: string, revisions: Revisions, action: string, minimum: 'editor' | 'owner'): Promise<never> {
  const [row] = await tx<{ revision: number }[]>`select revision from public.brand_dna where id = ${id}`;
  if (!row) throw problem.notFound('There is no brand DNA with this id that you can see.');
  if (Array.isArray(revisions) && !revisions.includes(row.revision)) throw problem.preconditionFailed();
  throw problem.forbidden(`Only ${minimum === 'owner' ? 'owners' : 'editors and owners'} of the workspace can ${action}.`);
}
