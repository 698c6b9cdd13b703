const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * True when a `Host` header names this server on loopback: `127.0.0.1:PORT`,
 * `localhost:PORT` or `[::1]:PORT`. Anything else (a DNS-rebinding name, a
 * missing or other port) is refused. Shared by the API and the headless UI.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return LOOPBACK_NAMES.some((name) => host.toLowerCase() === `${name}:${port}`);
}
