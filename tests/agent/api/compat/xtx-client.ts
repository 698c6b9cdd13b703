/** A test client speaking the incumbent clients' wire protocol: `{xtx_func_name, call_cmd_id, param}` → `{call_cmd_id, retVal}`. */
import WebSocket from 'ws';

export interface XtxReply {
  call_cmd_id: string | number;
  retVal: string;
}

export class XtxClient {
  readonly pushes: XtxReply[] = [];
  #next = 1;
  readonly #waiting = new Map<string | number, (reply: XtxReply) => void>();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as XtxReply;
      if (frame.call_cmd_id === 'onUsbkeyChange') {
        this.pushes.push(frame);
        return;
      }
      this.#waiting.get(frame.call_cmd_id)?.(frame);
      this.#waiting.delete(frame.call_cmd_id);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(port: number, origin: string | undefined, path = '/xtxapp/'): Promise<XtxClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { ...(origin !== undefined ? { origin } : {}), maxPayload: 4 * 1024 * 1024 });
      ws.once('open', () => resolve(new XtxClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** Calls a function as the vendors' scripts do (with their extra `URL` and `cookie` fields); resolves with retVal. */
  async call(name: string, ...param: unknown[]): Promise<string> {
    const id = `i_${this.#next++}`;
    const reply = await this.raw(JSON.stringify({ xtx_func_name: name, call_cmd_id: id, param, URL: 'https://forged.example/', cookie: 'JSESSIONID=page-cookie-secret' }), id);
    return reply.retVal;
  }

  /** Sends a text frame; resolves with the reply to `id`, or null when none comes within `waitMs`. */
  raw(text: string, id: string | number): Promise<XtxReply>;
  raw(text: string, id: null, waitMs?: number): Promise<null>;
  raw(text: string, id: string | number | null, waitMs = 300): Promise<XtxReply | null> {
    return new Promise((resolve, reject) => {
      if (id === null) setTimeout(() => resolve(null), waitMs);
      else this.#waiting.set(id, resolve);
      this.closed.then((c) => reject(new Error(`closed ${c.code} ${c.reason}`)), reject);
      this.ws.send(text);
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** GM/T 0020 codes the tests read back through SOF_GetLastError. */
export const CODES = { OK: 0, INDATA: 0x0b000201, NOT_SUPPORT_YET: 0x0b000002, VERIFY: 0x0b000410, ORIGIN: 0x0b00f001, DENIED: 0x0b00f002, CANCELLED: 0x0b00f003, CERT_NOT_FOUND: 0x0b000310 };
