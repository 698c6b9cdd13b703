/** What a launch asks for, from its command line (first launch or a second instance). */

export const PROTOCOL_SCHEME = 'ca-assistant';

export interface LaunchRequest {
  /** Started at login (`--hidden`): stay in the tray. */
  hidden: boolean;
  /** A `ca-assistant://` link that started or re-activated the app; only `start` is known. */
  protocol: 'start' | 'unknown' | null;
}

/**
 * Reads a command line. Only `--hidden` and a `ca-assistant:` URL are looked at;
 * anything else (Chromium switches, paths) is ignored. A link opened from a web page
 * never does more than show the app.
 */
export function parseLaunch(argv: readonly string[]): LaunchRequest {
  let protocol: LaunchRequest['protocol'] = null;
  for (const arg of argv) {
    if (!arg.toLowerCase().startsWith(`${PROTOCOL_SCHEME}:`)) continue;
    let action = '';
    try {
      const url = new URL(arg);
      action = (url.hostname || url.pathname.replace(/^\/+/, '')).toLowerCase().replace(/\/+$/, '');
    } catch {
      action = '';
    }
    protocol = action === 'start' || action === '' ? 'start' : 'unknown';
  }
  return { hidden: argv.includes('--hidden') && protocol === null, protocol };
}

/** The machine config the installer writes: %ProgramData%\ca-assistant\config.json, /etc/ca-assistant/config.json. */
export function machineConfigPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (platform === 'win32') return `${env.ProgramData ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData'}\\ca-assistant\\config.json`;
  if (platform === 'darwin') return '/Library/Application Support/ca-assistant/config.json';
  return '/etc/ca-assistant/config.json';
}

/** `--config FILE` from the command line, else undefined. */
export function configArgument(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--config');
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
}

/** The per-user autostart entry on Linux (~/.config/autostart/ca-assistant.desktop); `Hidden=true` turns the system entry off. */
export function linuxAutostartEntry(execPath: string, enabled: boolean): string {
  const exec = /[\s"'\\]/.test(execPath) ? `"${execPath.replace(/(["\\`$])/g, '\\$1')}"` : execPath;
  return ['[Desktop Entry]', 'Type=Application', 'Name=互认助手', `Exec=${exec} --hidden`, 'Terminal=false', `Hidden=${enabled ? 'false' : 'true'}`, `X-GNOME-Autostart-enabled=${enabled}`, ''].join('\n');
}
