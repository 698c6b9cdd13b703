/**
 * The real src-main (main.ts, windows, tray, preload, IPC gate) running over
 * the Electron stand-in (./electron-standin) on real Chromium and SoftHSM:
 * tray menu, 环境检测 in the main window, a mall page signing with the PIN
 * typed into the Electron PIN window, the consent window, a second instance
 * and a ca-assistant:// launch, refused popups and navigation, and messages
 * from pages that are not the app's own dropped by the gate.
 * Screenshots go to $CA_SHOTS_DIR when set (never into the repository).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildSdk } from '../../sdk/build.js';
import { UI_PAGES, WINDOW_PAGES } from '../../src-agent/ui/pages.js';
import { freePort } from '../mall/harness.js';
import { fixtureEnv, useFixtures } from '../helpers/fixtures.js';

vi.mock('electron', () => import('./electron-standin/main-process.js'));
const electron = await import('./electron-standin/main-process.js');
const { standIn, BrowserWindow, Tray } = electron;

vi.setConfig({ testTimeout: 90_000 });

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHOTS = process.env.CA_SHOTS_DIR;
const fx = await useFixtures();
const pins = new Map(fx.tokens.map((t) => [t.label, t.userPin]));
const token = (key: string) => fx.tokens.find((t) => t.key === key)!;
const HASH = createHash('sha256').update('采购合同（Electron 测试）').digest('base64');

let work: string;
let mall: Server;
let mallPort: number;
let apiPort: number;
let userData: string;
let configFile: string;

const MALL_PAGE = `<!doctype html><meta charset="utf-8"><title>测试商城</title>
<script type="module">import * as sdk from '/sdk.js'; window.sdk = sdk; document.title = 'ready';</script>`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ca-electron-'));
  const sdk = await readFile((await buildSdk(join(work, 'sdk'))).js);
  mall = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': req.url === '/sdk.js' ? 'text/javascript; charset=utf-8' : 'text/html; charset=utf-8' });
    res.end(req.url === '/sdk.js' ? sdk : MALL_PAGE);
  });
  await new Promise<void>((r) => mall.listen(0, '127.0.0.1', r));
  mallPort = (mall.address() as AddressInfo).port;
  apiPort = await freePort();
  userData = join(work, 'user-data');
  configFile = join(work, 'config.json');
  await writeFile(configFile, JSON.stringify({
    port: apiPort, modules: [fx.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa],
    trustedOrigins: [`http://127.0.0.1:${mallPort}`], dataDir: join(work, 'data'),
  }));
  // The shell as the installer's auto-start launches it: hidden in the tray.
  Object.assign(process.env, fixtureEnv(fx), { ELECTRON_STANDIN_USER_DATA: userData });
  // main.ts reads its command line after app.whenReady(): keep it until the shell is up.
  const argv = process.argv;
  process.argv = [process.execPath, join(ROOT, 'src-main', 'main.ts'), '--config', configFile, '--hidden'];
  await import('../../src-main/main.js');
  // The fixtures include a locked key: the tray shows the problem state once the keys are read.
  await vi.waitFor(() => expect(Tray.all[0]?.tooltip).toMatch(/PIN 已锁定/), { timeout: 60_000, interval: 100 });
  // The API listening means run() went on synchronously to its end (launch included).
  await vi.waitFor(() => new Promise<void>((ok, fail) => connect(apiPort, '127.0.0.1').once('connect', function (this: Socket) { this.destroy(); ok(); }).once('error', fail)), { timeout: 30_000, interval: 200 });
  process.argv = argv;
}, 120_000);

afterAll(async () => {
  electron.app.quit();
  await standIn.exited;
  mall?.close();
});

const windowByTitle = (title: RegExp) => BrowserWindow.getAllWindows().find((w) => title.test(w.getTitle()));
async function pageOf(title: RegExp): Promise<Page> {
  let win: InstanceType<typeof BrowserWindow> | undefined;
  await vi.waitFor(() => expect((win = windowByTitle(title))).toBeDefined(), { timeout: 20_000 });
  return win!.webContents.page;
}
const mainPage = () => pageOf(/^互认助手$/);
const pinPage = () => pageOf(/输入 CA 密码/);
const consentPage = () => pageOf(/网站授权/);
const click = (label: string) => Tray.all[0]!.menu!.items.find((i) => i.label === label)!.click!();
const shot = async (page: Page, name: string) => SHOTS && (await page.screenshot({ path: join(SHOTS, `${name}.png`) }));

/** Polls `test` every 200 ms until it is true; throws after `ms`. */
async function until(test: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function typePin(page: Page, pin: string): Promise<void> {
  const input = page.locator('dialog.pin[open] #pin-input:not([disabled])');
  await input.waitFor();
  await input.fill(pin);
  await input.press('Enter');
}

async function mallPage(origin = `http://127.0.0.1:${mallPort}`): Promise<Page> {
  const page = await standIn.browser!.newPage();
  await page.goto(origin);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}

/** Signs from a mall page through the SDK; resolves with the signature or the reason. */
function signFrom(page: Page, tokenLabel: string): Promise<{ signature?: string; reason?: string; progress: string[] }> {
  return page.evaluate(async ({ url, tokenLabel, hash }) => {
    const sdk = (window as unknown as { sdk: any }).sdk; // eslint-disable-line @typescript-eslint/no-explicit-any -- the bundle's module object
    const client = await sdk.connect({ url });
    const progress: string[] = [];
    client.on('requestProgress', (p: { method: string; state: string }) => progress.push(`${p.method}:${p.state}`));
    try {
      const tokens = await client.listTokens();
      const tokenId = tokens.find((t: { label: string }) => t.label === tokenLabel).id;
      const cert = (await client.listCerts()).find((c: { tokenId: string; hasPrivateKey?: boolean }) => c.tokenId === tokenId);
      const r = await client.signHash({ certId: cert.id, hash, hashAlgorithm: 'sha256', format: 'cms' }, { onProgress: (state: string) => progress.push(`onProgress:${state}`) });
      return { signature: r.signature as string, progress };
    } catch (e) {
      return { reason: (e as { reason?: string }).reason ?? String(e), progress };
    } finally {
      client.close?.();
    }
  }, { url: `ws://127.0.0.1:${apiPort}/`, tokenLabel, hash: HASH });
}

describe('tray', () => {
  it('shows the state icon, the tooltip and the menu 打开互认助手, 环境检测, 开机自启, 关于, 退出', async () => {
    const tray = Tray.all[0]!;
    expect(tray.image.getSize()).toEqual({ width: 32, height: 32 });
    expect(tray.menu!.items.filter((i) => i.type !== 'separator').map((i) => i.label)).toEqual(['打开互认助手', '环境检测', '开机自启', '关于', '退出']);
    // Started with --hidden: no window yet.
    expect(BrowserWindow.getAllWindows().filter((w) => w.isVisible())).toHaveLength(0);
    click('关于');
    await vi.waitFor(() => expect(standIn.messageBoxes.at(-1)).toMatchObject({ title: '关于互认助手' }));
    expect(String(standIn.messageBoxes.at(-1)!.detail)).toContain(`ws://127.0.0.1:${apiPort}/`);
    if (SHOTS) {
      // The native menu drawn as a page, to look at the labels and their order.
      const page = await standIn.browser!.newPage({ viewport: { width: 260, height: 260 } });
      const items = tray.menu!.items.map((i) => (i.type === 'separator' ? '<hr>' : `<div class="${i.enabled === false ? 'off' : ''}">${i.type === 'checkbox' ? (i.checked ? '✓ ' : '&nbsp;&nbsp;&nbsp;') : '&nbsp;&nbsp;&nbsp;'}${i.label}</div>`)).join('');
      await page.setContent(`<meta charset="utf-8"><style>body{font:14px sans-serif;margin:8px}.m{border:1px solid #aaa;box-shadow:2px 2px 6px #0003;width:200px;padding:4px 0}.m div{padding:5px 12px}.off{color:#999}hr{border:0;border-top:1px solid #ddd}</style><img src="data:image/png;base64,${tray.image.toPNG().toString('base64')}"> ${tray.tooltip}<div class="m">${items}</div>`);
      await shot(page, 'tray-menu');
      await page.close();
    }
  });
});

describe('main window', () => {
  it('opens from the tray with the status header, and every page loads without console errors under the CSP', async () => {
    click('打开互认助手');
    const page = await mainPage();
    await page.waitForSelector('body[data-ready]');
    expect(page.url()).toMatch(/src-renderer\/main\.html\?dialogs=none$/);
    expect(await page.locator('#status').innerText()).toContain(`运行中（端口 ${apiPort}）`);
    expect(windowByTitle(/^互认助手$/)!.isVisible()).toBe(true);
    expect(standIn.consoleErrors).toEqual([]);
  });

});

describe('signing from a mall page', () => {
  it('signs with the PIN typed into the PIN window, which comes to the front and hides afterwards', async () => {
    // No key is logged in yet (环境检测 runs later): the site's signature asks the PIN.
    const page = await mallPage();
    const label = token('purchaser').label;
    const result = signFrom(page, label);
    const pin = await pinPage();
    const win = windowByTitle(/输入 CA 密码/)!;
    await pin.locator('dialog.pin[open] #pin-input').waitFor({ timeout: 30_000 });
    expect(win.isVisible()).toBe(true);
    expect(win.isAlwaysOnTop()).toBe(true);
    expect(pin.url()).toMatch(/src-renderer\/dialog\.html\?dialogs=pin$/);
    expect(await pin.locator('dialog.pin[open] .asker').innerText()).toBe(`127.0.0.1:${mallPort}`);
    await shot(pin, 'electron-pin-window');
    await typePin(pin, pins.get(label)!);
    const r = await result;
    expect(r.reason).toBeUndefined();
    // The page was told, while the PIN window asked, that the request waits for the PIN there.
    expect(r.progress).toEqual(['onProgress:waiting-pin', 'sign.hash:waiting-pin']);
    expect(Buffer.from(r.signature!, 'base64').length).toBeGreaterThan(500);
    await vi.waitFor(() => expect(standIn.notifications.at(-1)?.title).toBe('签章完成'));
    await vi.waitFor(() => expect(win.isVisible()).toBe(false));
    await page.close();
  });

  it('asks an untrusted site in the consent window; 拒绝 refuses the request', async () => {
    const page = await mallPage(`http://localhost:${mallPort}`);
    const result = signFrom(page, token('supplier').label);
    const consent = await consentPage();
    await consent.locator('dialog.consent[open]').waitFor({ timeout: 30_000 });
    expect(await consent.locator('dialog.consent[open]').innerText()).toContain(`http://localhost:${mallPort}`);
    expect(windowByTitle(/网站授权/)!.isVisible()).toBe(true);
    await shot(consent, 'electron-consent-window');
    await consent.getByRole('button', { name: '拒绝', exact: true }).click();
    const r = await result;
    expect(r.reason).toBe('USER_DENIED');
    expect(r.progress).toEqual(['tokens.list:waiting-consent']); // the first call that needs the keys asks
    await vi.waitFor(() => expect(windowByTitle(/网站授权/)!.isVisible()).toBe(false));
    await page.close();
  });
});

describe('环境检测', () => {
  it('runs 环境检测 in the main window, each PIN typed into the Electron PIN window', async () => {
    const page = await mainPage();
    await page.click('#run-check');
    const seen: string[] = [];
    const finished = async () => (await page.locator('#check-summary').count()) > 0 && (await page.locator('#run-check[disabled]').count()) === 0;
    const asking = async () => {
      const win = windowByTitle(/输入 CA 密码/);
      return Boolean(win?.isVisible()) && (await (await win!.webContents.page).locator('dialog.pin[open] #pin-input:not([disabled])').count()) > 0;
    };
    for (;;) {
      await until(async () => (await finished()) || (await asking()), 60_000);
      if (await finished()) break;
      const pin = await pinPage();
      const label = (await pin.locator('dialog.pin[open] .facts dd').first().innerText()).split('（')[0]!.trim();
      if (seen.length === 0) await shot(pin, 'electron-pin-window-check');
      seen.push(label);
      await typePin(pin, pins.get(label)!);
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(await page.locator('#check-summary').innerText()).toMatch(/项/);
    // The main window itself shows no dialog: the PIN window does.
    expect(await page.locator('dialog[open]').count()).toBe(0);
  });
});

describe('the pages', () => {
  it('every page a window names exists, loads with the bridge and without console errors, under an enforced CSP', async () => {
    expect(UI_PAGES.every((p) => existsSync(join(ROOT, 'src-renderer', p)))).toBe(true);
    for (const [kind, page] of Object.entries(WINDOW_PAGES)) {
      const win = BrowserWindow.getAllWindows().find((w) => w.webContents.getURL().includes(`/src-renderer/${page.file}?dialogs=${page.dialogs}`));
      expect(win, kind).toBeDefined();
      const p = await win!.webContents.page;
      await p.waitForSelector('body[data-ready]', { state: 'attached' });
      // The meta CSP holds: an inline script does not run.
      const ran = await p.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true';
        document.head.append(s);
        return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
      });
      expect(ran, kind).toBe(false);
    }
    // The blocked inline script above is the only report (CSP violations are console errors).
    expect(standIn.consoleErrors.filter((e) => !/Content Security Policy/.test(e.text))).toEqual([]);
    expect(standIn.consoleErrors.length).toBe(Object.keys(WINDOW_PAGES).length);
  });
});

