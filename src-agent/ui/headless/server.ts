/**
 * The headless UI: the src-renderer pages served on loopback, for machines
 * without Electron. Entry is `http://127.0.0.1:<port>/ui/<code>`: a one-time
 * code (32 random bytes, base64url) that works once. Exchanging it sets an
 * HttpOnly SameSite=Strict cookie for the pages and hands the window a page
 * token in the URL fragment, which the bridge script keeps in sessionStorage
 * (bound to this origin, port included) and sends as `X-Assistant-Token` on
 * every bridge request. Cookies are not port-bound: any server on another
 * loopback port whose page the browser loads receives the cookie, so the
 * cookie alone opens pages, never the bridge. The bridge also needs a
 * loopback Host and an `Origin` or `Sec-Fetch-Site` of the UI itself.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REASONS, toAssistantError } from '../../protocol/errors.js';
import type { AgentCore } from '../../service/agent-core.js';
import { logger } from '../../util/log.js';
import { isLoopbackHost } from '../../util/loopback.js';
import { BRIDGE_EVENTS, BRIDGE_METHODS, type BridgeMethodName } from '../bridge.js';
import { tokenView, type BridgeHandlers } from '../controller-port.js';
import { bridgeClientSource } from './client-script.js';
import { HEADLESS_ENTRY, UI_PAGES } from '../pages.js';
import { writeEntryPage } from './entry-page.js';
import type { HeadlessUi } from './headless-ui.js';
import { UI_TOKEN_HEADER } from './token.js';

const log = logger('headless');

/** Largest bridge request body, bytes (default 16 KiB). */
export const MAX_BRIDGE_BODY_BYTES = 16 * 1024;
/** Open event streams allowed at once (default 8 windows/tabs). */
export const MAX_EVENT_STREAMS = 8;
/** Name of the session cookie. */
export const UI_COOKIE = 'ca_assistant_ui';
/** Unused entry codes kept at once (default 8; the oldest is dropped). */
export const MAX_ENTRY_CODES = 8;

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' };
const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface HeadlessUiOptions {
  core: AgentCore;
  /** The UI port to serve. Give the same one to startServer and the window controller. */
  ui: HeadlessUi;
  /** The window controller's handlers (src-agent/app `bridgeHandlers`) the bridge calls. */
  handlers: BridgeHandlers;
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /**
   * Called when a PIN or consent dialog opens and no assistant window is connected
   * (at most once per NO_WINDOW_REOPEN_MS): the caller opens one (serve: the system browser).
   */
  whenNoWindow?: () => void;
  /** Least time between two whenNoWindow calls, ms (default NO_WINDOW_REOPEN_MS). */
  noWindowReopenMs?: number;
}

/** Least time between two "no window is open" calls, ms (default 30 s: a browser that is starting gets time to connect). */
export const NO_WINDOW_REOPEN_MS = 30_000;

export interface RunningHeadlessUi {
  ui: HeadlessUi;
  port: number;
  /** An entry URL with a one-time code: print it or hand it over, never log it. It works once. */
  url: string;
  /** A fresh one-time entry URL (the one before stays valid until used). */
  newEntryUrl(): string;
  /**
   * Writes a page (mode 0600, in `dir`) that forwards the browser to a fresh
   * one-time entry URL, and returns its path: opening this file keeps the code
   * off the opener's command line, which every local user can read in `ps`.
   */
  writeEntryPage(dir: string): Promise<string>;
  /** Called after an entry code was used (e.g. to print the next one). */
  onEntryUsed?: () => void;
  /** Own origin, `http://127.0.0.1:<port>`. */
  origin: string;
  handlers: BridgeHandlers;
  close(): Promise<void>;
}

/** Where the pages are: the nearest `src-renderer` above this module (sources, tsc build or bundle). */
function rendererDir(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'src-renderer');
    if (existsSync(join(candidate, HEADLESS_ENTRY))) return candidate;
    dir = dirname(dir);
  }
  return join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'src-renderer');
}

function cookieValue(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === UI_COOKIE) return rest.join('=');
  }
  return undefined;
}

