import { app, BrowserWindow, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { logger } from '../src-agent/util/log.js';
import { WINDOW_PAGES, type WindowKind } from '../src-agent/ui/pages.js';
import { windowOptions } from './logic/window-options.js';

const log = logger('windows');

/**
 * The app's windows: one main window (closing hides it to the tray) and one
 * window per dialog kind. Every window is hardened the same way: no new
 * windows, no navigation, no webviews. `ownIds` feeds the IPC gate.
 */
export class Windows {
  readonly ownIds = new Set<number>();
  readonly rendererBaseUrl: string;
  readonly #windows = new Map<WindowKind, BrowserWindow>();
  #quitting = false;

  constructor(
    private readonly rendererDir: string,
    private readonly preload: string,
    private readonly bridgeArgument: string,
  ) {
    this.rendererBaseUrl = pathToFileURL(join(rendererDir, '/')).href;
    app.on('before-quit', () => (this.#quitting = true));
  }

  /** Shows the main window (creating it), restores and focuses it. */
  showMain(): void {
    const win = this.#get('main');
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  /** Brings a dialog to the front with focus, even when the main window is hidden or another app is active. */
  showDialog(kind: 'pin' | 'consent'): void {
    const win = this.#get(kind);
    win.setAlwaysOnTop(true, 'screen-saver');
    win.show();
    win.moveTop();
    win.focus();
    app.focus({ steal: true });
  }

  /** Hides a dialog window once it has nothing to show. */
  hideDialog(kind: 'pin' | 'consent'): void {
    this.#windows.get(kind)?.hide();
  }

  /** Sends an event to every window's page. */
  broadcast(channel: string, ...args: unknown[]): void {
    for (const win of this.#windows.values()) if (!win.isDestroyed()) win.webContents.send(channel, ...args);
  }

  #get(kind: WindowKind): BrowserWindow {
    const existing = this.#windows.get(kind);
    if (existing && !existing.isDestroyed()) return existing;
    const win = new BrowserWindow(windowOptions(kind, { preload: this.preload, bridgeArgument: this.bridgeArgument, devTools: !app.isPackaged }));
    const id = win.webContents.id;
    this.#windows.set(kind, win);
    this.ownIds.add(id);
    harden(win.webContents);
    win.on('close', (event) => {
      // The manual: "检测完成后请勿关闭互认助手" — closing keeps the assistant in the tray.
      if (!this.#quitting) {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => {
      this.ownIds.delete(id);
      this.#windows.delete(kind);
    });
    const page = WINDOW_PAGES[kind];
    void win.loadFile(join(this.rendererDir, page.file), { query: { dialogs: page.dialogs } }).catch((error: Error) => log.warn('page did not load', { kind, error: error.message }));
    return win;
  }
}

/** No window.open, no navigation away from the loaded page, no webviews. */
function harden(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
}
