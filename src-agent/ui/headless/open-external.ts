import { spawn } from 'node:child_process';

/** True when a desktop session exists to open a browser or folder in (DISPLAY/WAYLAND_DISPLAY on Linux; always on Windows and macOS). */
export function hasDesktop(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'win32' || platform === 'darwin') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/**
 * Opens a URL or folder with the desktop's default handler (`xdg-open`,
 * `open`, `explorer`). Resolves false without trying when there is no desktop
 * or the opener cannot be started. Never waits for the opened program.
 */
export function openExternal(target: string): Promise<boolean> {
  if (!hasDesktop()) return Promise.resolve(false);
  // explorer.exe takes the target as one argument; `start` would need a shell.
  const [cmd, args] = process.platform === 'win32' ? ['explorer.exe', [target]] : process.platform === 'darwin' ? ['open', [target]] : ['xdg-open', [target]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
