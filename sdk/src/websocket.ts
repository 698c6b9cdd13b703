/**
 * The part of the WebSocket API the SDK uses. The browser's WebSocket and
 * the `ws` package's both fit. Handlers take `never` so that either's event
 * types are assignable; the SDK reads only `data` (message) and `code` (close).
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const WS_OPEN = 1;
/** The message of openSocket's rejection when the attempt timed out (no error event). */
export const CONNECT_TIMEOUT = 'connect timeout';

/** Opens a socket, resolving once open; rejects on error, close or after `timeoutMs`. */
export function openSocket(Impl: WebSocketConstructor, url: string, timeoutMs: number): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    const socket = new Impl(url);
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.onopen = socket.onclose = null;
      // ws emits 'error' when a connecting socket is closed; an unheard error event would throw.
      socket.onerror = () => {};
      if (error) {
        try {
          socket.close();
        } catch {
          // Closing a socket that never opened may throw in some implementations; it is gone either way.
        }
        reject(error);
      } else {
        resolve(socket);
      }
    };
    const timer = setTimeout(() => done(new Error(CONNECT_TIMEOUT)), timeoutMs);
    socket.onopen = () => done();
    socket.onerror = () => done(new Error('connect error'));
    socket.onclose = () => done(new Error('closed before open'));
  });
}
