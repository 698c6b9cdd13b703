/**
 * The compatibility endpoint: `ws://127.0.0.1:21051/xtxapp/`, the wire
 * protocol of the incumbent CA vendors' local clients, over the same core and
 * the same security as protocol v1: loopback only, the `Host` must be
 * loopback, the browser's `Origin` header decides who calls (never the `URL`
 * or `cookie` fields pages send), the same connection and rate limits.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { HANDSHAKE_TIMEOUT_MS, MAX_CONNECTIONS_PER_ORIGIN, MAX_CONNECTIONS_TOTAL, XTX_MAX_FRAME_BYTES } from '../../limits.js';
import { logger } from '../../util/log.js';
import type { ApiServices } from '../context.js';
import { classifyOrigin, isLoopbackHost } from '../origin-policy.js';
import { Session } from '../session.js';
import { USBKEY_CHANGE_FRAME, XtxDispatcher } from './xtx-dispatcher.js';
import type { XtxState } from './xtx-types.js';

const log = logger('xtx');

/** The path the incumbent clients' scripts open. */
export const XTX_PATH = '/xtxapp/';

export interface CompatServer {
  port: number;
  close(): Promise<void>;
}

function refuse(socket: Socket, status: 403 | 404 | 503, text: string): void {
  const body = Buffer.from(text + '\n', 'utf8');
  const word = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.end(`HTTP/1.1 ${status} ${word}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('utf8')}`);
  setTimeout(() => socket.destroy(), 100).unref();
}

/**
 * Listens on loopback. Rejects (EADDRINUSE) when another program, typically
 * another vendor's client, holds the port.
 */
export async function startCompatServer(services: ApiServices, port: number, host = '127.0.0.1'): Promise<CompatServer> {
  const { core, consents } = services;
  const rpc = new XtxDispatcher(services);
  const sessions = new Map<WebSocket, { session: Session; state: XtxState }>();
  const perOrigin = new Map<string, number>();
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket', Connection: 'close' });
    res.end('互认助手兼容接口，只接受 WebSocket 连接。CA assistant compatibility endpoint; use a WebSocket.\n');
  });
  http.headersTimeout = HANDSHAKE_TIMEOUT_MS;
  http.requestTimeout = HANDSHAKE_TIMEOUT_MS;
  const wss = new WebSocketServer({ noServer: true, maxPayload: XTX_MAX_FRAME_BYTES, perMessageDeflate: false });
  let bound = 0;
  const handshakeTimers = new WeakMap<Socket, NodeJS.Timeout>();
  // A socket that does not finish its upgrade in time is dropped, as on the protocol v1 port.
  http.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    handshakeTimers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });

  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const origin = req.headers.origin;
    const path = (req.url ?? '').split('?')[0];
    if (path !== XTX_PATH && path !== '/xtxapp') return refuse(socket, 404, '只有 /xtxapp/ (only /xtxapp/)');
    if (!isLoopbackHost(req.headers.host, bound)) return refuse(socket, 403, '拒绝连接：Host 不是本机地址 (Host must be loopback)');
    if (typeof origin !== 'string' || origin.length === 0 || origin.length > 300) return refuse(socket, 403, '拒绝连接：缺少 Origin (Origin required)');
    const count = perOrigin.get(origin) ?? 0;
    if (sessions.size >= MAX_CONNECTIONS_TOTAL || count >= MAX_CONNECTIONS_PER_ORIGIN) return refuse(socket, 503, '连接过多 (too many connections)');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clearTimeout(handshakeTimers.get(socket));
      accept(ws, origin);
    });
  });

  function accept(ws: WebSocket, origin: string): void {
    const session = new Session(origin, classifyOrigin(origin, core.config.trustedOrigins));
    const state: XtxState = { lastError: 0 };
    sessions.set(ws, { session, state });
    perOrigin.set(origin, (perOrigin.get(origin) ?? 0) + 1);
    log.info('connected', { origin, class: session.originClass, session: session.id });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text frames only');
      void rpc.dispatch(session, state, data.toString()).then((answer) => answer !== null && ws.readyState === ws.OPEN && ws.send(answer));
    });
    ws.on('error', (error) => log.info('socket error', { session: session.id, error: error.message }));
    ws.on('close', () => {
      session.close();
      sessions.delete(ws);
      const left = (perOrigin.get(origin) ?? 1) - 1;
      if (left > 0) perOrigin.set(origin, left);
      else perOrigin.delete(origin);
    });
  }

  // onUsbkeyChange on insert and removal only (not on login or logout), to pages that may see keys.
  let present = core.tokens.tokens().map((t) => t.id).sort().join(',');
  const offChanged = core.tokens.on('changed', (tokens) => {
    const now = tokens.map((t) => t.id).sort().join(',');
    if (now === present) return;
    present = now;
    for (const [ws, { session }] of sessions) if ((session.trusted || consents.has(session.origin)) && ws.readyState === ws.OPEN) ws.send(USBKEY_CHANGE_FRAME);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    offChanged();
    throw error;
  });
  bound = (http.address() as AddressInfo).port;
  log.info('listening', { host, port: bound, path: XTX_PATH });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      offChanged();
      for (const ws of sessions.keys()) ws.close(1001, 'assistant shutting down');
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      for (const ws of sessions.keys()) ws.terminate();
    })());
  return { port: bound, close };
}
