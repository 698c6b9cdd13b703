/**
 * The page side of the Electron stand-in: what `require('electron')` gives the
 * real preload (src-main/preload.cts) when tests bundle it. `ipcRenderer.invoke`
 * goes to the main side through a Playwright binding (which carries the
 * sending page and frame); `webContents.send` arrives through `deliver`.
 */
type Listener = (event: { sender: unknown }, ...args: unknown[]) => void;
type Invoke = (channel: string, args: unknown[]) => Promise<{ ok: true; result: unknown } | { ok: false; message: string }>;

const scope = globalThis as unknown as { __electronStandInInvoke: Invoke; __electronStandInDeliver?: (channel: string, args: unknown[]) => void };
const listeners = new Map<string, Set<Listener>>();

interface IpcRenderer {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: Listener): IpcRenderer;
}

export const ipcRenderer: IpcRenderer = {
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    // Electron copies arguments with the structured clone algorithm; JSON is what our bridge sends.
    const answer = await scope.__electronStandInInvoke(channel, JSON.parse(JSON.stringify(args)) as unknown[]);
    if (!answer.ok) throw new Error(`Error invoking remote method '${channel}': ${answer.message}`);
    return answer.result;
  },
  on(channel: string, listener: Listener): IpcRenderer {
    const set = listeners.get(channel) ?? new Set();
    listeners.set(channel, set);
    set.add(listener);
    return ipcRenderer;
  },
};

Object.defineProperty(scope, '__electronStandInDeliver', {
  value: (channel: string, args: unknown[]) => {
    for (const listener of listeners.get(channel) ?? []) listener({ sender: ipcRenderer }, ...args);
  },
  configurable: false,
  writable: false,
});

export const contextBridge = {
  /** Electron copies the API into the main world; the stand-in defines a frozen copy there. */
  exposeInMainWorld(key: string, api: Record<string, unknown>): void {
    Object.defineProperty(window, key, { value: Object.freeze({ ...api }), configurable: false, writable: false, enumerable: true });
  },
};
