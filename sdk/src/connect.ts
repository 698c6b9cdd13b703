import { isAssistantError } from './assistant-error.js';
import { AssistantUnavailableError } from './assistant-unavailable-error.js';
import { AssistantClient } from './client.js';
import { CONNECT_TIMEOUT, openSocket, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

export interface ConnectOptions {
  /** Default `ws://127.0.0.1:21518/`. Only loopback hosts are accepted. */
  url?: string;
  /** Time one connection attempt may take, ms (default 3000). */
  timeoutMs?: number;
  /** Attempts after the first (default 2). */
  retries?: number;
  /** Wait before the first retry, doubled each time up to 5 s, ms (default 500). */
  backoffMs?: number;
  /**
   * When nothing answers, open `launchUrl` once so the OS starts the
   * assistant, then keep trying for `launchWaitMs`. Browsers only allow this
   * from a click handler. A function replaces the default launcher.
   */
  launch?: boolean | ((url: string) => void);
  /** Default `ca-assistant://start`. */
  launchUrl?: string;
  /** How long to keep trying after a launch, ms (default 15000). */
  launchWaitMs?: number;
  /** Per-request timeout, ms (default 60000). */
  requestTimeoutMs?: number;
  /** Per-request timeout of calls that may wait for the user in an assistant dialog, ms (default 180000). */
  dialogTimeoutMs?: number;
  /** Sent in `system.hello` for the assistant's log, e.g. `mall-web/2.3`. */
  client?: string;
  /** WebSocket implementation; default `globalThis.WebSocket` (pass `ws`'s in Node). */
  WebSocketImpl?: WebSocketConstructor;
}

export const DEFAULT_URL = 'ws://127.0.0.1:21518/';
/** First-attempt timeout while Chrome's Local Network Access prompt may be on screen, ms. */
const PERMISSION_PROMPT_WAIT_MS = 30_000;
const MAX_BACKOFF_MS = 5_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

type PermissionStateLike = 'granted' | 'denied' | 'prompt';

/**
 * Chrome's Local Network Access permission for this page, where the browser
 * exposes it (`local-network-access`, or the newer `loopback-network`).
 * `denied` if any name says so; undefined when neither is known.
 */
export async function localNetworkPermission(): Promise<PermissionStateLike | undefined> {
  const permissions = (globalThis as { navigator?: { permissions?: { query?: (d: { name: string }) => Promise<{ state: string }> } } })
    .navigator?.permissions;
  if (typeof permissions?.query !== 'function') return undefined;
  let state: PermissionStateLike | undefined;
  for (const name of ['local-network-access', 'loopback-network']) {
    try {
      const status = await permissions.query({ name });
      if (status.state === 'denied') return 'denied';
      if (status.state === 'granted' || status.state === 'prompt') state ??= status.state;
    } catch {
      // This browser does not know the permission name; try the next one.
    }
  }
  return state;
}

/**
 * A page that is not a secure context (http on a non-loopback address; loopback pages are always secure).
 * Chromium refuses its local network requests without a prompt, policy or not (measured with Chromium 156).
 */
function isInsecurePage(): boolean {
  return (globalThis as { isSecureContext?: boolean }).isSecureContext === false;
}

/** The page itself is on a loopback host (Local Network Access does not apply to it). */
function isLoopbackPage(): boolean {
  const host = (globalThis as { location?: { hostname?: string } }).location?.hostname;
  return host !== undefined && LOOPBACK_HOSTS.has(host);
}

/** Why the browser blocked the page: an insecure page cannot be allowed at all; a secure one by the user or policy. */
function blockedReason(): 'INSECURE_CONTEXT' | 'BLOCKED_BY_BROWSER' {
  return isInsecurePage() ? 'INSECURE_CONTEXT' : 'BLOCKED_BY_BROWSER';
}

function defaultLaunch(url: string): void {
  const doc = (globalThis as { document?: Document }).document;
  if (!doc?.body) return;
  const link = doc.createElement('a');
  link.href = url;
  link.style.display = 'none';
  doc.body.appendChild(link);
  link.click();
  link.remove();
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`ca-assistant-sdk: invalid url ${url}`);
  }
  if (parsed.protocol !== 'ws:' || !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new TypeError(`ca-assistant-sdk: url must be ws:// on a loopback host, got ${url}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connects to the assistant and says hello. Rejects with
 * `AssistantUnavailableError` when nothing answers: `INSECURE_CONTEXT` for an
 * http page on a public or private address; `BLOCKED_BY_BROWSER` when the Local
 * Network Access permission is denied after a failed attempt (Chromium turns an
 * unanswered or dismissed prompt into `denied`), or an attempt timed out while
 * its prompt was still open; else `NOT_RUNNING` (after retries and the launch).
 * The failure itself looks the same in all cases (an error event within
 * milliseconds, no upgrade reaching the port), so the permission state decides.
 * Rejects with the `AssistantError` of a failed hello; throws TypeError for a
 * non-loopback url.
 */
export async function connect(options: ConnectOptions = {}): Promise<AssistantClient> {
  const url = options.url ?? DEFAULT_URL;
  checkUrl(url);
  const Impl = options.WebSocketImpl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Impl) throw new AssistantUnavailableError('NOT_RUNNING', '当前环境不支持 WebSocket');
  const timeoutMs = options.timeoutMs ?? 3_000;
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 500;

  const permission = await localNetworkPermission();
  if (permission === 'denied') throw new AssistantUnavailableError(blockedReason());

  let socket: WebSocketLike | undefined;
  let launchDeadline = 0;
  for (let attempt = 0; ; attempt++) {
    const attemptTimeout = attempt === 0 && permission === 'prompt' ? Math.max(timeoutMs, PERMISSION_PROMPT_WAIT_MS) : timeoutMs;
    let timedOut = false;
    try {
      socket = await openSocket(Impl, url, attemptTimeout);
      break;
    } catch (error) {
      timedOut = error instanceof Error && error.message === CONNECT_TIMEOUT;
    }
    // A browser block is final for this page: no retries, no launching an assistant that may well be running.
    const after = await localNetworkPermission();
    // A prompt still open after a timed-out attempt means the user has not answered it (a loopback page is never asked).
    if (after === 'denied' || (timedOut && after === 'prompt' && !isLoopbackPage())) throw new AssistantUnavailableError(blockedReason());
    if (isInsecurePage()) throw new AssistantUnavailableError('INSECURE_CONTEXT');
    if (options.launch && launchDeadline === 0) {
      launchDeadline = Date.now() + (options.launchWaitMs ?? 15_000);
      (typeof options.launch === 'function' ? options.launch : defaultLaunch)(options.launchUrl ?? 'ca-assistant://start');
    }
    if (attempt >= retries && Date.now() >= launchDeadline) break;
    await sleep(Math.min(backoffMs * 2 ** attempt, MAX_BACKOFF_MS));
  }
  if (!socket) throw new AssistantUnavailableError('NOT_RUNNING');

  const client = new AssistantClient(socket, {
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    dialogTimeoutMs: options.dialogTimeoutMs ?? 180_000,
  });
  try {
    const info = await client.hello(options.client);
    if (info?.product !== 'ca-assistant') {
      throw new AssistantUnavailableError('NOT_RUNNING', '端口上运行的不是互认助手');
    }
  } catch (error) {
    client.close();
    if (isAssistantError(error) && error.reason === 'CONNECTION_LOST') throw new AssistantUnavailableError('NOT_RUNNING');
    throw error;
  }
  return client;
}
