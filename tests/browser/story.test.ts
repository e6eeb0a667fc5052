// The SDK as a frontend team receives it: the example page (examples/web) bundled by Vite with the
// built package, served from an origin of its own, driven in headless Chromium against the test
// stack. Two teammates in two browser contexts (two storage scopes) walk the whole story: sign-up
// and sign-in (with Auth's error codes, which a browser sees only through exposed headers),
// workspaces, an invitation by e-mail that the invitee sees arrive live and accepts, a brand DNA
// from a preset, edits with ifMatch and a conflict, versions, compare, restore, live changes and
// presence between them, a reload, a session refresh and a sign-out; then a page whose origin the
// API refuses. Each step asserts what the page shows and that nothing failed in the browser but
// what the step provokes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../../local/config.ts';
import { freePort } from '../../local/db.ts';
import { buildSdkCopy, type SdkCopy } from '../../scripts/build-sdk.ts';

const stack = inject('stack');
const EXAMPLE = path.join(ROOT, 'examples', 'web');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Headless, as root (no sandbox), and quiet: no calls home on a machine without the internet.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WAIT_MS = 15_000;

/** One person's page, with everything that went wrong in it since the last check. */
class Tab {
  private events: string[] = [];

  constructor(readonly page: Page) {
    const where = (url: string) => new URL(url).pathname;
    page.on('pageerror', (error) => this.events.push(`pageerror ${error.message}`));
    // Chromium also logs each HTTP error as "Failed to load resource": those are checked as `http` events.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded')) this.events.push(`console ${message.text()}`);
    });
    page.on('requestfailed', (request) => this.events.push(`requestfailed ${request.method()} ${where(request.url())} ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) this.events.push(`http ${response.status()} ${response.request().method()} ${where(response.url())}`);
    });
  }

  /** Waits until `selector`'s text matches, and returns it. */
  async text(selector: string, pattern: RegExp): Promise<string> {
    const locator = this.page.locator(selector);
    const deadline = Date.now() + WAIT_MS;
    let text = '';
    while (Date.now() < deadline) {
      text = (await locator.textContent()) ?? '';
      if (pattern.test(text)) return text;
      await this.page.waitForTimeout(50);
    }
    throw new Error(`${selector} never matched ${pattern}; it says: ${text}`);
  }

  status(pattern: RegExp): Promise<string> {
    return this.text('#status', pattern);
  }

  async fill(form: string, values: Record<string, string>): Promise<void> {
    for (const [name, value] of Object.entries(values)) await this.page.locator(`${form} [name="${name}"]`).fill(value);
  }

  async setAxis(axis: string, value: number): Promise<void> {
    await this.page.locator(`#axes input[name="${axis}"]`).evaluate((input: HTMLInputElement, v) => (input.value = v), String(value));
  }

  axis(axis: string): Promise<string> {
    return this.page.locator(`#axes input[name="${axis}"]`).inputValue();
  }

  click(name: string, within = 'body'): Promise<void> {
    return this.page.locator(within).getByRole('button', { name, exact: true }).first().click();
  }

  /** Clicks a button of the list item whose text matches. */
  clickIn(list: string, itemText: RegExp, name: string): Promise<void> {
    return this.page.locator(`${list} li`).filter({ hasText: itemText }).getByRole('button', { name, exact: true }).click();
  }

  /** Asserts that what went wrong is exactly what the step provoked (each pattern at least once). */
  expectOnly(...provoked: RegExp[]): void {
    const events = this.events;
    this.events = [];
    expect(events.filter((event) => !provoked.some((pattern) => pattern.test(event)))).toEqual([]);
    for (const pattern of provoked) expect(events.some((event) => pattern.test(event)), `${pattern} in ${JSON.stringify(events)}`).toBe(true);
  }
}

