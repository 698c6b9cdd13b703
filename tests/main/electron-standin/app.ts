/** The stand-in's `app`: lifecycle, the single-instance lock, protocol and login-item state. */
import { EventEmitter } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, exited, ROOT, StandInEvent, standIn } from './state.js';
import { BrowserWindow, isWindowPage } from './windows.js';

// ---- app ---------------------------------------------------------------------


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
        return page && isWindowPage(page) ? route.fallback() : route.abort('blockedbyclient');
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
      exited(code);
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
