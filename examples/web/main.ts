// A small frontend on @tekton/studio-sdk: sign-up and sign-in, workspaces, teammates invited by
// e-mail (the invitee sees the invitation arrive live and accepts it), a brand DNA started from a
// preset, its five axes saved with `ifMatch` (a teammate's newer save is a conflict, not an
// overwrite), versions, compare and restore, teammates' edits live and who else is here.
// `npm run example` serves it against `npm start`; `?url=…&key=…` points it at another project.
// The browser suite (tests/browser) drives it in Chromium.
import {
  AXES,
  createStudioClient,
  type Axes,
  type BrandDna,
  type BrandDnaChange,
  type InvitationNotice,
  type ReceivedInvitation,
  type StudioResult,
  type Unsubscribe,
  type Workspace,
} from '@tekton/studio-sdk';

const params = new URLSearchParams(location.search);
const studio = createStudioClient({
  url: params.get('url') ?? 'http://127.0.0.1:54321',
  // The Supabase CLI's public development key; a deployed app uses its project's publishable key.
  key: params.get('key') ?? 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH',
});

const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const axisInput = (axis: string) => $<HTMLInputElement>(`#axes input[name="${axis}"]`);

/** Shows how an action went on the status line; returns its data, or null when it failed. */
function report<T>(result: StudioResult<T>, done: (data: T) => string): T | null {
  $('#status').textContent = result.error ? `✗ ${result.error.code} (${result.error.status}): ${result.error.message}` : `✓ ${done(result.data)}`;
  return result.data;
}

/** The same for loads in the background: only failures are worth the status line. */
function quiet<T>(result: StudioResult<T>): T | null {
  if (result.error) report(result, () => '');
  return result.data;
}

/** A list item with its text and buttons. */
function item(text: string, ...buttons: [label: string, onClick: () => void][]): HTMLLIElement {
  const li = document.createElement('li');
  li.append(text);
  for (const [label, onClick] of buttons) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.addEventListener('click', onClick);
    li.append(button);
  }
  return li;
}

function onSubmit(selector: string, handle: (form: FormData, submitter: string) => Promise<void>): void {
  $<HTMLFormElement>(selector).addEventListener('submit', (event) => {
    event.preventDefault();
    void handle(new FormData(event.target as HTMLFormElement), (event.submitter as HTMLButtonElement | null)?.value ?? '');
  });
}

// ---- Account -----------------------------------------------------------------------------------

let myName = '';

onSubmit('#sign-in', async (form, action) => {
  const email = String(form.get('email'));
  const password = String(form.get('password'));
  const displayName = String(form.get('displayName') ?? '') || undefined;
  const result = action === 'sign-up' ? await studio.auth.signUp({ email, password, displayName }) : await studio.auth.signIn({ email, password });
  report(result, ({ user }) => `${action === 'sign-up' ? 'signed up' : 'signed in'} as ${user?.email}`);
});

studio.auth.onAuthStateChange((event, session) => {
  $('#who').textContent = session ? `Signed in as ${session.user.email}` : 'Signed out';
  myName = session ? String(session.user.user_metadata.display_name ?? session.user.email) : '';
  $('#workspaces').hidden = !session;
  // supabase-js runs this callback under its auth lock: call it back only after the callback returns.
  if (event === 'SIGNED_OUT') setTimeout(() => void closeWorkspace());
  else if (session && (event === 'INITIAL_SESSION' || event === 'SIGNED_IN')) {
    setTimeout(() => {
      void loadWorkspaces();
      void watchInvitations();
    });
  }
});

$('#refresh-session').addEventListener('click', async () => {
  const { data, error } = await studio.supabase.auth.refreshSession();
  $('#status').textContent = error ? `✗ ${error.code} (${error.status}): ${error.message}` : `✓ session refreshed until ${new Date(data.session!.expires_at! * 1000).toLocaleTimeString()}`;
});

$('#sign-out').addEventListener('click', async () => {
  report(await studio.auth.signOut(), () => 'signed out');
});

$('#check').addEventListener('click', async () => {
  report(await studio.health(), (health) => `the API answers: ${health.status}, database ${health.database}`);
});

// ---- Workspaces, teammates and live changes ---------------------------------------------------

let workspace: Workspace | null = null;
let names = new Map<string, string>();
let stopWatching: Unsubscribe | null = null;

async function loadWorkspaces(): Promise<void> {
  const list = quiet(await studio.workspaces.list());
  $('#workspace-list').replaceChildren(...(list?.data ?? []).map((ws) => item(`${ws.name} (${ws.role})`, ['Open', () => void openWorkspace(ws)])));
}

