/** What the tray icon shows, derived from the agent's state (no Electron here). */

/** The four tray states: no key, a key present, a key logged in, a problem. */
export type TrayState = 'no-key' | 'key-present' | 'logged-in' | 'error';

export interface AgentSnapshot {
  /** The tokens the agent sees now. */
  tokens: readonly { loggedIn: boolean; pin: { locked: boolean } }[];
  /** The API could not start (e.g. port taken) or the core failed; null when fine. */
  problem: string | null;
}

/** The tray state for a snapshot: a problem wins, then any login, then any key. A locked PIN is a problem. */
export function trayState(snapshot: AgentSnapshot): TrayState {
  if (snapshot.problem !== null) return 'error';
  if (snapshot.tokens.some((t) => t.pin.locked)) return 'error';
  if (snapshot.tokens.some((t) => t.loggedIn)) return 'logged-in';
  return snapshot.tokens.length > 0 ? 'key-present' : 'no-key';
}

const TOOLTIPS: Record<TrayState, string> = {
  'no-key': '互认助手：未检测到 CA 锁，请插入 USB Key',
  'key-present': '互认助手：已插入 CA 锁，请点击「环境检测」',
  'logged-in': '互认助手：环境检测已完成，可以签章',
  error: '互认助手：出现问题，请打开互认助手查看',
};

/** The tray tooltip for a snapshot (Chinese; the problem text is appended when there is one). */
export function trayTooltip(snapshot: AgentSnapshot): string {
  const state = trayState(snapshot);
  if (state === 'error' && snapshot.problem !== null) return `${TOOLTIPS.error}（${snapshot.problem}）`;
  if (state === 'error') return '互认助手：CA 锁 PIN 已锁定，请联系 CA 机构解锁';
  return TOOLTIPS[state];
}