/** Starts the headless UI on loopback. */
export async function startHeadlessUi(options: HeadlessUiOptions): Promise<RunningHeadlessUi> {
  const { core } = options;
  const { ui, handlers } = options;
  // The cookie opens pages; the page token opens the bridge. Different values, both per run.
  const cookieSecret = Buffer.from(randomBytes(32).toString('base64url'));
  const pageToken = Buffer.from(randomBytes(32).toString('base64url'));
  const entryCodes = new Set<string>();
  const newCode = (): string => {
    const code = randomBytes(32).toString('base64url');
    entryCodes.add(code);
    if (entryCodes.size > MAX_ENTRY_CODES) entryCodes.delete(entryCodes.values().next().value as string);
    return code;
  };
  /** Takes a code out of the set if it is there (constant time per comparison). */
  const spendCode = (given: string): boolean => {
    const buf = Buffer.from(given);
    for (const code of entryCodes) {
      const c = Buffer.from(code);
      if (c.length === buf.length && timingSafeEqual(c, buf)) {
        entryCodes.delete(code);
        return true;
      }
    }
    return false;
  };
  const dir = rendererDir();
  const streams = new Set<ServerResponse>();
  let port = 0;

  const equals = (given: string | undefined, secret: Buffer): boolean => {
    if (!given) return false;
    const buf = Buffer.from(given);
    return buf.length === secret.length && timingSafeEqual(buf, secret);
  };
  const hasCookie = (req: IncomingMessage): boolean => equals(cookieValue(req), cookieSecret);
  const hasPageToken = (req: IncomingMessage, url: URL): boolean => {
    const header = req.headers[UI_TOKEN_HEADER];
    return equals(typeof header === 'string' ? header : (url.searchParams.get('k') ?? undefined), pageToken);
  };
  const ownOrigin = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (typeof origin === 'string') return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    return req.headers['sec-fetch-site'] === 'same-origin';
  };
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, ...extra });
    res.end(body);
  };
  const forbid = (res: ServerResponse, why: string): void => {
    log.warn('headless UI request refused', { why });
    send(res, 403, 'text/plain; charset=utf-8', '拒绝访问：请使用互认助手启动时给出的地址打开。Forbidden: open the address the assistant printed.\n');
  };

  const broadcast = (event: string, payload: unknown): void => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of streams) res.write(frame);
  };
  const offs = BRIDGE_EVENTS.map((event) => ui.on(event, (payload) => broadcast(event, payload)));
  // A dialog nobody can see would wait unseen until it times out: have a window opened.
  let askedForWindow = -Infinity;
  const needWindow = (): void => {
    if (streams.size > 0 || !options.whenNoWindow || Date.now() - askedForWindow < (options.noWindowReopenMs ?? NO_WINDOW_REOPEN_MS)) return;
    askedForWindow = Date.now();
    options.whenNoWindow();
  };
  offs.push(ui.on('pinRequest', needWindow), ui.on('consentRequest', needWindow));
  offs.push(core.tokens.on('changed', (tokens) => ui.tokensChanged({ tokens: tokens.map(tokenView) })));

  async function handleBridge(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (!Object.hasOwn(BRIDGE_METHODS, name)) return send(res, 404, 'application/json', JSON.stringify({ reason: 'BAD_REQUEST', message: 'unknown method' }));
    const method = name as BridgeMethodName;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BRIDGE_BODY_BYTES) {
        for (const c of chunks) c.fill(0);
        return send(res, 413, 'application/json', JSON.stringify({ reason: 'BAD_REQUEST', message: 'body too large' }));
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    for (const c of chunks) c.fill(0);
    try {
      let raw: unknown;
      try {
        raw = JSON.parse(body.toString('utf8') || '{}');
      } finally {
        body.fill(0);
      }
      const parsed = BRIDGE_METHODS[method].params.safeParse(raw);
      if (!parsed.success) return send(res, 400, 'application/json', JSON.stringify({ reason: 'BAD_REQUEST', message: 'bad params', messageZh: REASONS.BAD_REQUEST.zh }));
      const handler = handlers[method] as (params: unknown) => Promise<unknown>;
      const result = await handler(parsed.data);
      send(res, 200, 'application/json', JSON.stringify({ result }));
    } catch (error) {
      const e = toAssistantError(error);
      // Never the request body (it may hold a PIN); the reason and our own message only.
      log.info('bridge call failed', { method, reason: e.reason });
      const messageZh = e.details.detailZh ?? (error instanceof Error && error.name === 'ConfigError' ? error.message : REASONS[e.reason].zh);
      send(res, 400, 'application/json', JSON.stringify({ reason: e.reason, message: REASONS[e.reason].en, messageZh }));
    }
  }

  function openStream(res: ServerResponse): void {
    if (streams.size >= MAX_EVENT_STREAMS) return send(res, 503, 'text/plain; charset=utf-8', 'too many windows\n');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    res.write(': ok\n\n');
    streams.add(res);
    for (const { kind, view } of ui.pending()) res.write(`event: ${kind === 'pin' ? 'pinRequest' : kind === 'confirm' ? 'confirmRequest' : 'consentRequest'}\ndata: ${JSON.stringify(view)}\n\n`);
    for (const view of ui.pendingMobile()) res.write(`event: mobileSign\ndata: ${JSON.stringify(view)}\n\n`);
    res.on('close', () => streams.delete(res));
  }

  async function serveFile(res: ServerResponse, path: string): Promise<void> {
    if (path === '/headless-bridge.js') return send(res, 200, CONTENT_TYPES['.js']!, bridgeClientSource());
    const file = normalize(join(dir, path === '/' ? HEADLESS_ENTRY : path));
    // HTML only for the pages of the manifest; scripts, styles and images beside them.
    const page = extname(file) !== '.html' || (UI_PAGES as readonly string[]).includes(file.slice(dir.length + 1));
    if (!file.startsWith(dir + sep) || !CONTENT_TYPES[extname(file)] || !page) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    try {
      const body = await readFile(file);
      // Pages mark where a bridge goes; here it is the generated HTTP client (Electron's preload needs none).
      const out = extname(file) === '.html' ? body.toString('utf8').replace('<!--bridge-->', '<script type="module" src="/headless-bridge.js"></script>') : body;
      send(res, 200, CONTENT_TYPES[extname(file)]!, out);
    } catch {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!isLoopbackHost(req.headers.host, port)) return forbid(res, 'foreign Host');
    if (req.method === 'GET' && url.pathname.startsWith('/ui/')) {
      if (!spendCode(url.pathname.slice(4))) return forbid(res, 'unknown or used entry code');
      // The code is spent; the cookie opens pages, the fragment (never sent to a server) carries the page token.
      res.writeHead(303, { ...SECURITY_HEADERS, Location: `/${HEADLESS_ENTRY}#k=${pageToken.toString()}`, 'Set-Cookie': `${UI_COOKIE}=${cookieSecret.toString()}; HttpOnly; SameSite=Strict; Path=/` });
      res.end();
      queueMicrotask(() => running.onEntryUsed?.());
      return;
    }
    if (!hasCookie(req)) return forbid(res, 'no cookie');
    if (url.pathname.startsWith('/bridge/')) {
      if (!ownOrigin(req)) return forbid(res, 'foreign origin');
      if (!hasPageToken(req, url)) return forbid(res, 'no page token');
      if (url.pathname === '/bridge/events' && req.method === 'GET') return openStream(res);
      if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'POST only\n');
      return void handleBridge(req, res, url.pathname.slice('/bridge/'.length));
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain; charset=utf-8', 'GET only\n');
    if (req.headers['sec-fetch-site'] === 'cross-site') return forbid(res, 'cross-site page load');
    void serveFile(res, url.pathname);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  log.info('headless UI listening', { port });

  let closing: Promise<void> | undefined;
  const newEntryUrl = (): string => `${origin}/ui/${newCode()}`;
  const running: RunningHeadlessUi = {
    ui,
    port,
    origin,
    url: newEntryUrl(),
    newEntryUrl,
    writeEntryPage: (dir) => writeEntryPage(dir, newEntryUrl()),
    handlers,
    close: () =>
      (closing ??= (async () => {
        for (const off of offs) off();
        ui.cancelAll();
        for (const res of streams) res.end();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })()),
  };
  return running;
}
