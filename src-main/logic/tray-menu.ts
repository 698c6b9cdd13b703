/** The tray menu as plain data; src-main/tray.ts turns it into an Electron Menu. */

export type TrayCommand = 'open' | 'check' | 'toggle-autostart' | 'about' | 'quit';

export type TrayMenuItem =
  | { kind: 'item'; id: TrayCommand; label: string; enabled: boolean }
  | { kind: 'checkbox'; id: TrayCommand; label: string; checked: boolean; enabled: boolean }
  | { kind: 'separator' };

export interface TrayMenuInput {
  /** 开机自启 is on. */
  autostart: boolean;
  /** Auto-start can be changed on this platform/installation. */
  autostartAvailable: boolean;
  /** A 环境检测 is running now. */
  checking: boolean;
}

/** The menu: 打开互认助手, 环境检测, 开机自启, 关于, 退出. */
export function trayMenu(input: TrayMenuInput): TrayMenuItem[] {
  return [
    { kind: 'item', id: 'open', label: '打开互认助手', enabled: true },
    { kind: 'item', id: 'check', label: input.checking ? '环境检测（进行中…）' : '环境检测', enabled: !input.checking },
    { kind: 'separator' },
    { kind: 'checkbox', id: 'toggle-autostart', label: '开机自启', checked: input.autostart, enabled: input.autostartAvailable },
    { kind: 'item', id: 'about', label: '关于', enabled: true },
    { kind: 'separator' },
    { kind: 'item', id: 'quit', label: '退出', enabled: true },
  ];
}