async function loadMembers(): Promise<void> {
  const members = quiet(await studio.workspaces.members(workspace!.id));
  names = new Map((members?.data ?? []).map((m) => [m.userId, m.displayName ?? m.email ?? m.userId]));
}

async function loadBrands(): Promise<void> {
  const page = quiet(await studio.brandDna.list({ workspaceId: workspace!.id, limit: 50 }));
  $('#brand-list').replaceChildren(...(page?.data ?? []).map((dna) => item(`${dna.name} · revision ${dna.revision}`, ['Edit', () => void openBrand(dna.id)])));
}

function log(text: string): void {
  $('#live').append(item(text));
}

async function onChange(change: BrandDnaChange): Promise<void> {
  if (change.actorId && !names.has(change.actorId)) await loadMembers();
  const who = change.actorId ? (names.get(change.actorId) ?? 'someone') : 'the service';
  const what = change.operation === 'UPDATE' ? `changed ${change.changed.join(', ')} of` : change.operation === 'INSERT' ? 'created' : 'deleted';
  log(`${who} ${what} “${change.brandDna?.name ?? change.brandDnaId}” → revision ${change.revision}`);
  if (brand?.id === change.brandDnaId && change.revision > brand.revision) {
    $('#revision').textContent = `${describe(brand)} · a teammate saved revision ${change.revision}: reload to see it`;
  }
  await loadBrands();
}

async function openWorkspace(ws: Workspace): Promise<void> {
  await closeWorkspace();
  workspace = ws;
  await loadMembers();
  const watching = await studio.workspaces.watch(ws.id, (change) => void onChange(change), {
    onClose: (reason) => log(`live updates ended: ${reason.message}`),
  });
  stopWatching = watching.data;
  await loadBrands();
  report(watching, () => `opened ${ws.name}, live`);
}

async function closeWorkspace(): Promise<void> {
  await closeBrand();
  await stopWatching?.();
  stopWatching = null;
  workspace = null;
  for (const list of ['#brand-list', '#live']) $(list).replaceChildren();
  if (!$('#workspaces').hidden) await loadWorkspaces();
}

onSubmit('#new-workspace', async (form) => {
  const created = report(await studio.workspaces.create({ name: String(form.get('name')) }), (ws) => `created ${ws.name}`);
  if (created) {
    await loadWorkspaces();
    await openWorkspace(created);
  }
});

// Owners invite by e-mail; the invitee joins by accepting (nobody is added without agreeing). The
// answer also holds a link token, for people to join by link: this page does not use it.
onSubmit('#invite', async (form) => {
  if (!workspace) return void ($('#status').textContent = '✗ open a workspace first');
  const role = String(form.get('role')) as 'viewer' | 'editor' | 'owner';
  report(await studio.workspaces.invite(workspace.id, { email: String(form.get('email')), role }), (inv) => `invited ${inv.email} as ${inv.role}`);
});

// ---- Invitations to me: the pending ones, and new and withdrawn ones as they happen ---------------

const invitations = new Map<string, ReceivedInvitation>();
let watchingInvitations = false;

function showInvitations(): void {
  $('#invitation-list').replaceChildren(
    ...[...invitations.values()].map((inv) =>
      item(
        `${inv.workspaceName} · from ${inv.inviterName ?? 'an owner'} as ${inv.role}`,
        ['Accept', () => void answer(inv, 'accept')],
        ['Decline', () => void answer(inv, 'decline')],
      ),
    ),
  );
}

function onNotice(notice: InvitationNotice): void {
  if (notice.type === 'invitation_received') invitations.set(notice.invitation.id, notice.invitation);
  else invitations.delete(notice.invitationId);
  showInvitations();
}

/** Listens first, then lists: an invitation that arrives in between is not missed. */
async function watchInvitations(): Promise<void> {
  if (watchingInvitations) return; // supabase-js reports SIGNED_IN again, e.g. when the tab is shown
  watchingInvitations = true;
  const watching = await studio.invitations.watch(onNotice, {
    // Ended by the server, or by signing out.
    onClose: () => {
      watchingInvitations = false;
      invitations.clear();
      showInvitations();
    },
  });
  if (!quiet(watching)) return void (watchingInvitations = false);
  for (const inv of quiet(await studio.invitations.list())?.data ?? []) invitations.set(inv.id, inv);
  showInvitations();
}

