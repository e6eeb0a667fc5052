// A workspace with an owner, an editor and a viewer, each signed in through the SDK against the test
// stack (the editor and viewer joined by invitation), and one brand DNA: the set-up of the realtime
// suites that play teammates.
import { randomBytes } from 'node:crypto';
import type { StudioClient, WorkspaceRole } from '../../sdk/src/index.ts';
import { testClient } from './helpers.ts';

export interface Teammate {
  studio: StudioClient;
  id: string;
  email: string;
  password: string;
}

export interface Team {
  owner: Teammate;
  editor: Teammate;
  viewer: Teammate;
  workspaceId: string;
  brandDnaId: string;
  /** Leaves every channel of every teammate. */
  close(): Promise<void>;
}

async function signUp(label: string): Promise<Teammate> {
  const studio = testClient();
  const email = `${label}-${randomBytes(5).toString('hex')}@example.com`;
  const password = `${label}-password-1`;
  const { data, error } = await studio.auth.signUp({ email, password, displayName: label });
  if (error || !data.user) throw new Error(`sign-up of ${label} failed: ${error?.message}`);
  return { studio, id: data.user.id, email, password };
}

/** The same teammate signed in on a client of its own (a second tab). */
export async function secondClient(who: Teammate): Promise<Teammate> {
  const studio = testClient();
  const { error } = await studio.auth.signIn({ email: who.email, password: who.password });
  if (error) throw new Error(`sign-in failed: ${error.message}`);
  return { ...who, studio };
}

/** `member` joins the workspace with `role`, by an invitation of `owner` accepted with its link token. */
async function join(owner: Teammate, workspaceId: string, member: Teammate, role: WorkspaceRole): Promise<void> {
  const invited = await owner.studio.workspaces.invite(workspaceId, { email: member.email, role });
  if (invited.error) throw new Error(`inviting the ${role}: ${invited.error.message}`);
  const joined = await member.studio.invitations.accept({ token: invited.data.token });
  if (joined.error) throw new Error(`the ${role} joining: ${joined.error.message}`);
}

/** A new user, signed up as `label`-…, who joins the team's workspace with `role`. */
export async function newMember(team: Team, label: string, role: WorkspaceRole): Promise<Teammate> {
  const member = await signUp(label);
  await join(team.owner, team.workspaceId, member, role);
  return member;
}

export async function createTeam(): Promise<Team> {
  const [owner, editor, viewer] = await Promise.all([signUp('owner'), signUp('editor'), signUp('viewer')]);
  const workspace = await owner.studio.workspaces.create({ name: `Team ${randomBytes(3).toString('hex')}` });
  if (workspace.error) throw new Error(`workspace: ${workspace.error.message}`);
  const workspaceId = workspace.data.id;
  await join(owner, workspaceId, editor, 'editor');
  await join(owner, workspaceId, viewer, 'viewer');
  const axes = { density: 0.5, warmth: 0.5, playfulness: 0.5, sophistication: 0.5, energy: 0.5 };
  const brand = await owner.studio.brandDna.create({ workspaceId, name: 'Acme', axes });
  if (brand.error) throw new Error(`brand DNA: ${brand.error.message}`);
  return {
    owner,
    editor,
    viewer,
    workspaceId,
    brandDnaId: brand.data.id,
    async close() {
      await Promise.all([owner, editor, viewer].map((t) => t.studio.supabase.removeAllChannels()));
    },
  };
}
