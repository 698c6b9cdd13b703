/** Shared state of the Electron stand-in: what the tests look at, and Electron-style events. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
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

let resolveExit: (code: number) => void = () => undefined;
standIn.exited = new Promise((r) => (resolveExit = r));
/** Resolves standIn.exited (called once by app.exit). */
export const exited = (code: number): void => resolveExit(code);