async function answer(inv: ReceivedInvitation, choice: 'accept' | 'decline'): Promise<void> {
  const result = await studio.invitations[choice]({ id: inv.id });
  report(result, () => (choice === 'accept' ? `joined ${inv.workspaceName} as ${inv.role}` : `declined the invitation to ${inv.workspaceName}`));
  if (result.error) return;
  invitations.delete(inv.id);
  showInvitations();
  if (choice === 'accept') await loadWorkspaces();
}

onSubmit('#new-brand', async (form) => {
  if (!workspace) return void ($('#status').textContent = '✗ open a workspace first');
  const found = quiet(await studio.presets.search({ q: String(form.get('q')), limit: 1 }));
  const preset = found?.data[0];
  if (!preset) return void ($('#status').textContent = `✗ no preset matches “${String(form.get('q'))}”`);
  const created = report(
    await studio.brandDna.fromPreset({ presetId: preset.id, workspaceId: workspace.id, name: String(form.get('name')) }),
    (dna) => `created “${dna.name}” from the preset “${preset.name}”`,
  );
  if (created) await openBrand(created.id, false);
});

// ---- One brand DNA: axes, who is here, versions -------------------------------------------------

let brand: BrandDna | null = null;
let leavePresence: Unsubscribe | null = null;

const describe = (dna: BrandDna) => `revision ${dna.revision} · version ${dna.version}`;

function show(dna: BrandDna): void {
  brand = dna;
  $('#editor').hidden = false;
  $('#brand-name').textContent = dna.name;
  $('#revision').textContent = describe(dna);
  for (const axis of AXES) axisInput(axis).value = String(dna.axes[axis]);
}

async function loadVersions(): Promise<void> {
  const id = brand!.id;
  const page = quiet(await studio.brandDna.versions(id, { limit: 50 }));
  $('#versions').replaceChildren(
    ...(page?.data ?? []).map((v) =>
      item(
        `#${v.versionNumber} · ${v.version} · energy ${v.axes.energy.toFixed(2)}${v.restoredFrom ? ` (restores #${v.restoredFrom})` : ''}`,
        ['Compare with now', () => void compare(id, v.versionNumber)],
        ['Restore', () => void restore(id, v.versionNumber)],
      ),
    ),
  );
}

async function openBrand(id: string, announce = true): Promise<void> {
  await closeBrand();
  const dna = quiet(await studio.brandDna.get(id));
  if (!dna) return;
  show(dna);
  const here = await studio.brandDna.presence(id, { name: myName }, {
    onChange: (members) => ($('#present').textContent = `Here: ${members.map((m) => String(m.state.name)).sort().join(', ')}`),
  });
  leavePresence = quiet(here)?.leave ?? null;
  await loadVersions();
  if (announce) report({ data: dna, error: null }, () => `opened “${dna.name}” at ${describe(dna)}`);
}

async function closeBrand(): Promise<void> {
  await leavePresence?.();
  leavePresence = null;
  brand = null;
  $('#editor').hidden = true;
  for (const list of ['#versions', '#comparison', '#present']) $(list).replaceChildren();
}

onSubmit('#axes', async () => {
  if (!brand) return;
  const axes = Object.fromEntries(AXES.map((axis) => [axis, Number(axisInput(axis).value)])) as Axes;
  // ifMatch: the revision this form shows. A teammate's newer save makes this a 412, not a silent overwrite.
  const saved = report(await studio.brandDna.update(brand.id, { axes }, { ifMatch: brand.revision }), (dna) => `saved ${describe(dna)}`);
  if (saved) {
    show(saved);
    await loadVersions();
  }
});

$('#reload-brand').addEventListener('click', async () => {
  if (!brand) return;
  const dna = report(await studio.brandDna.get(brand.id), (fresh) => `reloaded ${describe(fresh)}`);
  if (dna) {
    show(dna);
    await loadVersions();
  }
});

async function compare(id: string, from: number): Promise<void> {
  const diff = report(await studio.brandDna.compare(id, { from }), (d) => `compared #${from} with now: ${d.axes.filter((a) => a.delta !== 0).length} axes changed`);
  $('#comparison').textContent = (diff?.axes ?? [])
    .filter((a) => a.delta !== 0)
    .map((a) => `${a.axis} ${a.from.toFixed(2)} → ${a.to.toFixed(2)} (${a.delta > 0 ? '+' : ''}${a.delta.toFixed(2)})`)
    .join('\n');
}

async function restore(id: string, versionNumber: number): Promise<void> {
  const dna = report(await studio.brandDna.restore(id, versionNumber), (restored) => `restored #${versionNumber} as ${describe(restored)}`);
  if (dna) {
    show(dna);
    await loadVersions();
  }
}
