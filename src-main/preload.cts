/**
 * The preload of every window: exposes `window.assistant` (AssistantBridge from
 * src-agent/ui/bridge.ts) and nothing else. Sandboxed preloads cannot load our
 * modules, so the method and event names come from the main process in one
 * renderer argument (logic/bridge-channels.ts) and every call goes through the
 * main process's IPC gate, which validates it against the same definition.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { AssistantBridge } from '../src-agent/ui/bridge.js';

const CALL_CHANNEL = 'assistant:call';
const EVENT_CHANNEL = 'assistant:event';
const BRIDGE_ARG_PREFIX = '--ca-assistant-bridge=';
const NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

const arg = process.argv.find((a) => a.startsWith(BRIDGE_ARG_PREFIX)) ?? BRIDGE_ARG_PREFIX;
const [methodList = '', eventList = ''] = arg.slice(BRIDGE_ARG_PREFIX.length).split(';');
const methods = methodList.split(',').filter((n) => NAME.test(n));
const events = new Set(eventList.split(',').filter((n) => NAME.test(n)));

const handlers = new Map<string, Set<(payload: unknown) => void>>();
ipcRenderer.on(EVENT_CHANNEL, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return;
  for (const handler of handlers.get(name) ?? []) handler(payload);
});

const bridge: Record<string, unknown> = {
  on(event: string, handler: (payload: unknown) => void): () => void {
    if (!events.has(event) || typeof handler !== 'function') throw new TypeError(`unknown bridge event: ${String(event)}`);
    const set = handlers.get(event) ?? new Set();
    handlers.set(event, set);
    set.add(handler);
    return () => void set.delete(handler);
  },
};
for (const method of methods) {
  bridge[method] = (params: unknown) => ipcRenderer.invoke(CALL_CHANNEL, method, params ?? {});
}

// The cast is checked in spirit by the main process: it builds the argument from BRIDGE_METHODS/BRIDGE_EVENTS.
contextBridge.exposeInMainWorld('assistant', bridge as unknown as AssistantBridge);
