// Workspaces (teams) and their members with roles.
import * as z from 'zod';
import {
  IdSchema,
  MemberAddSchema,
  MemberListSchema,
  MemberSchema,
  MemberUpdateSchema,
  WorkspaceCreateSchema,
  WorkspaceListSchema,
  WorkspaceSchema,
  WorkspaceUpdateSchema,
  memberFromRow,
  workspaceFromRow,
  type MemberRow,
  type WorkspaceRow,
} from '../../../sdk/src/contract.ts';
import type { Tx } from '../../_shared/db.ts';
import { problem } from '../../_shared/problems.ts';
import { requireWorkspaceVisible } from '../access.ts';
import { IdParams, json, noContent, route, type RouteSpec } from '../registry.ts';

const TAG = 'Workspaces';
const MemberParams = z.strictObject({ id: IdSchema, userId: IdSchema });

async function explainWorkspaceMiss(tx: Tx, id: string, action: string): Promise<never> {
  const [row] = await tx`select 1 from public.workspaces where id = ${id}`;
  if (!row) throw problem.notFound('There is no workspace with this id that you can see.');
  throw problem.forbidden(`Only owners of the workspace can ${action}.`);
}

async function explainMemberMiss(tx: Tx, workspaceId: string, userId: string, action: string): Promise<never> {
  const [row] = await tx`select 1 from public.workspace_members where workspace_id = ${workspaceId} and user_id = ${userId}`;
  if (!row) {
    const [workspace] = await tx`select 1 from public.workspaces where id = ${workspaceId}`;
    throw workspace
      ? problem.notFound('That user is not a member of this workspace.', 'member_not_found')
      : problem.notFound('There is no workspace with this id that you can see.');
  }
  throw problem.forbidden(`Only owners of the workspace can ${action}.`);
}

/** A member with the e-mail and display name from their profile. */
export async function memberWithProfile(tx: Tx, workspaceId: string, userId: string): Promise<MemberRow> {
  const [row] = await tx<MemberRow[]>`
    select m.*, p.email, p.display_name
    from public.workspace_members m left join public.profiles p on p.id = m.user_id
    where m.workspace_id = ${workspaceId} and m.user_id = ${userId}`;
  return row!;
}

const withRole = (tx: Tx) => tx`
  left join public.workspace_members m on m.workspace_id = w.id and m.user_id = (select auth.uid())`;

