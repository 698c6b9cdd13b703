/**
 * Issue 15, items 6 and 9: the headless window's secrets.
 * - 6: cookies are not port-bound. A server on another loopback port whose
 *   page loads in the same browser receives the window's cookie, and with it
 *   (plus a forged Origin, which a local process can send) `/bridge/setSettings`
 *   rewrote `modules` to an attacker's library. Now the bridge needs the page
 *   token the window holds in sessionStorage, and a change of drivers waits
 *   for the user's confirmation in the assistant's own dialog.
 * - 9: the entry URL was on xdg-open's command line (visible in `ps`) and
 *   reusable for the whole run. Now each entry code works once, and the opener
 *   gets the path of a 0600 page that forwards to the code.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfirmDialogView } from '../../src-agent/ui/bridge.js';
import { UI_COOKIE, UI_TOKEN_HEADER } from '../../src-agent/ui/headless/index.js';
import { fixtureEnv, useFixtures } from '../helpers/fixtures.js';
import { CHROMIUM, startUiHarness, type UiHarness } from './ui-harness.js';

const fx = await useFixtures();
let h: UiHarness;
let browser: Browser;
beforeAll(async () => {
  h = await startUiHarness(fx, { sdk: false });
  browser = await chromium.launch(CHROMIUM);
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

const EVIL_MODULE = '/tmp/attacker/libevil.so';
const configModules = async (): Promise<string[]> => (JSON.parse(await readFile(h.configFile, 'utf8')) as { modules: string[] }).modules;
const bridge = (name: string, headers: Record<string, string>, body: unknown): Promise<Response> =>
  fetch(`${h.headless.origin}/bridge/${name}`, { method: 'POST', headers: { origin: h.headless.origin, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** Exchanges a one-time entry URL as a browser would: the cookie, and the page token from the fragment. */
async function enter(): Promise<{ cookie: string; token: string }> {
  const res = await fetch(h.headless.newEntryUrl(), { redirect: 'manual' });
  const token = /#k=([A-Za-z0-9_-]{43})$/.exec(res.headers.get('location') ?? '')?.[1] ?? '';
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, token };
}