describe('launches', () => {
  it('a second instance with a ca-assistant:// link hands its command line to the first, which shows the main window, and exits', async () => {
    const main = windowByTitle(/^互认助手$/)!;
    main.close(); // closing hides to the tray
    expect(main.isDestroyed()).toBe(false);
    expect(main.isVisible()).toBe(false);
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(join(import.meta.dirname, 'electron-standin', 'register.mjs')).href, join(ROOT, 'src-main', 'main.ts'), '--', 'ca-assistant://start'], {
      env: { ...process.env, ELECTRON_STANDIN_USER_DATA: userData },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, out).toBe(0);
    await vi.waitFor(() => expect(main.isVisible()).toBe(true));
  });
});

describe('hardening and the IPC gate', () => {
  it('refuses window.open and navigation away from the page', async () => {
    const page = await mainPage();
    let hits = 0;
    const target = createServer((_req, res) => {
      hits++;
      res.end('x');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/evil`;
    const before = standIn.context!.pages().length;
    // A click is a user gesture: Chromium's popup blocker would stop a bare window.open first.
    await page.evaluate((u) => {
      const a = document.createElement('button');
      a.id = 'opener';
      a.textContent = 'open';
      a.addEventListener('click', () => void window.open(u));
      document.body.append(a);
    }, url);
    await page.click('#opener');
    await vi.waitFor(() => expect(standIn.deniedPopups.length).toBeGreaterThan(0));
    await page.evaluate((u) => (location.href = u), url).catch(() => undefined);
    await vi.waitFor(() => expect(standIn.refusedNavigations).toContain(url));
    expect(page.url()).toMatch(/main\.html/);
    expect(standIn.context!.pages().length).toBe(before);
    expect(hits).toBe(0);
    target.close();
  });

  it('drops a call from a window that is not the app\'s own, and from an own window showing a foreign page', async () => {
    // A BrowserWindow the app did not create, with the same preload and page.
    const preload = join(ROOT, 'src-main', 'preload.cjs');
    const own = windowByTitle(/^互认助手$/)!;
    const stranger = new BrowserWindow({ show: false, webPreferences: { ...(own.options.webPreferences ?? {}), preload } });
    await stranger.loadFile(join(ROOT, 'src-renderer', 'dialog.html'));
    const page = await stranger.webContents.page;
    const error = await page.evaluate(() => (window as unknown as { assistant: { getStatus(p: object): Promise<unknown> } }).assistant.getStatus({}).then(() => 'answered', (e: Error) => e.message));
    expect(error).toMatch(/not allowed/);
    stranger.destroy();
    // The app's own main window, made to show another page (as a compromised renderer could).
    const main = await mainPage();
    await own.loadURL(`http://127.0.0.1:${mallPort}/`);
    const foreign = await main.evaluate(() => (window as unknown as { __electronStandInInvoke(c: string, a: unknown[]): Promise<{ ok: boolean; message?: string }> }).__electronStandInInvoke('assistant:call', ['getStatus', {}]));
    expect(foreign).toEqual({ ok: false, message: 'Error: not allowed' });
    // Malformed calls from the app's own page are refused by the same gate and schemas.
    await own.loadFile(join(ROOT, 'src-renderer', 'main.html'), { query: { dialogs: 'none' } });
    const bad = await main.evaluate(async () => {
      const invoke = (window as unknown as { __electronStandInInvoke(c: string, a: unknown[]): Promise<{ ok: boolean; message?: string }> }).__electronStandInInvoke;
      return [
        await invoke('assistant:call', ['noSuchMethod', {}]),
        await invoke('assistant:call', ['answerPin', { id: 'x', kind: 'pin', pin: [999] }]),
        await invoke('assistant:call', [42]),
        await invoke('assistant:call', ['pendingDialogs', { extra: 1 }]),
        await invoke('assistant:call', ['pendingDialogs', {}]),
      ];
    });
    expect(bad.map((b) => b.ok)).toEqual([false, false, false, false, true]);
    expect(bad[4]).toEqual({ ok: true, result: { dialogs: [] } });
  });
});
