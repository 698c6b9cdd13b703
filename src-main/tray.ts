import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import { trayIconPng } from './logic/tray-icon.js';
import { trayMenu, type TrayCommand, type TrayMenuInput, type TrayMenuItem } from './logic/tray-menu.js';
import { trayState, trayTooltip, type AgentSnapshot } from './logic/tray-state.js';

/** Turns the menu model into Electron's menu template. */
export function menuTemplate(items: TrayMenuItem[], run: (command: TrayCommand) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.kind === 'separator') return { type: 'separator' };
    if (item.kind === 'checkbox') return { type: 'checkbox', label: item.label, checked: item.checked, enabled: item.enabled, click: () => run(item.id) };
    return { label: item.label, enabled: item.enabled, click: () => run(item.id) };
  });
}

/** The tray icon: state icon and tooltip from the agent snapshot, the menu from its model. */
export class AppTray {
  readonly #tray: Tray;
  #state = '';

  constructor(private readonly run: (command: TrayCommand) => void) {
    this.#tray = new Tray(nativeImage.createFromBuffer(trayIconPng('no-key')));
    this.#tray.on('click', () => run('open'));
    this.#tray.on('double-click', () => run('open'));
  }

  update(snapshot: AgentSnapshot, menu: TrayMenuInput): void {
    const state = trayState(snapshot);
    if (state !== this.#state) {
      this.#state = state;
      this.#tray.setImage(nativeImage.createFromBuffer(trayIconPng(state)));
    }
    this.#tray.setToolTip(trayTooltip(snapshot));
    this.#tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(trayMenu(menu), this.run)));
  }

  destroy(): void {
    this.#tray.destroy();
  }
}
