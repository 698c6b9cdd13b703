import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { buildSdk } from '../../sdk/build.js';
import { REASONS } from '../../src-agent/protocol/reasons.js';
import { HELLO, startFakeAssistant, type FakeAssistant } from './fake-assistant.js';

type Sdk = typeof import('../../sdk/src/index.js');
type ConnectOptions = import('../../sdk/src/index.js').ConnectOptions;

let sdk: Sdk;
let outDir: string;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'ca-sdk-test-'));
  const { js } = await buildSdk(outDir);
  sdk = (await import(pathToFileURL(js).href)) as Sdk;
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

afterEach(async () => {
  vi.unstubAllGlobals();
  for (const fn of cleanups.splice(0)) await fn();
});

/** `ws`'s WebSocket stands in for the browser's (Node 20 has no global one). */
const WebSocketImpl = WebSocket as unknown as NonNullable<ConnectOptions['WebSocketImpl']>;

async function fake(handlers?: Parameters<typeof startFakeAssistant>[0], port?: number): Promise<FakeAssistant> {
  const server = await startFakeAssistant(handlers, port);
  cleanups.push(() => server.close());
  return server;
}

async function open(server: FakeAssistant, options: ConnectOptions = {}) {
  const client = await sdk.connect({ url: server.url, WebSocketImpl, ...options });
  cleanups.push(() => client.close());
  return client;
}

/** A TCP listener that is not the assistant: it drops (or, with `hang`, ignores) every connection. */
async function tcpListener(hang: boolean): Promise<{ port: number; attempts: () => number }> {
  let count = 0;
  const held: Socket[] = [];
  const server: Server = createServer((socket) => {
    count++;
    if (hang) held.push(socket);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of held) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, attempts: () => count };
}

async function rejection(promise: Promise<unknown>): Promise<InstanceType<Sdk['AssistantError']>> {
  try {
    await promise;
  } catch (error) {
    return error as InstanceType<Sdk['AssistantError']>;
  }
  throw new Error('expected a rejection');
}

