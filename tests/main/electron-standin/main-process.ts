/**
 * A thin stand-in for the Electron main-process API that src-main uses, over
 * real Chromium driven by Playwright (the Electron binary cannot be
 * downloaded on these machines). Tests resolve `electron` to this module
 * (vi.mock in process, tests/main/electron-standin/hooks.mjs in a child
 * process); src-main itself is unchanged. What it mirrors and what it cannot
 * is listed in docs/architecture.md ("The Electron stand-in").
 */
export { StandInEvent, standIn } from './state.js';
export { app } from './app.js';
export { BrowserWindow, ipcMain, WebContents, type IpcMainInvokeEvent, type WebFrameMain } from './windows.js';
export { dialog, Menu, nativeImage, Notification, shell, Tray, type MenuItem, type NativeImage } from './desktop.js';
import { app } from './app.js';
import { dialog, Menu, nativeImage, Notification, shell, Tray } from './desktop.js';
import { BrowserWindow, ipcMain } from './windows.js';

export default { app, BrowserWindow, ipcMain, Menu, Tray, nativeImage, shell, dialog, Notification };
