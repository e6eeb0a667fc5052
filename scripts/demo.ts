// `npm run demo`: a scripted story through the SDK against a running stack (`npm start`, or the one
// at SUPABASE_URL), printing a short transcript of each step. Two teammates, Ada and Bob, build a
// brand together.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { DEFAULT_KEYS } from '../local/config.ts';
import { AXES, createStudioClient, type BrandDnaChange, type StudioClient, type StudioResult } from '../sdk/src/index.ts';

const url = process.env.SUPABASE_URL ?? 'http://127.0.0.1:54321';
const key = process.env.SUPABASE_ANON_KEY ?? DEFAULT_KEYS.publishableKey;

function client(): StudioClient {
  return createStudioClient({
    url,
    key,
    supabase: { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } },
  });
}

function say(actor: string, text: string): void {
  console.log(`${actor.padEnd(5)} ${text}`);
}

/** The data of a result, or the end of the demo with the error. */
function must<T>(result: StudioResult<T>, what: string): T {
  if (result.error) {
    console.error(`\n✗ ${what} failed: ${result.error.code} (${result.error.status}) ${result.error.message}`);
    process.exit(1);
  }
  return result.data;
}

const axes = (values: Record<string, number>) => AXES.map((axis) => `${axis} ${values[axis]!.toFixed(2)}`).join(', ');

async function main(): Promise<void> {
  const ada = client();
  const bob = client();
  const tag = randomBytes(3).toString('hex');
  console.log(`Tekton Studio demo against ${url}\n`);

  if ((await ada.health()).error) {
    console.error(`No stack answers at ${url}. Start one with \`npm start\` (or set SUPABASE_URL).`);
    process.exit(1);
  }

  const adaUser = must(await ada.auth.signUp({ email: `ada-${tag}@example.com`, password: 'ada-demo-password', displayName: 'Ada' }), 'Ada signs up');
  say('Ada', `signs up as ${adaUser.user?.email}`);
  const bobUser = must(await bob.auth.signUp({ email: `bob-${tag}@example.com`, password: 'bob-demo-password', displayName: 'Bob' }), 'Bob signs up');
  say('Bob', `signs up as ${bobUser.user?.email}`);

  const workspace = must(await ada.workspaces.create({ name: `Demo studio ${tag}` }), 'create a workspace');
  say('Ada', `creates the workspace “${workspace.name}” (she is its ${workspace.role})`);
  must(await ada.workspaces.invite(workspace.id, { email: bobUser.user!.email!, role: 'editor' }), 'invite Bob');
  say('Ada', 'invites Bob by e-mail as an editor');
  const invitation = must(await bob.invitations.list(), 'list his invitations').data.find((inv) => inv.workspaceId === workspace.id);
  if (!invitation) {
    console.error('\n✗ Bob has no invitation to the workspace');
    process.exit(1);
  }
  must(await bob.invitations.accept({ id: invitation.id }), 'accept the invitation');
  say('Bob', `finds ${invitation.inviterName}'s invitation to “${invitation.workspaceName}” as ${invitation.role}, and accepts it`);

  const found = must(await ada.presets.search({ q: 'startup', limit: 3 }), 'search presets');
  say('Ada', `searches presets for “startup”: ${found.data.map((p) => p.name).join(', ')}`);
  const near = must(await ada.presets.search({ near: { density: 0.3, warmth: 0.8, playfulness: 0.4, sophistication: 0.7, energy: 0.3 }, limit: 1 }), 'nearest preset');
  say('Ada', `asks for the preset nearest to a warm, calm, refined brand: ${near.data[0]?.name}`);

  const preset = found.data[0]!;
  const brand = must(await ada.brandDna.fromPreset({ presetId: preset.id, workspaceId: workspace.id, name: `Acme ${tag}` }), 'start from a preset');
  say('Ada', `starts “${brand.name}” from “${preset.name}”: ${axes(brand.axes)} (v${brand.version}, revision ${brand.revision})`);

  const changes: BrandDnaChange[] = [];
  let seen: () => void = () => {};
  const stopWatching = must(await bob.brandDna.watch(brand.id, (change) => (changes.push(change), seen())), 'watch');
  say('Bob', 'opens the brand and watches it live');
  const presence = must(await bob.brandDna.presence(brand.id, { name: 'Bob' }), 'presence');

  const arrived = new Promise<void>((resolve) => (seen = resolve));
  const warmer = must(await ada.brandDna.update(brand.id, { axes: { warmth: 0.7 } }, { ifMatch: brand.revision }), 'edit');
  say('Ada', `warms it up to 0.70 → v${warmer.version}, revision ${warmer.revision}`);
  await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, 3000))]);
  const change = changes.at(-1);
  say('Bob', change ? `sees it live: ${change.operation} of ${change.changed.join(', ')} (revision ${change.revision})` : 'saw nothing (is Realtime running?)');

  const stale = await bob.brandDna.update(brand.id, { axes: { energy: 0.2 } }, { ifMatch: brand.revision });
  say('Bob', `edits with the revision he read first → ${stale.error?.code ?? 'accepted?!'} (${stale.error?.status}), nothing overwritten`);
  const fresh = must(await bob.brandDna.update(brand.id, { axes: { energy: 0.2 }, name: `Acme ${tag} calm` }, { ifMatch: warmer.revision }), 'edit again');
  say('Bob', `retries on revision ${warmer.revision} → “${fresh.name}”, energy 0.20, v${fresh.version}`);

  const versions = must(await ada.brandDna.versions(brand.id), 'versions');
  say('Ada', `lists the history: ${versions.data.map((v) => `#${v.versionNumber} v${v.version}`).join(', ')}`);
  const diff = must(await ada.brandDna.compare(brand.id, { from: 1 }), 'compare');
  const moved = diff.axes.filter((a) => a.direction !== 'unchanged').map((a) => `${a.axis} ${a.from}→${a.to} (${a.delta > 0 ? '+' : ''}${a.delta})`);
  say('Ada', `compares #1 with now: ${moved.join(', ')}${diff.changed.name ? `; name “${diff.changed.name.from}” → “${diff.changed.name.to}”` : ''}`);
  const restored = must(await ada.brandDna.restore(brand.id, 1), 'restore');
  say('Ada', `restores #1 as a new version → revision ${restored.revision}, v${restored.version}, ${axes(restored.axes)}`);

  say('Bob', `is present with: ${presence.members().map((m) => String(m.state.name ?? m.key)).join(', ')}`);
  await presence.leave();
  await stopWatching();
  must(await bob.auth.signOut(), 'sign out');
  must(await ada.auth.signOut(), 'sign out');
  say('Both', 'sign out');
  console.log('\nDone.');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