describe('the example page in Chromium, from another origin', { timeout: 60_000 }, () => {
  const suffix = randomBytes(4).toString('hex');
  const ada = { email: `ada-${suffix}@example.com`, password: 'ada-password-1', name: 'Ada' };
  const bob = { email: `bob-${suffix}@example.com`, password: 'bob-password-1', name: 'Bob' };
  const workspaceName = `Studio ${suffix}`;
  let copy: SdkCopy | undefined;
  let site: PreviewServer;
  let refusing: http.Server;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let pageUrl = '';
  let A: Tab;
  let B: Tab;

  async function open(target = pageUrl): Promise<Tab> {
    const context = await browser.newContext();
    contexts.push(context);
    const tab = new Tab(await context.newPage());
    await tab.page.goto(target);
    return tab;
  }

  beforeAll(async () => {
    // The page imports '@tekton/studio-sdk': the built package, as an app installing it gets it.
    copy = await buildSdkCopy();
    const outDir = path.join(copy.dir, 'site');
    await build({ root: EXAMPLE, configFile: false, logLevel: 'warn', resolve: { alias: { '@tekton/studio-sdk': copy.entry } }, build: { outDir, emptyOutDir: true, target: 'es2022' } });
    site = await preview({ root: EXAMPLE, configFile: false, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: await freePort(), strictPort: true } });
    const origin = site.resolvedUrls!.local[0]!.replace(/\/$/, '');
    expect(new URL(origin).origin).not.toBe(new URL(stack.url).origin);
    pageUrl = `${origin}/?url=${encodeURIComponent(stack.url)}&key=${encodeURIComponent(stack.publishableKey)}`;
    // An API that answers, but allows no other origin.
    refusing = http.createServer((_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    A = await open();
    B = await open();
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await site?.close();
    if (refusing) await new Promise((resolve) => refusing.close(resolve));
    await copy?.remove();
  });

  it('signs Ada up, and shows Bob Auth\'s codes: e-mail taken, wrong password', async () => {
    await A.click('Check the API');
    await A.status(/^✓ the API answers: ok, database ok$/);
    await A.fill('#sign-in', { email: ada.email, password: ada.password, displayName: ada.name });
    await A.click('Sign up');
    await A.status(new RegExp(`^✓ signed up as ${ada.email}$`));
    await A.text('#who', new RegExp(`Signed in as ${ada.email}`));

    await B.fill('#sign-in', { email: ada.email, password: 'another-password-1' });
    await B.click('Sign up');
    await B.status(/^✗ user_already_exists \(422\)/);
    B.expectOnly(/^http 422 POST \/auth\/v1\/signup$/);
    await B.click('Sign in');
    await B.status(/^✗ invalid_credentials \(400\)/);
    B.expectOnly(/^http 400 POST \/auth\/v1\/token$/);
    await B.fill('#sign-in', { email: bob.email, password: bob.password, displayName: bob.name });
    await B.click('Sign up');
    await B.status(new RegExp(`^✓ signed up as ${bob.email}$`));
    A.expectOnly();
    B.expectOnly();
  });

  it('lets Ada build a workspace and invite Bob, who sees the invitation arrive and joins, and start a brand DNA from a preset', async () => {
    await A.fill('#new-workspace', { name: workspaceName });
    await A.click('Create workspace');
    await A.status(new RegExp(`^✓ opened ${workspaceName}, live$`));
    expect(await B.page.locator('#invitation-list li').count()).toBe(0);
    await A.fill('#invite', { email: bob.email });
    await A.click('Invite');
    await A.status(new RegExp(`^✓ invited ${bob.email} as editor$`));
    // Bob's page listed his invitations at sign-up (none): this one arrives live.
    await B.text('#invitation-list', new RegExp(`^${workspaceName} · from Ada as editor`));
    await B.clickIn('#invitation-list', new RegExp(workspaceName), 'Accept');
    await B.status(new RegExp(`^✓ joined ${workspaceName} as editor$`));
    await B.text('#workspace-list', new RegExp(`${workspaceName} \\(editor\\)`));
    expect(await B.page.locator('#invitation-list li').count()).toBe(0);
    await A.fill('#new-brand', { q: 'startup', name: 'Acme' });
    await A.click('Start from the best match');
    await A.status(/^✓ created “Acme” from the preset “.+”$/);
    await A.text('#revision', /^revision 1 · version 1\.0\.0$/);
    await A.text('#present', /^Here: Ada$/);
    A.expectOnly();
    B.expectOnly();
  });

  it('shows the workspace to Bob after a reload (his session kept), both present, and his edit to Ada live', async () => {
    await B.page.reload();
    await B.text('#who', new RegExp(`Signed in as ${bob.email}`));
    await B.clickIn('#workspace-list', new RegExp(workspaceName), 'Open');
    await B.status(new RegExp(`^✓ opened ${workspaceName}, live$`));
    await B.clickIn('#brand-list', /Acme/, 'Edit');
    await B.status(/^✓ opened “Acme” at revision 1/);
    await B.text('#present', /^Here: Ada, Bob$/);
    await A.text('#present', /^Here: Ada, Bob$/);

    await B.setAxis('energy', 0.95);
    await B.click('Save');
    await B.status(/^✓ saved revision 2 · version 1\.0\.1$/);
    await A.text('#live', /Bob changed .*axes\.energy.* of “Acme” → revision 2/);
    await A.text('#revision', /a teammate saved revision 2/);
    A.expectOnly();
    B.expectOnly();
  });

  it('turns Ada\'s save over a newer revision into a conflict; reloaded, it goes through', async () => {
    await A.setAxis('warmth', 0.1);
    await A.click('Save');
    await A.status(/^✗ precondition_failed \(412\)/);
    A.expectOnly(/^http 412 PATCH \/functions\/v1\/api\/v1\/brand-dna\/[\w-]+$/);
    await A.click('Reload');
    await A.status(/^✓ reloaded revision 2/);
    expect(await A.axis('energy')).toBe('0.95');
    await A.setAxis('warmth', 0.1);
    await A.click('Save');
    await A.status(/^✓ saved revision 3/);
    await B.text('#live', /Ada changed .*axes\.warmth.* of “Acme” → revision 3/);
    A.expectOnly();
    B.expectOnly();
  });

  it('lists the versions, compares the first with now, and restores it for both', async () => {
    await A.text('#versions', /#3.*#2.*#1/s);
    await A.clickIn('#versions', /^#1 /, 'Compare with now');
    await A.status(/^✓ compared #1 with now: 2 axes changed$/);
    await A.text('#comparison', /warmth .* → 0\.10/);
    await A.text('#comparison', /energy .* → 0\.95/);
    await A.clickIn('#versions', /^#1 /, 'Restore');
    await A.status(/^✓ restored #1 as revision 4/);
    expect(await A.axis('warmth')).not.toBe('0.1');
    await A.text('#versions', /#4 .*\(restores #1\)/);
    await B.text('#live', /Ada changed .* of “Acme” → revision 4/);
    A.expectOnly();
    B.expectOnly();
  });

  it('keeps Ada signed in across a reload, and live across a session refresh', async () => {
    await A.page.reload();
    await A.text('#who', new RegExp(`Signed in as ${ada.email}`));
    await A.clickIn('#workspace-list', new RegExp(workspaceName), 'Open');
    await A.status(/, live$/);
    await A.clickIn('#brand-list', /Acme/, 'Edit');
    await A.status(/^✓ opened “Acme” at revision 4/);
    await A.text('#present', /^Here: Ada, Bob$/);

    const token = () => A.page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.endsWith('-auth-token'));
      return key ? (JSON.parse(localStorage.getItem(key)!) as { access_token: string }).access_token : null;
    });
    const before = await token();
    expect(before).toBeTruthy();
    await A.click('Refresh session');
    await A.status(/^✓ session refreshed until /);
    expect(await token()).not.toBe(before);

    await B.click('Reload');
    await B.status(/^✓ reloaded revision 4/);
    await B.setAxis('density', 0.2);
    await B.click('Save');
    await B.status(/^✓ saved revision 5/);
    await A.text('#live', /Bob changed .*axes\.density.* → revision 5/);
    await A.click('Reload');
    await A.status(/^✓ reloaded revision 5/);
    await A.setAxis('playfulness', 0.8);
    await A.click('Save');
    await A.status(/^✓ saved revision 6/);
    await B.text('#live', /Ada changed .*axes\.playfulness.* → revision 6/);
    A.expectOnly();
    B.expectOnly();
  });

  it('signs Bob out: his live subscriptions end and Ada sees him leave', async () => {
    await B.click('Sign out');
    await B.status(/^✓ signed out$/);
    await B.text('#who', /^Signed out$/);
    await A.text('#present', /^Here: Ada$/);
    expect(await B.page.locator('#workspaces').isHidden()).toBe(true);
    A.expectOnly();
    B.expectOnly();
  });

  it('tells a page whose origin the API refuses why, instead of a bare network error', async () => {
    const stranger = await open(`${new URL(pageUrl).origin}/?url=${encodeURIComponent(`http://127.0.0.1:${(refusing.address() as AddressInfo).port}`)}`);
    await stranger.click('Check the API');
    await stranger.status(/^✗ cors_refused \(0\): .*does not allow the origin http:\/\/127\.0\.0\.1:\d+ .*CORS_ALLOWED_ORIGINS/);
    stranger.expectOnly(/^requestfailed GET \/functions\/v1\/api\/v1\/health /, /^console .*CORS policy/, /^console Failed to load resource: net::ERR_FAILED$/);
  });
});
