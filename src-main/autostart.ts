import { app } from 'electron';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { linuxAutostartEntry } from './logic/launch.js';

const LINUX_SYSTEM_ENTRY = '/etc/xdg/autostart/ca-assistant.desktop';
const linuxUserEntry = (): string => join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'autostart', 'ca-assistant.desktop');
const ARGS = ['--hidden'];

/**
 * 开机自启. Windows: the installer's HKLM Run entry starts it for everyone;
 * the checkbox is the per-user login item (and its StartupApproved switch).
 * Linux: the deb's /etc/xdg/autostart entry, overridden per user by
 * ~/.config/autostart/ca-assistant.desktop (Hidden=true turns it off).
 */
export function autostartEnabled(): boolean {
  if (process.platform === 'linux') {
    const user = linuxUserEntry();
    if (existsSync(user)) return !/^Hidden=true$/m.test(readFileSync(user, 'utf8'));
    return existsSync(LINUX_SYSTEM_ENTRY);
  }
  const settings = app.getLoginItemSettings({ args: ARGS });
  return settings.openAtLogin || settings.executableWillLaunchAtLogin;
}

/** Turns auto-start on or off for this user. */
export function setAutostart(enabled: boolean): void {
  if (process.platform === 'linux') {
    const file = linuxUserEntry();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, linuxAutostartEntry(process.env.APPIMAGE ?? process.execPath, enabled));
    return;
  }
  app.setLoginItemSettings({ openAtLogin: enabled, enabled, args: ARGS });
}
