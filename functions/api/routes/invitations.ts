// Invitations: owners invite by e-mail, list and revoke; invitees list theirs and accept (which
// makes the membership) or decline. The database checks everything (token, expiry, address,
// use-once) in its SECURITY DEFINER functions, whose errors (SQLSTATE TK110-TK116) problems.ts maps.
import * as z from 'zod';
import { IdSchema, MemberSchema, memberFromRow } from '../../../sdk/src/contract.ts';
import {
  InvitationAnswerSchema,
  InvitationCreateSchema,
  InvitationCreatedSchema,
  InvitationListSchema,
  ReceivedInvitationListSchema,
  invitationCreatedFromRow,
  invitationFromRow,
  receivedInvitationFromRow,
  type InvitationRow,
} from '../../../sdk/src/invitations.ts';
import { problem } from '../../_shared/problems.ts';
import { requireWorkspaceRole } from '../access.ts';
import { IdParams, json, noContent, route, type RouteSpec } from '../registry.ts';
import { memberWithProfile } from './workspaces.ts';

const TAG = 'Invitations';
const InvitationParams = z.strictObject({ id: IdSchema, invitationId: IdSchema });

export const invitationRoutes: RouteSpec[] = [
  route({
    method: 'post',
    path: '/v1/workspaces/:id/invitations',
    operationId: 'createInvitation',
    summary: 'Invite someone by e-mail',
    description:
      'Owners. The answer is the same whether or not the address has an account (409 `already_member` only for an address of a member, which owners see anyway). ' +
      'It carries the secret link `token`, shown only here: put it into a link to your app; whoever signs up or signs in with it may accept. ' +
      'A confirmed account with that address also sees the invitation in `GET /invitations` and gets a notice on its private Realtime topic `user:<id>`. ' +
      'A new invitation to the same address replaces the open one; an owner who is demoted or removed takes their open invitations along. ' +
      'Limits: a workspace has at most 100 open invitations (409 `too_many_open_invitations`); one person makes at most 100 invitations in 24 hours, replaced and withdrawn ones included (429 `too_many_invitations` with Retry-After).',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    body: InvitationCreateSchema,
    responses: { 201: { description: 'Invited.', schema: InvitationCreatedSchema } },
    problems: [403, 409],
    async handler({ params, body, caller, db }) {
      const row = await db(async (tx) => {
        await requireWorkspaceRole(tx, caller, params.id, 'owner', 'invite people');
        const [made] = await tx<(InvitationRow & { token: string })[]>`
          select * from public.create_workspace_invitation(
            ${params.id}, ${body.email}, ${body.role ?? 'viewer'}::public.workspace_role, make_interval(days => ${body.expiresInDays ?? 7}))`;
        return made!;
      });
      return json(invitationCreatedFromRow(row), 201);
    },
  }),
  route({
    method: 'get',
    path: '/v1/workspaces/:id/invitations',
    operationId: 'listInvitations',
    summary: 'List the pending invitations of a workspace',
    description: 'Owners. Oldest first; without their tokens.',
    tag: TAG,
    auth: 'user',
    params: IdParams,
    responses: { 200: { description: 'The pending invitations.', schema: InvitationListSchema } },
    problems: [403],
    async handler({ params, caller, db }) {
      const rows = await db(async (tx) => {
        await requireWorkspaceRole(tx, caller, params.id, 'owner', 'see invitations');
        return tx<InvitationRow[]>`
          select i.id, i.workspace_id, i.email, i.role, i.invited_by, i.created_at, i.expires_at
          from public.workspace_invitations i
          where i.workspace_id = ${params.id}
            and i.accepted_at is null and i.declined_at is null and i.revoked_at is null and i.expires_at > now()
          order by i.created_at, i.id`;
      });
      return json({ data: rows.map(invitationFromRow) });
    },
  }),
  route({
    method: 'delete',
    path: '/v1/workspaces/:id/invitations/:invitationId',
    operationId: 'revokeInvitation',
    summary: 'Withdraw an invitation',
    description: 'Owners. Neither its id nor its link can be used afterwards; withdrawing twice is fine. An accepted or declined invitation stays as it is (409 `invitation_used`).',
    tag: TAG,
    auth: 'user',
    params: InvitationParams,
    responses: { 204: { description: 'Withdrawn.' } },
    problems: [403, 409],
    async handler({ params, caller, db }) {
      await db(async (tx) => {
        await requireWorkspaceRole(tx, caller, params.id, 'owner', 'withdraw invitations');
        const [found] = await tx`select 1 from public.workspace_invitations where id = ${params.invitationId} and workspace_id = ${params.id}`;
        if (!found) throw problem.notFound('This workspace has no such invitation.', 'invitation_not_found');
        await tx`select public.revoke_workspace_invitation(${params.invitationId})`;
      });
      return noContent();
    },
  }),
  route({
    method: 'get',
    path: '/v1/invitations',
    operationId: 'listMyInvitations',
    summary: 'List the invitations to you',
    description: 'The pending invitations to the caller\'s e-mail address, once Auth has confirmed it: the 100 newest, newest first, with the workspace\'s name and the inviter\'s display name.',
    tag: TAG,
    auth: 'user',
    responses: { 200: { description: 'The pending invitations.', schema: ReceivedInvitationListSchema } },
    async handler({ once }) {
      const rows = await once((tx) => tx<InvitationRow[]>`select * from public.my_pending_invitations()`);
      return json({ data: rows.map(receivedInvitationFromRow) });
    },
  }),
  route({
    method: 'post',
    path: '/v1/invitations/accept',
    operationId: 'acceptInvitation',
    summary: 'Accept an invitation',
    description:
      'Signed-in users, with the invitation\'s `id` (for the invited, confirmed address) or its link `token` (whoever holds it). Makes the caller a member with the invited role. ' +
      'Each invitation is used once (409 `invitation_used`, also for the second of two concurrent accepts); 409 `invitation_expired` / `invitation_revoked`; ' +
      '404 `invitation_not_found` for a wrong token or an invitation to another address.',
    tag: TAG,
    auth: 'user',
    body: InvitationAnswerSchema,
    responses: { 200: { description: 'You are a member now.', schema: MemberSchema } },
    problems: [403, 404, 409],
    async handler({ body, db }) {
      const member = await db(async (tx) => {
        const [joined] = await tx<{ workspace_id: string; user_id: string }[]>`
          select workspace_id, user_id from public.accept_workspace_invitation(${body.id ?? null}::uuid, ${body.token ?? null}::text)`;
        return memberWithProfile(tx, joined!.workspace_id, joined!.user_id);
      });
      return json(memberFromRow(member));
    },
  }),
  route({
    method: 'post',
    path: '/v1/invitations/decline',
    operationId: 'declineInvitation',
    summary: 'Decline an invitation',
    description: 'Signed-in users, with the invitation\'s `id` (the invited, confirmed address) or its link `token`. It can no longer be accepted.',
    tag: TAG,
    auth: 'user',
    body: InvitationAnswerSchema,
    responses: { 204: { description: 'Declined.' } },
    problems: [403, 404, 409],
    async handler({ body, once }) {
      await once((tx) => tx`select public.decline_workspace_invitation(${body.id ?? null}::uuid, ${body.token ?? null}::text)`);
      return noContent();
    },
  }),
];
