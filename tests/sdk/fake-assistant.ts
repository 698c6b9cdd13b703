/** A tiny JSON-RPC server standing in for the assistant in SDK tests. */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type Handler = (params: Record<string, unknown>, socket: WebSocket) => { result: unknown } | { error: unknown } | undefined;

export interface FakeAssistant {
  url: string;
  port: number;
  requests: { method: string; params: Record<string, unknown> }[];
  sockets: Set<WebSocket>;
  broadcast(method: string, params: unknown): void;
  close(): Promise<void>;
}

export const HELLO = {
  product: 'ca-assistant',
  version: '0.1.0',
  protocol: 1,
  origin: 'http://127.0.0.1',
  trusted: true,
  capabilities: { hashAlgorithms: ['sha256'], signatureFormats: ['cms'] },
};

/** Starts on `port` (0: any free port). Unhandled methods get no reply at all. */
export async function startFakeAssistant(handlers: Record<string, Handler> = {}, port = 0): Promise<FakeAssistant> {
  const all: Record<string, Handler> = { 'system.hello': () => ({ result: HELLO }), ...handlers };
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const actual = (wss.address() as AddressInfo).port;
  const requests: FakeAssistant['requests'] = [];
  const sockets = new Set<WebSocket>();
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { id: number; method: string; params: Record<string, unknown> };
      requests.push({ method: frame.method, params: frame.params });
      const reply = all[frame.method]?.(frame.params, socket);
      if (reply) socket.send(JSON.stringify({ jsonrpc: '2.0', id: frame.id, ...reply }));
    });
  });
  return {
    url: `ws://127.0.0.1:${actual}/`,
    port: actual,
    requests,
    sockets,
    broadcast(method, params) {
      for (const s of sockets) s.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
    },
    close() {
      for (const s of sockets) s.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
