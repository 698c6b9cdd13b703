/**
 * A small JSON-RPC client over one WebSocket for load and fault tests: calls
 * by id with a deadline (a hung call fails the test instead of hanging it),
 * every pending call rejected when the socket closes, events collected.
 */
import WebSocket from 'ws';

export interface RpcReply {
  id: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: { reason?: string; [k: string]: unknown } };
}

/** Why a call produced no reply. */
export class CallFailed extends Error {
  override name = 'CallFailed';
  constructor(readonly kind: 'timeout' | 'closed', message: string) {
    super(message);
  }
}

interface Waiter {
  resolve(reply: RpcReply): void;
  reject(error: CallFailed): void;
  timer: NodeJS.Timeout;
}

export class RpcClient {
  readonly events: { method: string; params: unknown; at: bigint }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #next = 1;
  #isClosed = false;
  readonly #waiting = new Map<unknown, Waiter>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const at = process.hrtime.bigint();
      const frame = JSON.parse(data.toString()) as RpcReply & { method?: string; params?: unknown };
      if (frame.method !== undefined && frame.id === undefined) {
        this.events.push({ method: frame.method, params: frame.params, at });
        return;
      }
      const waiter = this.#waiting.get(frame.id);
      if (!waiter) return;
      this.#waiting.delete(frame.id);
      clearTimeout(waiter.timer);
      waiter.resolve(frame);
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.#isClosed = true;
        for (const [id, w] of this.#waiting) {
          clearTimeout(w.timer);
          w.reject(new CallFailed('closed', `connection closed (${code}) with call ${String(id)} pending`));
        }
        this.#waiting.clear();
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  /** Opens a connection as a page of `origin`. */
  static open(port: number, origin: string): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { origin, perMessageDeflate: false });
      ws.once('open', () => resolve(new RpcClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  get pending(): number {
    return this.#waiting.size;
  }

  /** Calls `method`; rejects with CallFailed on close or after `timeoutMs` (default 30 s). */
  call(method: string, params: unknown = {}, timeoutMs = 30_000): Promise<RpcReply> {
    const id = this.#next++;
    return this.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }), id, timeoutMs);
  }

  /** Sends a raw text frame and waits for the reply carrying `id` (null: frame-level errors). */
  send(text: string, id: unknown, timeoutMs = 30_000): Promise<RpcReply> {
    return new Promise((resolve, reject) => {
      if (this.#isClosed) return reject(new CallFailed('closed', 'connection already closed'));
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new CallFailed('timeout', `no reply to ${text.slice(0, 80)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
      this.ws.send(text);
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** The stable reason of an error reply. */
export function reasonOf(reply: RpcReply): string | undefined {
  return reply.error?.data?.reason;
}
