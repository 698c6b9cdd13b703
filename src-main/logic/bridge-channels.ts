/**
 * How the preload learns the bridge: the main process passes the method and
 * event names of src-agent/ui/bridge.ts in one renderer argument (a sandboxed
 * preload cannot load modules), and both sides use these IPC channels.
 * preload.cts repeats the three strings; tests/main keeps them equal.
 */
export const CALL_CHANNEL = 'assistant:call';
export const EVENT_CHANNEL = 'assistant:event';
export const BRIDGE_ARG_PREFIX = '--ca-assistant-bridge=';

const NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Encodes method and event names into the renderer argument. Throws on a name that is not a plain identifier. */
export function encodeBridgeArgument(methods: readonly string[], events: readonly string[]): string {
  for (const name of [...methods, ...events]) if (!NAME.test(name)) throw new Error(`bad bridge name: ${name}`);
  return `${BRIDGE_ARG_PREFIX}${methods.join(',')};${events.join(',')}`;
}

/** Decodes it (the preload's logic, for tests); null when absent or malformed. */
export function decodeBridgeArgument(argv: readonly string[]): { methods: string[]; events: string[] } | null {
  const arg = argv.find((a) => a.startsWith(BRIDGE_ARG_PREFIX));
  if (!arg) return null;
  const [methods = '', events = ''] = arg.slice(BRIDGE_ARG_PREFIX.length).split(';');
  const list = (s: string): string[] => s.split(',').filter((n) => NAME.test(n));
  return { methods: list(methods), events: list(events) };
}
