/** BrowserWindow options for the app's windows, as plain data (tested without Electron). */

import type { WindowKind } from '../../src-agent/ui/pages.js';

export type { WindowKind };

/** The subset of Electron's BrowserWindowConstructorOptions the app sets. */
export interface WindowOptions {
  width: number;
  height: number;
  minWidth?: number;
  minHeight?: number;
  title: string;
  show: boolean;
  resizable: boolean;
  minimizable: boolean;
  maximizable: boolean;
  alwaysOnTop: boolean;
  skipTaskbar: boolean;
  autoHideMenuBar: boolean;
  backgroundColor: string;
  webPreferences: {
    preload: string;
    contextIsolation: true;
    sandbox: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    navigateOnDragDrop: false;
    spellcheck: false;
    devTools: boolean;
    additionalArguments: string[];
  };
}

/**
 * Options for a window. Isolation, sandbox and no Node are set explicitly,
 * whatever Electron's defaults are. Dialogs stay on top and out of the taskbar
 * so they come to the front even when the main window is hidden.
 */
export function windowOptions(kind: WindowKind, env: { preload: string; bridgeArgument: string; devTools: boolean }): WindowOptions {
  const dialog = kind !== 'main';
  return {
    width: dialog ? 440 : 960,
    height: dialog ? (kind === 'pin' ? 520 : 360) : 680,
    ...(dialog ? {} : { minWidth: 720, minHeight: 520 }),
    title: kind === 'pin' ? '互认助手 - 输入 CA 密码' : kind === 'consent' ? '互认助手 - 网站授权' : '互认助手',
    show: false,
    resizable: !dialog,
    minimizable: !dialog,
    maximizable: !dialog,
    alwaysOnTop: dialog,
    skipTaskbar: false,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: env.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: env.devTools,
      additionalArguments: [env.bridgeArgument],
    },
  };
}
