/**
 * The local WebSocket API: an http.Server on loopback whose only job is the
 * upgrade. Handshake checks (Host, Origin, connection limits) run before a
 * WebSocket exists; after that each text frame goes to the dispatcher and its
 * reply goes back. Events (`tokens.changed`) go to allowed connections.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  FLOOD_PENALTY_MS,
  HANDSHAKE_TIMEOUT_MS,
  MAX_CONNECTIONS_PER_ORIGIN,
  MAX_CONNECTIONS_TOTAL,
  MAX_FRAME_BYTES,
  MAX_UNTRUSTED_CONNECTIONS_PER_ORIGIN,
  MAX_UNTRUSTED_CONNECTIONS_TOTAL,
  UNTRUSTED_IDLE_TIMEOUT_MS,
} from '../limits.js';
import type { AgentCore } from '../service/agent-core.js';
import { ConsentStore } from '../service/consent-store.js';
import { createSigning, type AuditLog, type LoginPolicy, type SigningUseCase } from '../service/signing/index.js';
import type { UiPort } from '../ui/port.js';
import { reportingProgress } from './request-progress.js';
import { logger } from '../util/log.js';
import type { CompatPortState } from '../check/types.js';
import { traceStep } from '../util/request-trace.js';
import { startCompatServer, type CompatServer } from './compat/xtx-server.js';
import { ConsentGate } from './consent-gate.js';
import type { ApiServices, RunCheck } from './context.js';
import { Dispatcher } from './dispatcher.js';
import { tokenSummary } from './handlers/tokens.js';
import { classifyOrigin, isLoopbackHost, type OriginClass } from './origin-policy.js';
import { Session } from './session.js';

const log = logger('server');

/** WebSocket close codes used by the server. */
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_GOING_AWAY = 1001;
/** Closed for flooding: more than MAX_FRAMES_OVER_RATE frames over the request rate. */
export const CLOSE_POLICY_VIOLATION = 1008;
/** An untrusted connection closed after UNTRUSTED_IDLE_TIMEOUT_MS without a request. */
export const CLOSE_IDLE = 4001;

export interface ServerOptions {
  core: AgentCore;
  ui: UiPort;
  /** Port on loopback (default `core.config.port`; 0 picks a free one). */
  port?: number;
  /** Loopback address to bind (default 127.0.0.1). */
  host?: string;
  /** The 环境检测 runner for check.run (src-agent/check); INTERNAL without it. */
  runCheck?: RunCheck;
  /** Idle time after which an untrusted connection is closed, ms (default UNTRUSTED_IDLE_TIMEOUT_MS; tests shorten it). */
  untrustedIdleMs?: number;
  /** The signing use case (default: one over `core` and `ui`, closed with the server). */
  signing?: SigningUseCase;
  /** Start the compatibility endpoint (`/xtxapp/`) on this port (0 picks a free one); off when absent. */
  compat?: { port: number };
}

/** The `compat` option the config asks for: the endpoint on `xtxCompat.port`, or none when switched off. */
export function compatOption(config: AgentCore['config']): { compat?: { port: number } } {
  return config.xtxCompat.enabled ? { compat: { port: config.xtxCompat.port } } : {};
}

/** State of the compatibility endpoint, for 环境检测 (`taken`: another program, typically another vendor's client, holds the port). */
export type CompatStatus = CompatPortState;

export interface RunningServer {
  port: number;
  /** The signing use case every signature of this server goes through. */
  signing: SigningUseCase;
  /** The use case's login policy, e.g. for 环境检测 to register a user login. */
  policy: LoginPolicy;
  audit: AuditLog;
  consents: ConsentStore;
  /** Trusted origins that connected since the server started, latest time each (for 环境检测's browser check). */
  trustedSeen(): { origin: string; time: string }[];
  compat: CompatStatus;
  /** Closes every connection, logs tokens out, fsyncs the audit log. Idempotent. */
  close(): Promise<void>;
}

const UPGRADE_REQUIRED_TEXT = '这是互认助手的本地接口，只接受 WebSocket 连接。This is the CA assistant API; use a WebSocket.\n';

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' };