export const workspaceRoutes: RouteSpec[] = [
  route({
    method: 'get',
    path: '/v1/workspaces',
    operationId: 'listWorkspaces',
    summary: 'List your workspaces',
    description: 'The workspaces the caller belongs to, with their role in each.',
    tag: TAG,
    auth: 'user',
    responses: { 200: { description: 'The workspaces.', schema: WorkspaceListSchema } },
    async handler({ once }) {
      const rows = await once((tx) => tx<WorkspaceRow[]>`select w.*, m.role from public.workspaces w ${withRole(tx)} order by w.created_at, w.id limit 1000`);
      return json({ data: rows.map(workspaceFromRow) });
    },
  }),
  route({
    method: 'post',
    path: '/v1/workspaces',
    operationId: 'createWorkspace',
    summary: 'Create a workspace',
    description: 'The caller becomes its first owner.',
    tag: TAG,
    auth: 'user',
    body: WorkspaceCreateSchema,
    responses: { 201: { description: 'Created.', schema: WorkspaceSchema, headers: ['Location'] } },
    problems: [403],
    async handler({ body, once }) {
      const [row] = await once((tx) => tx<WorkspaceRow[]>`select w.*, 'owner'::text as role from public.create_workspace(${body.name}) w`);
      return json(workspaceFromRow(row!), 201, { Location: `/api/v1/workspaces/${row!.id}` });
    },
  }),
  route({
    method: 'get',
    path: '/v1/workspaces/:id',
    operationId: 'getWorkspace',
    summary: 'Read a workspace',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    responses: { 200: { description: 'The workspace, with the caller\'s role.', schema: WorkspaceSchema } },
    async handler({ params, once }) {
      const [row] = await once((tx) => tx<WorkspaceRow[]>`select w.*, m.role from public.workspaces w ${withRole(tx)} where w.id = ${params.id}`);
      if (!row) throw problem.notFound('There is no workspace with this id that you can see.');
      return json(workspaceFromRow(row));
    },
  }),
  route({
    method: 'patch',
    path: '/v1/workspaces/:id',
    operationId: 'renameWorkspace',
    summary: 'Rename a workspace',
    description: 'Owners.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    body: WorkspaceUpdateSchema,
    responses: { 200: { description: 'The workspace after the change.', schema: WorkspaceSchema } },
    problems: [403],
    async handler({ params, body, db }) {
      const row = await db(async (tx) => {
        const [updated] = await tx<WorkspaceRow[]>`
          with w as (update public.workspaces set name = ${body.name} where id = ${params.id} returning *)
          select w.*, m.role from w ${withRole(tx)}`;
        return updated ?? explainWorkspaceMiss(tx, params.id, 'rename it');
      });
      return json(workspaceFromRow(row));
    },
  }),
  route({
    method: 'delete',
    path: '/v1/workspaces/:id',
    operationId: 'deleteWorkspace',
    summary: 'Delete a workspace',
    description: 'Owners. Deletes its brand DNA (with their history), members and workspace presets.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    responses: { 204: { description: 'Deleted.' } },
    problems: [403],
    async handler({ params, db }) {
      await db(async (tx) => {
        const [deleted] = await tx`delete from public.workspaces where id = ${params.id} returning id`;
        if (!deleted) await explainWorkspaceMiss(tx, params.id, 'delete it');
      });
      return noContent();
    },
  }),
  route({
    method: 'get',
    path: '/v1/workspaces/:id/members',
    operationId: 'listMembers',
    summary: 'List the members of a workspace',
    description: 'Any member; with e-mail and display name.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    responses: { 200: { description: 'The members.', schema: MemberListSchema } },
    async handler({ params, once }) {
      const rows = await once(
        (tx) => tx<MemberRow[]>`
          select m.*, p.email, p.display_name
          from public.workspace_members m left join public.profiles p on p.id = m.user_id
          where m.workspace_id = ${params.id}
          order by m.created_at, m.user_id`,
      );
      // A workspace always has an owner, so no rows means the caller cannot see it.
      if (rows.length === 0) throw problem.notFound('There is no workspace with this id that you can see.');
      return json({ data: rows.map(memberFromRow) });
    },
  }),
  route({
    method: 'post',
    path: '/v1/workspaces/:id/members',
    operationId: 'addMember',
    summary: 'Add a member by e-mail (service role)',
    description:
      'The service role only (admin tooling): adds the account with this address without asking them (404 `user_not_found` when there is none). ' +
      'People join by accepting an invitation (`POST /workspaces/{id}/invitations`); members get 403 `invitation_required` here.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    body: MemberAddSchema,
    responses: { 201: { description: 'Added.', schema: MemberSchema, headers: ['Location'] } },
    problems: [403, 409],
    async handler({ params, body, caller, db }) {
      const row = await db(async (tx) => {
        await requireWorkspaceVisible(tx, params.id);
        if (caller.role !== 'service_role') {
          throw problem.forbidden('Nobody joins without agreeing: invite them with POST /workspaces/{id}/invitations. Adding members directly is for the service role.', 'invitation_required');
        }
        const [added] = await tx<MemberRow[]>`
          select * from public.add_workspace_member(${params.id}, ${body.email}, ${body.role ?? 'viewer'}::public.workspace_role)`;
        return memberWithProfile(tx, params.id, added!.user_id);
      });
      return json(memberFromRow(row), 201, { Location: `/api/v1/workspaces/${params.id}/members/${row.user_id}` });
    },
  }),
  route({
    method: 'patch',
    path: '/v1/workspaces/:id/members/:userId',
    operationId: 'changeMemberRole',
    summary: 'Change a member\'s role',
    description: 'Owners. The last owner cannot be demoted (409 last_owner).',
    tag: TAG,
    auth: 'user',
    params: MemberParams,
    body: MemberUpdateSchema,
    responses: { 200: { description: 'The member after the change.', schema: MemberSchema } },
    problems: [403, 409],
    async handler({ params, body, db }) {
      const row = await db(async (tx) => {
        const [updated] = await tx<MemberRow[]>`
          with m as (
            update public.workspace_members set role = ${body.role}::public.workspace_role
            where workspace_id = ${params.id} and user_id = ${params.userId} returning *)
          select m.*, p.email, p.display_name from m left join public.profiles p on p.id = m.user_id`;
        return updated ?? explainMemberMiss(tx, params.id, params.userId, 'change roles');
      });
      return json(memberFromRow(row));
    },
  }),
  route({
    method: 'delete',
    path: '/v1/workspaces/:id/members/:userId',
    operationId: 'removeMember',
    summary: 'Remove a member',
    description: 'Owners remove anyone; members may remove themselves (leave). The last owner cannot leave (409 last_owner).',
    tag: TAG,
    auth: 'user',
    params: MemberParams,
    responses: { 204: { description: 'Removed.' } },
    problems: [403, 409],
    async handler({ params, db }) {
      await db(async (tx) => {
        const [deleted] = await tx`
          delete from public.workspace_members where workspace_id = ${params.id} and user_id = ${params.userId} returning user_id`;
        if (!deleted) await explainMemberMiss(tx, params.id, params.userId, 'remove other members');
      });
      return noContent();
    },
  }),
];
