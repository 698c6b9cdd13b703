/**
 * The one IPC gate (STYLE §7): every message from a renderer passes here and
 * is dropped unless it comes from the main frame of one of the app's own
 * windows showing one of the app's own pages.
 */

export interface IpcSender {
  /** webContents id of the sender. */
  webContentsId: number;
  /** URL of the sending frame; null when the frame is gone. */
  frameUrl: string | null;
  /** The sending frame is the top frame of its webContents. */
  isMainFrame: boolean;
}

export interface IpcGateConfig {
  /** webContents ids of the windows the app created. */
  ownWindowIds: ReadonlySet<number>;
  /** file:// URL of the src-renderer directory, with a trailing slash. */
  rendererBaseUrl: string;
}

export type GateDecision = { accept: true } | { accept: false; reason: 'unknown-window' | 'subframe' | 'foreign-url' };

/** Accepts a sender only when its window is ours, the frame is the main frame and its URL is one of our pages. */
export function ipcGate(sender: IpcSender, config: IpcGateConfig): GateDecision {
  if (!config.ownWindowIds.has(sender.webContentsId)) return { accept: false, reason: 'unknown-window' };
  if (!sender.isMainFrame) return { accept: false, reason: 'subframe' };
  if (sender.frameUrl === null || !isOwnPage(sender.frameUrl, config.rendererBaseUrl)) return { accept: false, reason: 'foreign-url' };
  return { accept: true };
}

/** The URL is a file under the renderer directory (no `..` escapes: URL parsing normalizes them first). */
export function isOwnPage(url: string, rendererBaseUrl: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'file:') return false;
  const path = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  return path.startsWith(rendererBaseUrl) && path.length > rendererBaseUrl.length;
}
