/** The stand-in's ipcMain, BrowserWindow and webContents over Playwright pages, with the real preload bundled for the page. */
import { build } from 'esbuild';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Frame, Page } from 'playwright-core';
import { StandInEvent, standIn } from './state.js';

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
      // Electron never creates a denied window: it counts as denied once Chromium's is gone.
      await popup.close().catch(() => undefined);
      standIn.deniedPopups.push(url);
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

/** The page is a BrowserWindow's (anything else in the context is a popup that must load nothing). */
export function isWindowPage(page: Page): boolean {
  return windowPages.has(page);
}