function refuse(socket: Socket, status: number, text: string): void {
  const body = Buffer.from(text + '\n', 'utf8');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString('utf8')}`,
  );
  setTimeout(() => socket.destroy(), 100).unref();
}

/** Starts the API on loopback. Resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { core } = options;
  // Every dialog asked while handling a request is reported to its page (request.progress).
  const ui = reportingProgress(options.ui);
  const host = options.host ?? '127.0.0.1';
  const consents = new ConsentStore(core.config.dataDir);
  const signing = options.signing ?? createSigning(core, { ui });
  const services: ApiServices = { core, ui, signing, consents, consentGate: new ConsentGate(), lang: core.config.language, ...(options.runCheck ? { runCheck: options.runCheck } : {}) };
  const rpc = new Dispatcher(services);
  const sessions = new Map<WebSocket, Session>();
  const perOrigin = new Map<string, number>();
  /** Open connections of origins that are not trusted (their own share of the slots). */
  let untrusted = 0;
  /** Untrusted origins refused until the time (ms since epoch) after one of their connections flooded. */
  const penalties = new Map<string, number>();
  const idleMs = options.untrustedIdleMs ?? UNTRUSTED_IDLE_TIMEOUT_MS;
  const handshakeTimers = new WeakMap<Socket, NodeJS.Timeout>();
  const seen = new Map<string, string>();

  const http = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket', Connection: 'close' });
    res.end(UPGRADE_REQUIRED_TEXT);
  });
  http.headersTimeout = HANDSHAKE_TIMEOUT_MS;
  http.requestTimeout = HANDSHAKE_TIMEOUT_MS;
  http.keepAliveTimeout = 1000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  let port = 0;

  http.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    handshakeTimers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });

  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const origin = req.headers.origin;
    if (!isLoopbackHost(req.headers.host, port)) {
      log.warn('upgrade refused: foreign Host', { host: String(req.headers.host).slice(0, 100) });
      return refuse(socket, 403, '拒绝连接：Host 不是本机地址 (Host must be loopback)');
    }
    if (typeof origin !== 'string' || origin.length === 0 || origin.length > 300) {
      log.warn('upgrade refused: no Origin');
      return refuse(socket, 403, '拒绝连接：缺少 Origin (Origin required)');
    }
    const originClass = classifyOrigin(origin, core.config.trustedOrigins);
    const trusted = originClass === 'trusted';
    const count = perOrigin.get(origin) ?? 0;
    if (!trusted && (penalties.get(origin) ?? 0) > Date.now()) {
      log.warn('upgrade refused: origin flooded recently', { origin });
      return refuse(socket, 429, '请求过于频繁，请稍后再试 (too many requests)');
    }
    const full = trusted
      ? sessions.size - untrusted >= MAX_CONNECTIONS_TOTAL || count >= MAX_CONNECTIONS_PER_ORIGIN
      : untrusted >= MAX_UNTRUSTED_CONNECTIONS_TOTAL || count >= MAX_UNTRUSTED_CONNECTIONS_PER_ORIGIN;
    if (full) {
      log.warn('upgrade refused: too many connections', { origin, trusted, count, total: sessions.size, untrusted });
      return refuse(socket, 503, '连接过多，请关闭多余的商城页面后重试 (too many connections)');
    }
    // Counted from here, not from `accept`: upgrades completing together must not overshoot the share.
    perOrigin.set(origin, count + 1);
    if (!trusted) untrusted++;
    let accepted = false;
    const release = (): void => {
      const left = (perOrigin.get(origin) ?? 1) - 1;
      if (left > 0) perOrigin.set(origin, left);
      else perOrigin.delete(origin);
      if (!trusted) untrusted--;
    };
    socket.once('close', () => !accepted && release());
    wss.handleUpgrade(req, socket, head, (ws) => {
      accepted = true;
      clearTimeout(handshakeTimers.get(socket));
      accept(ws, origin, originClass, release);
    });
  });

  function accept(ws: WebSocket, origin: string, originClass: OriginClass, release: () => void): void {
    const session = new Session(origin, originClass, (frame) => ws.send(frame));
    sessions.set(ws, session);
    if (session.trusted) seen.set(origin, new Date().toISOString());
    log.info('connected', { origin, class: session.originClass, session: session.id });
    let shed = false;
    // An untrusted connection that sends nothing only holds one of the few untrusted slots.
    const idle = session.trusted
      ? undefined
      : setTimeout(function expire() {
          if (session.pending > 0) return void idle?.refresh();
          log.info('idle untrusted connection closed', { origin, session: session.id });
          ws.close(CLOSE_IDLE, 'idle');
          setTimeout(() => ws.terminate(), 1000).unref();
        }, idleMs);
    idle?.unref();
    ws.on('message', (data, isBinary) => {
      traceStep('frame received');
      if (shed) return;
      if (isBinary) return ws.close(CLOSE_UNSUPPORTED_DATA, 'text frames only');
      idle?.refresh();
      // Shed load before parsing: past its budget of BUSY answers a flooding connection is cut off.
      if (session.flooding) {
        shed = true;
        log.warn('connection closed for flooding', { origin, session: session.id });
        if (!session.trusted) penalties.set(origin, Date.now() + FLOOD_PENALTY_MS);
        ws.pause();
        ws.close(CLOSE_POLICY_VIOLATION, 'request rate exceeded');
        setTimeout(() => ws.terminate(), 1000).unref();
        return;
      }
      void rpc.dispatch(session, data.toString()).then((reply) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(reply);
        traceStep('reply sent');
      });
    });
    ws.on('error', (error) => log.info('socket error', { session: session.id, error: error.message }));
    ws.on('close', () => {
      clearTimeout(idle);
      session.close();
      sessions.delete(ws);
      release();
    });
  }

  const offChanged = core.tokens.on('changed', (tokens) => {
    const event = { tokens: tokens.map(tokenSummary) };
    for (const session of sessions.values()) {
      if (session.trusted || consents.has(session.origin)) session.notify('tokens.changed', event);
    }
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? core.config.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  log.info('listening', { host, port });
  let compatServer: CompatServer | undefined;
  let compat: CompatStatus = { state: 'off' };
  if (options.compat) {
    try {
      compatServer = await startCompatServer(services, options.compat.port, host);
      compat = { state: 'on', port: compatServer.port };
    } catch (error) {
      // Another vendor's client on the port must not stop the assistant: 环境检测 reports it with a remedy.
      log.warn('compatibility endpoint not started', { port: options.compat.port, error: (error as Error).message });
      compat = { state: 'taken', port: options.compat.port };
    }
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      offChanged();
      await compatServer?.close();
      for (const ws of sessions.keys()) ws.close(CLOSE_GOING_AWAY, 'assistant shutting down');
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      for (const ws of sessions.keys()) ws.terminate();
      if (!options.signing) await signing.close();
    })());

  const trustedSeen = (): { origin: string; time: string }[] => [...seen].map(([origin, time]) => ({ origin, time }));
  return { port, signing, policy: signing.policy, audit: signing.audit, consents, trustedSeen, compat, close };
}
