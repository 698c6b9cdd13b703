/**
 * Misbehaving clients leak nothing: clients that vanish mid-request, clients
 * that never read their replies, and slow-loris handshakes. Afterwards the
 * open sockets and the per-origin connection counts are back to baseline
 * (a full set of MAX_CONNECTIONS_PER_ORIGIN connections opens again) and RSS
 * has not grown beyond noise.
 */
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDSHAKE_TIMEOUT_MS, MAX_CONNECTIONS_PER_ORIGIN } from '../../src-agent/limits.js';
import { useFixtures } from '../helpers/fixtures.js';
import { certIdOf, fixtureToken, loginAsUser, startAgent, TRUSTED_ORIGINS, type Agent } from './agent.js';

const fx = await useFixtures();
let agent: Agent;
let certId: string;
const ORIGIN = TRUSTED_ORIGINS[2]!;

beforeAll(async () => {
  agent = await startAgent(fx, { pollIntervalMs: 0 });
  await loginAsUser(agent, fixtureToken(fx, 'supplier'));
  certId = await certIdOf(agent, fixtureToken(fx, 'supplier'), 'EC');
});
afterAll(async () => agent?.stop());

const tcpSockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
const signFrame = (id: number): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'sign.hash', params: { certId, hash: Buffer.alloc(32, id % 256).toString('base64'), hashAlgorithm: 'sha256', format: 'cms' } });
const openOnce = (): Promise<WebSocket> => new Promise((resolve, reject) => {
  const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/`, { origin: ORIGIN });
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
});

/** Opens a connection, retrying while the agent still counts a just-closed one (503) for up to 5 s. */
async function open(): Promise<WebSocket> {
  const deadline = performance.now() + 5000;
  for (;;) {
    try {
      return await openOnce();
    } catch (error) {
      if (performance.now() > deadline || !String(error).includes('503')) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Every per-origin slot is free again: MAX_CONNECTIONS_PER_ORIGIN clients open and answer. */
async function allSlotsFree(): Promise<void> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < MAX_CONNECTIONS_PER_ORIGIN; i++) sockets.push(await open());
  for (const ws of sockets) {
    const reply = await new Promise<string>((resolve) => {
      ws.once('message', (d) => resolve(d.toString()));
      ws.send('{"jsonrpc":"2.0","id":1,"method":"system.hello"}');
    });
    expect(JSON.parse(reply).result.product).toBe('ca-assistant');
  }
  await Promise.all(sockets.map((ws) => new Promise((resolve) => { ws.once('close', resolve); ws.close(); })));
}

async function misbehave(): Promise<void> {
  // Vanish mid-request: the request is sent, the socket is destroyed before the reply.
  for (let round = 0; round < 10; round++) {
    const sockets = await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_ORIGIN }, () => open()));
    sockets.forEach((ws, i) => { ws.send(signFrame(i)); ws.send(signFrame(i + 100)); });
    for (const ws of sockets) ws.terminate();
  }
  // Never read: replies pile up on the agent's side of a paused socket, then the client vanishes.
  const readers = await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_ORIGIN }, () => open()));
  for (const ws of readers) {
    (ws as unknown as { _socket: Socket })._socket.pause();
    for (let i = 0; i < 40; i++) ws.send(signFrame(i));
  }
  await new Promise((r) => setTimeout(r, 1500));
  for (const ws of readers) ws.terminate();
}

describe('misbehaving clients', () => {
  it('vanishing and never-reading clients leave no connection, slot or memory behind', { timeout: 60_000 }, async () => {
    await allSlotsFree();
    const baseSockets = tcpSockets();
    await misbehave();
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < 3; i++) await misbehave();
    await expect.poll(tcpSockets, { timeout: 10_000 }).toBeLessThanOrEqual(baseSockets);
    await allSlotsFree();
    const growthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    console.log(`[connections] 4 rounds × (80 vanished + 8 non-reading clients): sockets back to ${tcpSockets()} (baseline ${baseSockets}), RSS growth ${growthMb.toFixed(1)} MiB`);
    expect(growthMb).toBeLessThan(40);
  });

  it('slow-loris handshakes are cut off after HANDSHAKE_TIMEOUT_MS and do not block real clients', { timeout: 30_000 }, async () => {
    const started = performance.now();
    const loris = await Promise.all(Array.from({ length: 20 }, () => new Promise<Socket>((resolve) => {
      const s = connect(agent.port, '127.0.0.1', () => resolve(s));
      s.on('error', () => undefined);
    })));
    const closedAt = loris.map((s) => new Promise<number>((resolve) => s.once('close', () => resolve(performance.now() - started))));
    const drip = setInterval(() => { for (const s of loris) if (!s.destroyed) s.write('X-Slow: 1\r\n'); }, 500);
    for (const s of loris) s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${agent.port}\r\nUpgrade: websocket\r\n`);
    await allSlotsFree(); // real clients are served while the handshakes hang
    const times = await Promise.all(closedAt);
    clearInterval(drip);
    console.log(`[connections] 20 slow-loris sockets closed by the agent after ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms`);
    expect(Math.max(...times)).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 3000);
  });
});
