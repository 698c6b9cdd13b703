/**
 * A thin stand-in for the Electron main-process API that src-main uses, over
 * real Chromium driven by Playwright (the Electron binary cannot be
 * downloaded on these machines). Tests resolve `electron` to this module
 * (vi.mock in process, tests/main/electron-standin/hooks.mjs in a child
 * process); src-main itself is unchanged. What it mirrors and what it cannot
 * is listed in docs/architecture.md ("The Electron stand-in").
 */
import { build } from 'esbuild';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  // Electron loads ES module scripts from file:// pages; plain Chromium needs this switch for that.
  '--allow-file-access-from-files'];

// What Electron's main process reports; the version the app is built against.
Object.defineProperty(process.versions, 'electron', { value: (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version, enumerable: true });

/** An Electron-style event: `preventDefault()` cancels the default action. */
export class StandInEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** What the tests look at: windows, trays, notifications, dialogs, opened paths, console errors. */
export const standIn = {
  browser: null as Browser | null,
  context: null as BrowserContext | null,
  notifications: [] as { title: string; body: string }[],
  messageBoxes: [] as Record<string, unknown>[],
  openedPaths: [] as string[],
  openedExternal: [] as string[],
  /** Console errors and page errors, per window URL. */
  consoleErrors: [] as { url: string; text: string }[],
  /** Popups opened and closed by the window-open handler. */
  deniedPopups: [] as string[],
  /** Navigations a page started and will-navigate refused. */
  refusedNavigations: [] as string[],
  exitCode: null as number | null,
  exited: null as Promise<number> | null,
};

// ---- app ---------------------------------------------------------------------

let resolveExit: (code: number) => void = () => undefined;
standIn.exited = new Promise((r) => (resolveExit = r));

class App extends EventEmitter {
  readonly isPackaged = false;
  #ready = false;
  #readyPromise: Promise<void> | null = null;
  #protocols = new Set<string>();
  #singleton: Server | null = null;
  #lockFile: string | null = null;
  #pendingSends: Promise<void>[] = [];
  #loginItem = { openAtLogin: false };

  /** userData: Electron's per-user app directory; tests set ELECTRON_STANDIN_USER_DATA. */
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`stand-in: getPath(${name}) not mirrored`);
    const dir = process.env.ELECTRON_STANDIN_USER_DATA;
    if (!dir) throw new Error('stand-in: ELECTRON_STANDIN_USER_DATA is not set');
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  getAppPath(): string {
    return ROOT;
  }

  getVersion(): string {
    return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  }

  /**
   * Electron's ProcessSingleton on Linux: a lock in userData and a socket the
   * second instance sends its command line to; the first emits 'second-instance'.
   */
  requestSingleInstanceLock(): boolean {
    const dir = this.getPath('userData');
    const lock = join(dir, 'SingletonLock');
    const socket = join(dir, 'SingletonSocket');
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
    } catch {
      const holder = Number(readFileSync(lock, 'utf8'));
      if (holder && alive(holder)) {
        this.#pendingSends.push(sendToFirst(socket, process.argv, process.cwd()));
        return false;
      }
      rmSync(lock, { force: true });
      return this.requestSingleInstanceLock();
    }
    this.#lockFile = lock;
    rmSync(socket, { force: true });
    this.#singleton = createServer((conn) => {
      let data = '';
      conn.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      conn.on('end', () => {
        try {
          const { argv, cwd } = JSON.parse(data) as { argv: string[]; cwd: string };
          this.emit('second-instance', new StandInEvent(), argv, cwd, null);
        } catch {
          // Electron ignores a malformed singleton message too.
        }
      });
    }).listen(socket);
    return true;
  }

  whenReady(): Promise<void> {
    this.#readyPromise ??= (async () => {
      const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
      standIn.browser = browser;
      standIn.context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
      // A page that is no BrowserWindow (a popup) loads nothing: Electron never creates it when the handler denies.
      await standIn.context.route('**/*', (route) => {
        let page: Page | null = null;
        try {
          page = route.request().frame().page();
        } catch {
          // A popup's first navigation: issued before its frame exists.
        }
        return page && windowPages.has(page) ? route.fallback() : route.abort('blockedbyclient');
      });
      this.#ready = true;
      this.emit('ready');
    })();
    return this.#readyPromise;
  }

  isReady(): boolean {
    return this.#ready;
  }

  setAsDefaultProtocolClient(scheme: string): boolean {
    this.#protocols.add(scheme);
    return true;
  }

  isDefaultProtocolClient(scheme: string): boolean {
    return this.#protocols.has(scheme);
  }

  getLoginItemSettings(): { openAtLogin: boolean; executableWillLaunchAtLogin: boolean } {
    return { openAtLogin: this.#loginItem.openAtLogin, executableWillLaunchAtLogin: this.#loginItem.openAtLogin };
  }

  setLoginItemSettings(settings: { openAtLogin?: boolean }): void {
    this.#loginItem.openAtLogin = Boolean(settings.openAtLogin);
  }

  focus(): void {}

  /** Electron: 'before-quit' (cancellable), then the windows close, then the app exits. */
  quit(): void {
    const event = new StandInEvent();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.exit(0);
  }

  exit(code = 0): void {
    if (standIn.exitCode !== null) return;
    standIn.exitCode = code;
    void (async () => {
      await Promise.allSettled(this.#pendingSends);
      this.#singleton?.close();
      if (this.#lockFile) rmSync(this.#lockFile, { force: true });
      for (const win of BrowserWindow.getAllWindows()) win.destroy();
      await standIn.browser?.close().catch(() => undefined);
      resolveExit(code);
      // A child process (second instance) ends here; in a test process the test goes on.
      if (process.env.ELECTRON_STANDIN_PROCESS === '1') process.exit(code);
    })();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sendToFirst(socket: string, argv: string[], cwd: string): Promise<void> {
  return new Promise((done) => {
    const conn = connect(socket, () => conn.end(JSON.stringify({ argv, cwd })));
    conn.on('close', () => done());
    conn.on('error', () => done());
  });
}

export const app = new App();

// ---- ipcMain -----------------------------------------------------------------

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
const handlers = new Map<string, Handler>();

export interface WebFrameMain {
  readonly url: string;
  readonly name: string;
}
export interface IpcMainInvokeEvent {
  sender: WebContents;
  senderFrame: WebFrameMain | null;
  frameId: number;
  processId: number;
}

export const ipcMain = {
  handle(channel: string, handler: Handler): void {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    handlers.delete(channel);
  },
};

/** An invoke from a page: the sender is the window's webContents, the frame the one that called. */
async function dispatchInvoke(contents: WebContents, frame: Frame, channel: string, args: unknown[]): Promise<{ ok: true; result: unknown } | { ok: false; message: string }> {
  const handler = handlers.get(channel);
  if (!handler) return { ok: false, message: `No handler registered for '${channel}'` };
  try {
    const result = await handler({ sender: contents, senderFrame: contents.frameFor(frame), frameId: 0, processId: 0 }, ...args);
    return { ok: true, result: result === undefined ? undefined : structuredClone(result) };
  } catch (error) {
    return { ok: false, message: `${(error as Error).name ?? 'Error'}: ${(error as Error).message}` };
  }
}

// ---- the preload -------------------------------------------------------------

const preloadBundles = new Map<string, Promise<string>>();

/**
 * The real preload, bundled for the page with `electron` resolved to
 * ./renderer.ts. A `preload.cjs` path that is not built yet (tests run
 * src-main from sources) is read from its `preload.cts` source, which tsc
 * compiles 1:1.
 */
function preloadBundle(path: string): Promise<string> {
  const file = existsSync(path) ? path : path.replace(/\.cjs$/, '.cts');
  let bundle = preloadBundles.get(file);
  if (!bundle) {
    bundle = build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
      plugins: [{ name: 'electron-renderer', setup: (b) => b.onResolve({ filter: /^electron$/ }, () => ({ path: fileURLToPath(new URL('./renderer.ts', import.meta.url)) })) }],
    }).then((r) => r.outputFiles[0]!.text);
    preloadBundles.set(file, bundle);
  }
  return bundle;
}

// ---- BrowserWindow and webContents ------------------------------------------

let nextContentsId = 1;
const windowPages = new WeakSet<Page>();

interface WebPreferences {
  preload?: string;
  additionalArguments?: string[];
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
}

export class WebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly page: Promise<Page>;
  readonly session = {
    permissionHandler: null as null | ((wc: WebContents, permission: string, callback: (granted: boolean) => void) => void),
    setPermissionRequestHandler: (handler: (wc: WebContents, permission: string, callback: (granted: boolean) => void) => void) => {
      this.session.permissionHandler = handler;
    },
  };
  #frames = new WeakMap<Frame, WebFrameMain>();
  #mainFrame: WebFrameMain | null = null;
  #pageSync: Page | null = null;
  #openHandler: (details: { url: string }) => { action: 'allow' | 'deny' } = () => ({ action: 'allow' });
  #destroyed = false;
  #loading: string | null = null;
  #sends: Promise<unknown> = Promise.resolve();

  constructor(prefs: WebPreferences) {
    super();
    const context = standIn.context;
    if (!context) throw new Error('stand-in: BrowserWindow before app is ready');
    this.page = (async () => {
      const page = await context.newPage();
      windowPages.add(page);
      this.#pageSync = page;
      await page.exposeBinding('__electronStandInInvoke', (source, channel: string, args: unknown[]) => dispatchInvoke(this, source.frame, channel, Array.isArray(args) ? args : []));
      if (prefs.preload) {
        const code = await preloadBundle(prefs.preload);
        const argv = ['electron-standin-renderer', ...(prefs.additionalArguments ?? [])];
        // Electron runs the preload in the main frame only (nodeIntegrationInSubFrames: false).
        await page.addInitScript(`(function (process) { if (window.top !== window) return; ${code}\n})(${JSON.stringify({ argv })});`);
      }
      page.on('console', (m) => m.type() === 'error' && standIn.consoleErrors.push({ url: page.url(), text: m.text() }));
      page.on('pageerror', (e) => standIn.consoleErrors.push({ url: page.url(), text: e.message }));
      page.on('popup', (popup) => void this.#onPopup(popup));
      // will-navigate: navigations the page starts itself (loadURL's own are not asked).
      await page.route('**/*', async (route) => {
        const request = route.request();
        if (!request.isNavigationRequest() || request.frame() !== page.mainFrame() || request.url() === this.#loading) return route.continue();
        const event = new StandInEvent();
        this.emit('will-navigate', event, request.url());
        if (event.defaultPrevented) {
          standIn.refusedNavigations.push(request.url());
          return route.abort('aborted');
        }
        return route.continue();
      });
      return page;
    })();
  }

  async #onPopup(popup: Page): Promise<void> {
    const url = popup.url();
    if (this.#openHandler({ url }).action === 'deny') {
      standIn.deniedPopups.push(url);
      await popup.close().catch(() => undefined);
    }
  }

  /** The WebFrameMain of a Playwright frame; the main frame is always the same object. */
  frameFor(frame: Frame): WebFrameMain | null {
    if (frame.isDetached()) return null;
    if (this.#pageSync && frame === this.#pageSync.mainFrame()) return this.mainFrame;
    let wrapper = this.#frames.get(frame);
    if (!wrapper) {
      wrapper = { get url() { return frame.url(); }, get name() { return frame.name(); } };
      this.#frames.set(frame, wrapper);
    }
    return wrapper;
  }

  get mainFrame(): WebFrameMain {
    const current = (): Page | null => this.#pageSync;
    this.#mainFrame ??= { get url() { return current()?.mainFrame().url() ?? ''; }, name: '' };
    return this.#mainFrame;
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.#openHandler = handler;
  }

  async loadURL(url: string): Promise<void> {
    const page = await this.page;
    this.#loading = url;
    try {
      await page.goto(url, { waitUntil: 'load' });
    } finally {
      this.#loading = null;
    }
    this.emit('did-finish-load');
  }

  getURL(): string {
    return this.#pageSync?.url() ?? '';
  }

  /** Sends to the page's ipcRenderer listeners, in order (dropped while no page listens, as in Electron). */
  send(channel: string, ...args: unknown[]): void {
    const payload = structuredClone(args);
    this.#sends = this.#sends.then(async () => {
      const page = await this.page;
      await page.evaluate(([c, a]) => (globalThis as unknown as { __electronStandInDeliver?: (c: string, a: unknown[]) => void }).__electronStandInDeliver?.(c, a), [channel, payload] as const).catch(() => undefined);
    });
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    void this.page.then((p) => p.close()).catch(() => undefined);
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly #all = new Set<BrowserWindow>();
  static getAllWindows(): BrowserWindow[] {
    return [...BrowserWindow.#all];
  }

  readonly webContents: WebContents;
  readonly options: Record<string, unknown> & { title?: string; width?: number; height?: number; show?: boolean; webPreferences?: WebPreferences };
  #visible: boolean;
  #focused = false;
  #alwaysOnTop: boolean;
  #destroyed = false;

  constructor(options: BrowserWindow['options'] = {}) {
    super();
    this.options = options;
    this.#visible = options.show !== false;
    this.#alwaysOnTop = Boolean(options.alwaysOnTop);
    this.webContents = new WebContents(options.webPreferences ?? {});
    void this.webContents.page.then((p) => p.setViewportSize({ width: options.width ?? 800, height: options.height ?? 600 })).catch(() => undefined);
    BrowserWindow.#all.add(this);
  }

  /** loadFile(path, { query, hash }): the file:// URL of the file with the query. */
  loadFile(file: string, options: { query?: Record<string, string>; hash?: string } = {}): Promise<void> {
    const url = pathToFileURL(file);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    if (options.hash) url.hash = options.hash;
    return this.webContents.loadURL(url.href);
  }

  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }

  show(): void {
    this.#visible = true;
    this.#focused = true;
    this.emit('show');
  }
  hide(): void {
    this.#visible = false;
    this.#focused = false;
    this.emit('hide');
  }
  isVisible(): boolean {
    return this.#visible && !this.#destroyed;
  }
  focus(): void {
    this.#focused = true;
  }
  isFocused(): boolean {
    return this.#focused;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  moveTop(): void {}
  setAlwaysOnTop(flag: boolean): void {
    this.#alwaysOnTop = flag;
  }
  isAlwaysOnTop(): boolean {
    return this.#alwaysOnTop;
  }
  getTitle(): string {
    return this.options.title ?? '';
  }

  /** 'close' is cancellable; then the window is destroyed and 'closed' follows. */
  close(): void {
    const event = new StandInEvent();
    this.emit('close', event);
    if (!event.defaultPrevented) this.destroy();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.webContents.destroy();
    BrowserWindow.#all.delete(this);
    this.emit('closed');
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }
}

// ---- Tray, Menu, nativeImage -------------------------------------------------

export interface MenuItem {
  type?: 'normal' | 'separator' | 'checkbox';
  label?: string;
  checked?: boolean;
  enabled?: boolean;
  click?: () => void;
}

export class Menu {
  constructor(readonly items: MenuItem[]) {}
  static buildFromTemplate(template: MenuItem[]): Menu {
    return new Menu(template.map((item) => ({ type: 'normal', enabled: true, ...item })));
  }
}

export interface NativeImage {
  toPNG(): Buffer;
  isEmpty(): boolean;
  getSize(): { width: number; height: number };
}

export const nativeImage = {
  createFromBuffer(buffer: Buffer): NativeImage {
    const png = buffer.length > 24 && buffer.subarray(1, 4).toString('latin1') === 'PNG';
    return { toPNG: () => Buffer.from(buffer), isEmpty: () => !png, getSize: () => (png ? { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) } : { width: 0, height: 0 }) };
  },
};

export class Tray extends EventEmitter {
  static readonly all: Tray[] = [];
  image: NativeImage;
  tooltip = '';
  menu: Menu | null = null;
  #destroyed = false;
  constructor(image: NativeImage) {
    super();
    this.image = image;
    Tray.all.push(this);
  }
  setImage(image: NativeImage): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: Menu): void {
    this.menu = menu;
  }
  destroy(): void {
    this.#destroyed = true;
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
}

// ---- shell, dialog, Notification ---------------------------------------------

export const shell = {
  openPath(path: string): Promise<string> {
    standIn.openedPaths.push(path);
    return Promise.resolve('');
  },
  openExternal(url: string): Promise<void> {
    standIn.openedExternal.push(url);
    return Promise.resolve();
  },
};

export const dialog = {
  showMessageBox(options: Record<string, unknown>): Promise<{ response: number; checkboxChecked: boolean }> {
    standIn.messageBoxes.push(options);
    return Promise.resolve({ response: 0, checkboxChecked: false });
  },
};

export class Notification {
  static isSupported(): boolean {
    return true;
  }
  constructor(private readonly options: { title: string; body: string }) {}
  show(): void {
    standIn.notifications.push({ title: this.options.title, body: this.options.body });
  }
}

export default { app, BrowserWindow, ipcMain, Menu, Tray, nativeImage, shell, dialog, Notification };
