/**
 * connect() telling a browser block from an assistant that is not running (Node, with the page's
 * navigator.permissions and isSecureContext stubbed as Chromium 156 reports them; the real browser
 * cases are in tests/mall/local-network-access.e2e.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { buildSdk } from '../../sdk/build.js';

type Sdk = typeof import('../../sdk/src/index.js');
type ConnectOptions = import('../../sdk/src/index.js').ConnectOptions;
const WebSocketImpl = WebSocket as unknown as NonNullable<ConnectOptions['WebSocketImpl']>;
const outDir = mkdtempSync(join(tmpdir(), 'sdk-blocked-'));
let sdk: Sdk;
let server: Server;
let port = 0;
let attempts = 0;

beforeAll(async () => {
  sdk = (await import(pathToFileURL((await buildSdk(outDir)).js).href)) as Sdk;
  // Refuses every upgrade at once, as a blocked or absent assistant looks to the page: an error event.
  server = createServer((s) => {
    attempts++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(outDir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllGlobals();
  attempts = 0;
});

/** Chromium's answers: `before` until the first failed attempt, `after` from then on. */
function permissions(before: string, after: string): void {
  vi.stubGlobal('navigator', { permissions: { query: async () => ({ state: attempts > 0 ? after : before }) } });
}

async function failure(options: ConnectOptions = {}): Promise<InstanceType<Sdk['AssistantUnavailableError']>> {
  const launched: string[] = [];
  const error = await sdk.connect({ url: `ws://127.0.0.1:${port}/`, WebSocketImpl, retries: 2, backoffMs: 10, launchWaitMs: 300, launch: (u) => launched.push(u), ...options })
    .then(() => { throw new Error('connected'); }, (e: unknown) => e);
  expect(sdk.isAssistantUnavailableError(error)).toBe(true);
  return Object.assign(error as InstanceType<Sdk['AssistantUnavailableError']>, { launched });
}

describe('connect() when the connection fails', () => {
  it('reports BLOCKED_BY_BROWSER after one attempt when the prompt turned into denied (no retries, no launch)', async () => {
    permissions('prompt', 'denied');
    const error = await failure();
    expect(error.reason).toBe('BLOCKED_BY_BROWSER');
    expect(error.code).toBe(-32091);
    expect(error.message).toBe('浏览器阻止了本网站连接互认助手');
    expect(error.remedy).toContain('“本地网络访问”设为“允许”');
    expect(attempts).toBe(1);
    expect((error as unknown as { launched: string[] }).launched).toEqual([]);
  });

  it('reports BLOCKED_BY_BROWSER when an attempt times out while the prompt is still open', async () => {
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    try {
      // Unknown before the attempt (so the first one is not stretched to wait for the prompt), prompt after it.
      let queries = 0;
      vi.stubGlobal('navigator', { permissions: { query: async () => {
        if (queries++ < 2) throw new TypeError('not yet'); // both names, before the attempt
        return { state: 'prompt' };
      } } });
      const error = await failure({ url: `ws://127.0.0.1:${(hang.address() as AddressInfo).port}/`, timeoutMs: 100 });
      expect(error.reason).toBe('BLOCKED_BY_BROWSER');
      // A loopback page is never asked: there a hanging port is an assistant that does not answer.
      queries = 0;
      vi.stubGlobal('location', { hostname: '127.0.0.1' });
      expect((await failure({ url: `ws://127.0.0.1:${(hang.address() as AddressInfo).port}/`, timeoutMs: 100, retries: 0 })).reason).toBe('NOT_RUNNING');
    } finally {
      hang.close();
    }
  });

  it('reports INSECURE_CONTEXT for an http page on a public address, with or without the permission API', async () => {
    vi.stubGlobal('isSecureContext', false);
    permissions('denied', 'denied');
    const denied = await failure();
    expect(denied.reason).toBe('INSECURE_CONTEXT');
    expect(denied.code).toBe(-32093);
    expect(denied.message).toContain('未通过 https 打开');
    expect(denied.remedy).toContain('改用 https');
    expect(attempts).toBe(0);
    vi.stubGlobal('navigator', {});
    const noApi = await failure();
    expect(noApi.reason).toBe('INSECURE_CONTEXT');
    expect(attempts).toBe(1);
  });

  it('still reports NOT_RUNNING, after the retries and the launch, when the permission is granted or unknown', async () => {
    permissions('granted', 'granted');
    const granted = await failure();
    expect(granted.reason).toBe('NOT_RUNNING');
    expect((granted as unknown as { launched: string[] }).launched).toEqual(['ca-assistant://start']);
    expect(attempts).toBeGreaterThanOrEqual(3);
    vi.stubGlobal('navigator', { permissions: { query: async () => { throw new TypeError('unknown permission name'); } } });
    vi.stubGlobal('isSecureContext', true);
    expect((await failure()).reason).toBe('NOT_RUNNING');
  });

  it('ignores a malformed permission answer', async () => {
    vi.stubGlobal('navigator', { permissions: { query: async () => ({ state: 'DENIED<script>' }) } });
    expect((await failure()).reason).toBe('NOT_RUNNING');
    vi.stubGlobal('navigator', { permissions: { query: async () => null } });
    expect((await failure()).reason).toBe('NOT_RUNNING');
  });
});