describe('ca-assistant-sdk', () => {
  describe('connect()', () => {
    it('says hello and keeps what the assistant said', async () => {
      const server = await fake();
      const client = await open(server, { client: 'test/1' });
      expect(client.info).toEqual(HELLO);
      expect(server.requests[0]).toEqual({ method: 'system.hello', params: { client: 'test/1' } });
    });

    it('retries with backoff until the assistant answers', async () => {
      const probe = await startFakeAssistant();
      const port = probe.port;
      await probe.close();
      setTimeout(() => void fake(undefined, port), 300);
      const client = await sdk.connect({ url: `ws://127.0.0.1:${port}/`, WebSocketImpl, retries: 4, backoffMs: 150 });
      cleanups.push(() => client.close());
      expect(client.info?.product).toBe('ca-assistant');
    });

    it('gives up after 1 + retries attempts with NOT_RUNNING in Chinese', async () => {
      const listener = await tcpListener(false);
      const error = await rejection(sdk.connect({ url: `ws://127.0.0.1:${listener.port}/`, WebSocketImpl, retries: 2, backoffMs: 10 }));
      expect(error).toBeInstanceOf(sdk.AssistantUnavailableError);
      expect(error).toBeInstanceOf(sdk.AssistantError);
      expect(error.name).toBe('AssistantUnavailableError');
      expect(error.reason).toBe('NOT_RUNNING');
      expect(error.message).toBe('未连接到互认助手');
      expect(error.remedy).toContain('请先启动互认助手（桌面图标“互认助手”）');
      expect(sdk.isAssistantError(error)).toBe(true);
      expect(sdk.isAssistantUnavailableError(error)).toBe(true);
      expect(listener.attempts()).toBe(3);
    });

    it('times out an attempt that never completes the handshake', async () => {
      const listener = await tcpListener(true);
      const started = Date.now();
      const error = await rejection(
        sdk.connect({ url: `ws://127.0.0.1:${listener.port}/`, WebSocketImpl, timeoutMs: 200, retries: 1, backoffMs: 10 }),
      );
      expect(error.reason).toBe('NOT_RUNNING');
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
      expect(listener.attempts()).toBe(2);
    });

    it('launches the assistant once when nothing answers, then keeps trying', async () => {
      const probe = await startFakeAssistant();
      const port = probe.port;
      await probe.close();
      const launched: string[] = [];
      const client = await sdk.connect({
        url: `ws://127.0.0.1:${port}/`,
        WebSocketImpl,
        retries: 0,
        backoffMs: 100,
        launchWaitMs: 5_000,
        launch: (url) => {
          launched.push(url);
          setTimeout(() => void fake(undefined, port), 250);
        },
      });
      cleanups.push(() => client.close());
      expect(launched).toEqual(['ca-assistant://start']);
    });

    it('reports BLOCKED_BY_BROWSER when Local Network Access is denied', async () => {
      const server = await fake();
      const names: string[] = [];
      vi.stubGlobal('navigator', {
        permissions: {
          query: async ({ name }: { name: string }) => {
            names.push(name);
            if (name === 'local-network-access') throw new TypeError('unknown permission');
            return { state: 'denied' };
          },
        },
      });
      const error = await rejection(sdk.connect({ url: server.url, WebSocketImpl }));
      expect(error.reason).toBe('BLOCKED_BY_BROWSER');
      expect(error).toBeInstanceOf(sdk.AssistantUnavailableError);
      expect(error.remedy).toContain('本地网络访问');
      expect(names).toEqual(['local-network-access', 'loopback-network']);
      expect(server.requests).toHaveLength(0);
    });

    it('connects when the permission is granted', async () => {
      vi.stubGlobal('navigator', { permissions: { query: async () => ({ state: 'granted' }) } });
      const client = await open(await fake());
      expect(client.info?.trusted).toBe(true);
    });

    it('refuses something that is not the assistant on the port', async () => {
      const server = await fake({ 'system.hello': () => ({ result: { product: 'other' } }) });
      const error = await rejection(sdk.connect({ url: server.url, WebSocketImpl }));
      expect(error.reason).toBe('NOT_RUNNING');
      expect(error.detail).toBe('端口上运行的不是互认助手');
    });

    it('accepts only ws:// on a loopback host', async () => {
      await expect(sdk.connect({ url: 'ws://example.com:21518/', WebSocketImpl })).rejects.toThrow(TypeError);
      await expect(sdk.connect({ url: 'wss://127.0.0.1:21518/', WebSocketImpl })).rejects.toThrow(TypeError);
    });
  });

  describe('requests', () => {
    it('signMobile sends sign.mobile, reports its own request.progress, and each progress restarts the timeout', async () => {
      const result = { signature: 'AAAA', format: 'cms', signatureAlgorithm: 'ecdsa-with-SHA256', certificate: 'BBBB', sealKind: 'organization', seal: { mime: 'image/png', image: 'CCCC' } };
      const server = await fake({
        'sign.mobile': (_params, socket) => {
          const frames = [{ id: 99, state: 'waiting-mobile-scan' }, { id: 2, state: 'waiting-mobile-scan' }, { id: 2, state: 'waiting-mobile-confirm' }];
          // The answer at 550 ms outlasts the 300 ms dialog timeout only because this request's progress restarts it.
          frames.forEach((params, i) => setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'request.progress', params })), [100, 200, 350][i]));
          setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', id: 2, result })), 550);
          return undefined;
        },
      });
      const client = await open(server, { requestTimeoutMs: 50, dialogTimeoutMs: 300 });
      const states: string[] = [];
      const seen: unknown[] = [];
      client.on('requestProgress', (p) => seen.push(p));
      const hash = new Uint8Array(32).fill(1);
      expect(await client.signMobile({ hash, hashAlgorithm: 'sha256', sealKind: 'organization', document: { name: '合同.pdf' }, onProgress: (s) => states.push(s) })).toEqual(result);
      expect(states).toEqual(['waiting-mobile-scan', 'waiting-mobile-confirm']);
      // Progress of another request id (99) is not this client's: neither onProgress nor the event sees it.
      expect(seen).toEqual([{ method: 'sign.mobile', state: 'waiting-mobile-scan' }, { method: 'sign.mobile', state: 'waiting-mobile-confirm' }]);
      expect(server.requests.at(-1)).toEqual({ method: 'sign.mobile', params: { hash: Buffer.from(hash).toString('base64'), hashAlgorithm: 'sha256', format: 'cms', sealKind: 'organization', document: { name: '合同.pdf' } } });
    });

    it('unwraps lists and sends the protocol params', async () => {
      const token = { id: 'tk-1', label: 'A', loggedIn: false };
      const server = await fake({
        'tokens.list': () => ({ result: { tokens: [token] } }),
        'certs.list': () => ({ result: { certs: [] } }),
        'sign.hash': () => ({ result: { signature: 'AAAA', format: 'cms', signatureAlgorithm: 'x', certificate: 'BBBB' } }),
        'session.logout': () => ({ result: {} }),
      });
      const client = await open(server);
      expect(await client.listTokens()).toEqual([token]);
      expect(await client.listCerts({ kind: 'personal' })).toEqual([]);
      const hash = new Uint8Array(32).fill(0xab);
      expect((await client.signHash({ certId: 'c1', hash, hashAlgorithm: 'sha256', document: { name: '合同.pdf' } })).signature).toBe('AAAA');
      await client.signHash({ certId: 'c2', hash, hashAlgorithm: 'sm3', profile: 'gmt0010' });
      await client.logout('tk-1');
      expect(server.requests.slice(1)).toEqual([
        { method: 'tokens.list', params: {} },
        { method: 'certs.list', params: { kind: 'personal' } },
        {
          method: 'sign.hash',
          params: { certId: 'c1', hash: Buffer.from(hash).toString('base64'), hashAlgorithm: 'sha256', format: 'cms', document: { name: '合同.pdf' } },
        },
        { method: 'sign.hash', params: { certId: 'c2', hash: Buffer.from(hash).toString('base64'), hashAlgorithm: 'sm3', format: 'cms', profile: 'gmt0010' } },
        { method: 'session.logout', params: { tokenId: 'tk-1' } },
      ]);
    });

    it('turns an error reply into a typed AssistantError', async () => {
      const r = REASONS.PIN_INCORRECT;
      const server = await fake({
        'sign.hash': () => ({
          error: { code: r.code, message: r.zh, data: { reason: 'PIN_INCORRECT', remedy: r.remedyZh, messageEn: r.en, remedyEn: r.remedyEn, retriesLeft: 2 } },
        }),
      });
      const client = await open(server);
      const error = await rejection(client.signHash({ certId: 'c1', hash: 'AAAA', hashAlgorithm: 'sha256' }));
      expect(error).toBeInstanceOf(sdk.AssistantError);
      expect(error).not.toBeInstanceOf(sdk.AssistantUnavailableError);
      expect(error.name).toBe('AssistantError');
      expect(error.reason).toBe('PIN_INCORRECT');
      expect(error.code).toBe(r.code);
      expect(error.message).toBe(r.zh);
      expect(error.remedy).toBe(r.remedyZh);
      expect(error.messageEn).toBe(r.en);
      expect(error.retriesLeft).toBe(2);
    });

    it('maps an error without data to INTERNAL with Chinese text', async () => {
      const client = await open(await fake({ 'tokens.list': () => ({ error: { code: -1 } }) }));
      const error = await rejection(client.listTokens());
      expect(error.reason).toBe('INTERNAL');
      expect(error.message).toBe('互认助手内部错误');
      expect(error.remedy).toMatch(/重启互认助手/);
    });

    it('rejects with TIMEOUT after requestTimeoutMs', async () => {
      const client = await open(await fake(), { requestTimeoutMs: 150 });
      const error = await rejection(client.listTokens());
      expect(error.reason).toBe('TIMEOUT');
      expect(error.message).toBe('操作超时');
      expect(error.code).toBe(REASONS.TIMEOUT.code);
    });

    it('gives calls that may open a dialog the longer dialogTimeoutMs', async () => {
      const client = await open(await fake(), { requestTimeoutMs: 50, dialogTimeoutMs: 400 });
      const started = Date.now();
      const error = await rejection(client.signHash({ certId: 'c1', hash: 'AAAA', hashAlgorithm: 'sha256' }));
      expect(error.reason).toBe('TIMEOUT');
      expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    });

    it('uses the dialog timeout for every call when the site is not trusted (consent may be asked)', async () => {
      const client = await open(await fake({ 'system.hello': () => ({ result: { ...HELLO, trusted: false } }) }), {
        requestTimeoutMs: 50,
        dialogTimeoutMs: 300,
      });
      const started = Date.now();
      await rejection(client.listTokens());
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    });
  });

  describe('events', () => {
    it('delivers tokensChanged and checkProgress until unsubscribed', async () => {
      const server = await fake();
      const client = await open(server);
      const seen: unknown[] = [];
      const off = client.on('tokensChanged', (tokens) => seen.push(tokens));
      client.on('checkProgress', (p) => seen.push(p));
      server.broadcast('tokens.changed', { tokens: [{ id: 'tk-1' }] });
      server.broadcast('check.progress', { id: 'token.present', index: 0, total: 3 });
      await vi.waitFor(() => expect(seen).toHaveLength(2));
      off();
      server.broadcast('tokens.changed', { tokens: [] });
      server.broadcast('check.progress', { id: 'token.present', index: 0, total: 3, status: 'ok' });
      await vi.waitFor(() => expect(seen).toHaveLength(3));
      expect(seen).toEqual([
        [{ id: 'tk-1' }],
        { id: 'token.present', index: 0, total: 3 },
        { id: 'token.present', index: 0, total: 3, status: 'ok' },
      ]);
    });

    it('tells a call that waits for the user through onProgress and requestProgress; ignores progress for unknown ids and malformed frames', async () => {
      // sign.hash gets no reply: it waits, as for a PIN.
      const server = await fake({ 'sign.hash': () => undefined });
      const client = await open(server);
      const events: unknown[] = [];
      client.on('requestProgress', (p) => events.push(p));
      const states: string[] = [];
      const call = client.signHash({ certId: 'c', hash: 'AAAA', hashAlgorithm: 'sha256' }, { onProgress: (state) => states.push(state) });
      await vi.waitFor(() => expect(server.requests.some((r) => r.method === 'sign.hash')).toBe(true));
      const waitingId = 2; // system.hello was id 1
      for (const params of [{ id: 999, state: 'waiting-pin' }, { id: String(waitingId), state: 'waiting-pin' }, { id: waitingId, state: 7 }, { id: waitingId, state: 'x'.repeat(65) }, null, 'junk']) server.broadcast('request.progress', params);
      server.broadcast('request.progress', { id: waitingId, state: 'waiting-pin' });
      await vi.waitFor(() => expect(states).toEqual(['waiting-pin']));
      expect(events).toEqual([{ method: 'sign.hash', state: 'waiting-pin' }]);
      client.close();
      await expect(call).rejects.toMatchObject({ reason: 'CONNECTION_LOST' });
    });

    it('keeps working when a listener throws', async () => {
      const server = await fake();
      const client = await open(server);
      const errors: unknown[] = [];
      const onUncaught = (e: unknown) => errors.push(e);
      process.on('uncaughtException', onUncaught);
      cleanups.push(() => process.off('uncaughtException', onUncaught));
      const seen: unknown[] = [];
      client.on('tokensChanged', () => {
        throw new Error('page bug');
      });
      client.on('tokensChanged', (t) => seen.push(t));
      server.broadcast('tokens.changed', { tokens: [] });
      await vi.waitFor(() => expect(seen).toHaveLength(1));
      await vi.waitFor(() => expect(errors).toHaveLength(1));
    });
  });

  describe('close', () => {
    it('rejects pending calls with CONNECTION_LOST when the assistant goes away', async () => {
      const server = await fake();
      const client = await open(server);
      const closes: unknown[] = [];
      client.on('close', (info) => closes.push(info));
      const pending = rejection(client.listTokens());
      await vi.waitFor(() => expect(server.requests).toHaveLength(2));
      for (const s of server.sockets) s.close(1001);
      const error = await pending;
      expect(error.reason).toBe('CONNECTION_LOST');
      expect(error.message).toBe('与互认助手的连接已断开');
      expect(closes).toEqual([{ code: 1001, byClient: false }]);
      expect(client.closed).toBe(true);
      expect((await rejection(client.listTokens())).reason).toBe('CONNECTION_LOST');
    });

    it('close() rejects pending calls and fires close once', async () => {
      const client = await open(await fake());
      const closes: unknown[] = [];
      client.on('close', (info) => closes.push(info));
      const pending = rejection(client.runCheck());
      client.close();
      client.close();
      expect((await pending).reason).toBe('CONNECTION_LOST');
      expect(closes).toEqual([{ code: 1000, byClient: true }]);
    });
  });

  describe('isAssistantError', () => {
    it('recognizes errors from another realm by name and reason', () => {
      expect(sdk.isAssistantError({ name: 'AssistantError', reason: 'NO_TOKEN', message: 'x' })).toBe(true);
      expect(sdk.isAssistantError({ name: 'AssistantUnavailableError', reason: 'NOT_RUNNING' })).toBe(true);
      expect(sdk.isAssistantError(new Error('x'))).toBe(false);
      expect(sdk.isAssistantError({ name: 'AssistantError' })).toBe(false);
      expect(sdk.isAssistantError(null)).toBe(false);
    });
  });
});