describe('the window cookie on another loopback port', () => {
  it('a server on another port gets the cookie from the browser, but cannot use it to change the drivers', { timeout: 60_000 }, async () => {
    const context = await browser.newContext();
    const window = await context.newPage();
    await window.goto(h.headless.newEntryUrl());
    await window.waitForSelector('body[data-ready]');
    // The page token stays in the window: not in its address, only in this origin's sessionStorage.
    expect(window.url()).not.toContain('#k=');
    // An unrelated local server (another port, same host name) whose page the same browser loads.
    let received: IncomingHttpHeaders | undefined;
    const evil = createServer((req, res) => {
      received ??= req.headers;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>other app</title>');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const evilPage = await context.newPage();
    await evilPage.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const cookie = String(received?.cookie ?? '');
    expect(cookie).toContain(`${UI_COOKIE}=`); // what the issue found: cookies are not port-bound
    const stolen = cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${UI_COOKIE}=`))!;
    // What the other server does with it: a forged Origin, the stolen cookie, every header it can think of.
    const before = await configModules();
    const res = await bridge('setSettings', { cookie: stolen, 'x-assistant-secret': stolen.slice(UI_COOKIE.length + 1), 'sec-fetch-site': 'same-origin' }, { modules: [EVIL_MODULE] });
    expect(res.status).toBe(403);
    expect(await configModules()).toEqual(before);
    // The window itself still works (it holds the token).
    const status = await window.evaluate(async () => (await (window as unknown as { assistant: { getStatus(): Promise<{ agent: { listening: boolean } }> } }).assistant.getStatus()).agent.listening);
    expect(status).toBe(true);
    await context.close();
    evil.close();
  });

  it('refuses the bridge with the cookie and no page token, or a wrong one, and the event stream too', async () => {
    const { cookie, token } = await enter();
    expect((await bridge('getStatus', { cookie }, {})).status).toBe(403);
    expect((await bridge('getStatus', { cookie, [UI_TOKEN_HEADER]: 'A'.repeat(43) }, {})).status).toBe(403);
    expect((await bridge('getStatus', { [UI_TOKEN_HEADER]: token }, {})).status).toBe(403); // token without cookie
    expect((await bridge('getStatus', { cookie, [UI_TOKEN_HEADER]: token }, {})).status).toBe(200);
    const events = await fetch(`${h.headless.origin}/bridge/events`, { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
    expect(events.status).toBe(403);
  });
});

describe('changing drivers from the window', () => {
  it('is never done by a bare request: it waits for the confirmation dialog, and 取消 keeps the config', { timeout: 20_000 }, async () => {
    const { cookie, token } = await enter();
    const auth = { cookie, [UI_TOKEN_HEADER]: token };
    const before = await configModules();
    const asked = new Promise<ConfirmDialogView>((r) => h.headless.ui.once('confirmRequest', r));
    const call = bridge('setSettings', auth, { modules: [EVIL_MODULE] });
    const view = await asked;
    expect(view).toMatchObject({ kind: 'modules', before, after: [EVIL_MODULE] });
    expect(await configModules()).toEqual(before); // nothing written while the dialog is open
    expect((await bridge('answerConfirm', auth, { id: view.id, answer: 'cancel' })).status).toBe(200);
    const res = await call;
    expect(res.status).toBe(400);
    expect(((await res.json()) as { reason: string }).reason).toBe('USER_DENIED');
    expect(await configModules()).toEqual(before);
  });

  it('writes the drivers once the user confirms; other settings need no dialog', { timeout: 20_000 }, async () => {
    const { cookie, token } = await enter();
    const auth = { cookie, [UI_TOKEN_HEADER]: token };
    const before = await configModules();
    const next = [...before, '/opt/vendor/libgm3000.so'];
    h.headless.ui.once('confirmRequest', (view) => void bridge('answerConfirm', auth, { id: view.id, answer: 'confirm' }));
    const res = await bridge('setSettings', auth, { modules: next });
    expect(res.status).toBe(200);
    expect(await configModules()).toEqual(next);
    const lang = await bridge('setSettings', auth, { pinReuseMinutes: 5 });
    expect(lang.status).toBe(200);
    // Put the fixture module list back for the other tests.
    h.headless.ui.once('confirmRequest', (view) => void bridge('answerConfirm', auth, { id: view.id, answer: 'confirm' }));
    expect((await bridge('setSettings', auth, { modules: before })).status).toBe(200);
  });

  it('shows the confirmation in the window (before / after, 取消 first), and 取消 there keeps the config', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
    const page = await context.newPage();
    await page.goto(h.headless.newEntryUrl());
    await page.waitForSelector('body[data-ready]');
    await page.click('#tab-settings');
    const before = await configModules();
    await page.fill('#set-modules', [...before, EVIL_MODULE].join('\n'));
    await page.click('form.settings button.primary');
    const dialog = page.locator('dialog.modal.confirm');
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toContain('确认修改 CA 锁驱动');
    expect(text).toContain(EVIL_MODULE);
    expect(text).toContain(before[0]!);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('取消');
    await page.screenshot({ path: join(tmpdir(), 'ca-assistant-confirm-modules.png') });
    await dialog.locator('button', { hasText: '取消' }).click();
    await page.locator('form.settings .note .bad').waitFor();
    expect(await page.locator('form.settings .note').innerText()).toContain('驱动设置未修改');
    expect(await configModules()).toEqual(before);
    await context.close();
  });

  it('refuses malformed confirmation answers', async () => {
    const { cookie, token } = await enter();
    const auth = { cookie, [UI_TOKEN_HEADER]: token };
    for (const body of [{}, { id: 'x' }, { id: 'x', answer: 'yes' }, { id: 'x', answer: 'confirm', extra: 1 }, { id: '', answer: 'confirm' }]) {
      expect((await bridge('answerConfirm', auth, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect(((await (await bridge('answerConfirm', auth, { id: 'no-such-dialog', answer: 'confirm' })).json()) as { reason: string }).reason).toBe('BAD_REQUEST');
  });
});

describe('entry URL', () => {
  it('works once', async () => {
    const url = h.headless.newEntryUrl();
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(303);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(403);
  });

  it('serve hands the opener a 0600 page, never the code, and the page\'s code works once', { timeout: 60_000 }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'ca-assistant-open-'));
    const bin = join(work, 'bin');
    await mkdir(bin);
    const argvFile = join(work, 'xdg-open.argv');
    // A stand-in desktop opener that records its command line (what `ps` shows every local user).
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n`);
    await chmod(join(bin, 'xdg-open'), 0o755);
    const dataDir = join(work, 'data');
    const configFile = join(work, 'config.json');
    await writeFile(configFile, JSON.stringify({ modules: [fx.pinGuardModule], onlyConfiguredModules: true, dataDir }));
    const child = spawn(process.execPath, ['bin/ca-assistant.mjs', 'serve', '--config', configFile, '--port', '0'], {
      env: { ...process.env, ...fixtureEnv(fx), PATH: `${bin}:${process.env.PATH}`, DISPLAY: ':77' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', () => undefined);
    try {
      const argv = await (async () => {
        for (let i = 0; i < 300; i++) {
          const text = await readFile(argvFile, 'utf8').catch(() => '');
          if (text) return text.trim().split('\n');
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`xdg-open never ran; serve printed: ${out}`);
      })();
      expect(argv).toHaveLength(1);
      expect(argv[0]).toMatch(/^file:\/\//);
      expect(argv[0]).not.toMatch(/\/ui\/[A-Za-z0-9_-]{20,}/);
      const page = fileURLToPath(argv[0]!);
      expect((await stat(page)).mode & 0o777).toBe(0o600);
      const url = /url=(http:\/\/127\.0\.0\.1:\d+\/ui\/[A-Za-z0-9_-]{43})/.exec(await readFile(page, 'utf8'))?.[1];
      expect(url).toBeDefined();
      expect(out).not.toContain(url!); // a different code from the printed one
      expect((await fetch(url!, { redirect: 'manual' })).status).toBe(303);
      expect((await fetch(url!, { redirect: 'manual' })).status).toBe(403);
      // The printed one works once too, and the next is printed for another window.
      const printed = /助手界面（PIN 输入、环境检测）：(\S+)/.exec(out)?.[1];
      expect((await fetch(printed!, { redirect: 'manual' })).status).toBe(303);
      expect((await fetch(printed!, { redirect: 'manual' })).status).toBe(403);
      await new Promise((r) => setTimeout(r, 200));
      const next = /请使用新地址：(\S+)/.exec(out)?.[1];
      expect(next).toBeDefined();
      expect(next).not.toBe(printed);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
