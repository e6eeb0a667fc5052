// Invitations: the wire contract of inviting people into a workspace and of answering an
// invitation, the mapping of the database's rows onto it, and the notices the database sends to
// the invitee's private topic `user:<id>`.
import * as z from 'zod';
import type { Tables } from './database.types.ts';
import { toIsoTimestamp, type AsRead } from './mapping.ts';
import { IdSchema, MemberAddSchema, TimestampSchema, WorkspaceRoleSchema } from './schemas.ts';

/** `tkinv_` and 32 random bytes in base64url. */
export const INVITATION_TOKEN_PATTERN = /^tkinv_[A-Za-z0-9_-]{43}$/;

export const InvitationCreateSchema = z
  .strictObject({
    email: MemberAddSchema.shape.email,
    role: WorkspaceRoleSchema.optional().describe('The role on accepting; defaults to viewer.'),
    expiresInDays: z
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: 'must be at least 1' })
      .max(30, { error: 'must be at most 30' })
      .optional()
      .describe('How long the invitation can be accepted, 1–30 days (default 7).'),
  })
  .meta({ id: 'InvitationCreate' });
export type InvitationCreate = z.infer<typeof InvitationCreateSchema>;

export const InvitationSchema = z
  .object({
    id: IdSchema,
    workspaceId: IdSchema,
    email: z.string().describe('The invited address (lower-case).'),
    role: WorkspaceRoleSchema,
    invitedBy: IdSchema.nullable().describe('The owner who invited (null when the service role did).'),
    createdAt: TimestampSchema,
    expiresAt: TimestampSchema,
  })
  .meta({ id: 'Invitation', description: 'A pending invitation to a workspace.' });
export type Invitation = z.infer<typeof InvitationSchema>;

export const InvitationCreatedSchema = InvitationSchema.extend({
  token: z
    .string()
    .regex(INVITATION_TOKEN_PATTERN)
    .describe('The secret link token, shown only in this answer (the database keeps its hash). Put it into a link to your app; whoever signs in with it may accept.'),
}).meta({ id: 'InvitationCreated', description: 'A new invitation with its link token.' });
export type InvitationCreated = z.infer<typeof InvitationCreatedSchema>;

export const InvitationListSchema = z.object({ data: z.array(InvitationSchema) }).meta({ id: 'InvitationList' });
export type InvitationList = z.infer<typeof InvitationListSchema>;

export const ReceivedInvitationSchema = InvitationSchema.extend({
  workspaceName: z.string(),
  inviterName: z.string().nullable().describe('Display name of the owner who invited.'),
}).meta({ id: 'ReceivedInvitation', description: 'A pending invitation to the caller\'s confirmed e-mail address.' });
export type ReceivedInvitation = z.infer<typeof ReceivedInvitationSchema>;

export const ReceivedInvitationListSchema = z.object({ data: z.array(ReceivedInvitationSchema) }).meta({ id: 'ReceivedInvitationList' });
export type ReceivedInvitationList = z.infer<typeof ReceivedInvitationListSchema>;

export const InvitationAnswerSchema = z
  .strictObject({
    id: IdSchema.optional().describe('The invitation\'s id: for the invited address, once signed in with it (confirmed).'),
    token: z
      .string()
      .regex(INVITATION_TOKEN_PATTERN, { error: 'is not an invitation token' })
      .optional()
      .describe('The link token: for whoever holds it, whatever their address.'),
  })
  .refine((answer) => (answer.id === undefined) !== (answer.token === undefined), { error: 'give either id or token' })
  .meta({ id: 'InvitationAnswer', description: 'Which invitation to accept or decline: its id or its link token.' });
export type InvitationAnswer = { id: string; token?: never } | { token: string; id?: never };

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

/** The columns of an invitation that the API reads, and what some functions add to them. */
export type InvitationRow = AsRead<
  Pick<Tables<'workspace_invitations'>, 'id' | 'workspace_id' | 'email' | 'role' | 'invited_by' | 'created_at' | 'expires_at'>,
  'created_at' | 'expires_at'
> & {
  /** create_workspace_invitation() only. */
  token?: string;
  /** my_pending_invitations() and the notices only. */
  workspace_name?: string;
  inviter_name?: string | null;
};

export function invitationFromRow(row: InvitationRow): Invitation {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    email: row.email,
    role: row.role,
    invitedBy: row.invited_by ?? null,
    createdAt: toIsoTimestamp(row.created_at),
    expiresAt: toIsoTimestamp(row.expires_at),
  };
}

export function invitationCreatedFromRow(row: InvitationRow & { token: string }): InvitationCreated {
  return { ...invitationFromRow(row), token: row.token };
}

export function receivedInvitationFromRow(row: InvitationRow): ReceivedInvitation {
  return { ...invitationFromRow(row), workspaceName: row.workspace_name ?? '', inviterName: row.inviter_name ?? null };
}

// ---------------------------------------------------------------------------------------------
// Notices on user:<id> (broadcast event `invitation`, sent by the database)
// ---------------------------------------------------------------------------------------------

export type InvitationNotice =
  | { type: 'invitation_received'; invitation: ReceivedInvitation }
  | { type: 'invitation_revoked'; invitationId: string; workspaceId: string };

/**
 * The notice in a broadcast payload (the row the database sends, with its `type`), or null when the
 * payload is not one. A received invitation is checked by the same schema as the API's answers.
 */
export function invitationNoticeFromPayload(payload: unknown): InvitationNotice | null {
  const row = (typeof payload === 'object' && payload !== null ? payload : {}) as Partial<InvitationRow> & { type?: unknown };
  if (row.type === 'invitation_revoked') {
    const { id, workspace_id: workspaceId } = row;
    return IdSchema.safeParse(id).success && IdSchema.safeParse(workspaceId).success ? { type: row.type, invitationId: id!, workspaceId: workspaceId! } : null;
  }
  if (row.type !== 'invitation_received') return null;
  let invitation: ReceivedInvitation;
  try {
    // Not receivedInvitationFromRow: its defaults would fill in what the payload lacks.
    invitation = { ...invitationFromRow(row as InvitationRow), workspaceName: row.workspace_name!, inviterName: row.inviter_name! };
  } catch {
    return null; // a timestamp that is none
  }
  const parsed = ReceivedInvitationSchema.safeParse(invitation);
  return parsed.success ? { type: row.type, invitation: parsed.data } : null;
}
