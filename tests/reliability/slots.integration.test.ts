/**
 * Issue 15, items 4 and 7: connection slots and floods.
 * - 64 idle connections from 8 untrusted origins (no consent needed to
 *   connect) held the global limit, and the trusted mall got HTTP 503 for as
 *   long as they stayed. Untrusted origins now have a small share of their own,
 *   idle untrusted connections time out, trusted origins always get in.
 * - Flooding `system.hello` from an untrusted origin kept the agent parsing and
 *   answering frames; a connection past its budget of BUSY answers is now
 *   closed (1008) and its origin refused for FLOOD_PENALTY_MS.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_IDLE, CLOSE_POLICY_VIOLATION } from '../../src-agent/api/server.js';
import { MAX_FRAMES_OVER_RATE, MAX_UNTRUSTED_CONNECTIONS_PER_ORIGIN, MAX_UNTRUSTED_CONNECTIONS_TOTAL, REQUEST_BURST } from '../../src-agent/limits.js';
import { useFixtures } from '../helpers/fixtures.js';
import { startAgent, TRUSTED_ORIGINS, type Agent } from './agent.js';
import { RpcClient } from './rpc-client.js';

const fx = await useFixtures();
const IDLE_MS = 1500;
let agent: Agent;
beforeAll(async () => {
  agent = await startAgent(fx, { pollIntervalMs: 0, untrustedIdleMs: IDLE_MS });
});
afterAll(async () => agent?.stop());

const MALL = TRUSTED_ORIGINS[0]!;
const untrustedOrigin = (i: number): string => `https://shop${i}.attacker.example`;

/** Opens a raw connection; resolves with the socket or the HTTP status that refused it. */
function tryOpen(origin: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/`, { origin, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}
const closeAll = (sockets: WebSocket[]): Promise<unknown> => Promise.all(sockets.map((ws) => new Promise((r) => { ws.once('close', r); ws.terminate(); })));

describe('connection slots', () => {
  it('the mall connects while 8 untrusted origins try to hold 64 idle connections', { timeout: 30_000 }, async () => {
    const attempts = await Promise.all(Array.from({ length: 64 }, (_, i) => tryOpen(untrustedOrigin(i % 8))));
    const held = attempts.filter((a): a is WebSocket => typeof a !== 'number');
    const refused = attempts.filter((a) => a === 503).length;
    console.log(`[slots] 64 untrusted attempts from 8 origins: ${held.length} held, ${refused} refused 503`);
    expect(held.length).toBeLessThanOrEqual(MAX_UNTRUSTED_CONNECTIONS_TOTAL);
    const mall = await Promise.all(Array.from({ length: 8 }, () => RpcClient.open(agent.port, MALL)));
    for (const client of mall) expect((await client.call('system.hello', {})).result?.trusted).toBe(true);
    mall.forEach((c) => c.close());
    await closeAll(held);
  });

  it('bounds one untrusted origin to its own per-origin share', async () => {
    const attempts = await Promise.all(Array.from({ length: 8 }, () => tryOpen(untrustedOrigin(99))));
    const held = attempts.filter((a): a is WebSocket => typeof a !== 'number');
    expect(held).toHaveLength(MAX_UNTRUSTED_CONNECTIONS_PER_ORIGIN);
    await closeAll(held);
  });

  it('closes idle untrusted connections (4001) and keeps idle trusted ones', { timeout: 20_000 }, async () => {
    const idle = (await tryOpen(untrustedOrigin(50))) as WebSocket;
    const busy = (await tryOpen(untrustedOrigin(51))) as WebSocket;
    const mall = (await tryOpen(MALL)) as WebSocket;
    const idleClosed = new Promise<number>((r) => idle.once('close', (code) => r(code)));
    // The active one keeps talking for longer than the idle timeout.
    const talk = setInterval(() => busy.send('{"jsonrpc":"2.0","id":1,"method":"system.hello"}'), IDLE_MS / 3);
    expect(await idleClosed).toBe(CLOSE_IDLE);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    clearInterval(talk);
    expect(busy.readyState).toBe(WebSocket.OPEN);
    expect(mall.readyState).toBe(WebSocket.OPEN);
    await closeAll([busy, mall]);
  });
});

describe('flooding', () => {
  it('closes a connection flooding system.hello (1008) after a bounded number of replies, and serves others meanwhile', { timeout: 30_000 }, async () => {
    const origin = untrustedOrigin(70);
    const flooders = (await Promise.all(Array.from({ length: MAX_UNTRUSTED_CONNECTIONS_PER_ORIGIN }, () => tryOpen(origin)))) as WebSocket[];
    const replies = flooders.map(() => 0);
    const closed = flooders.map((ws, i) => {
      ws.on('message', () => replies[i]!++);
      return new Promise<number>((r) => ws.once('close', (code) => r(code)));
    });
    const frame = '{"jsonrpc":"2.0","id":1,"method":"system.hello"}';
    let sent = 0;
    const flood = setInterval(() => {
      for (const ws of flooders) if (ws.readyState === WebSocket.OPEN) for (let i = 0; i < 500; i++) { ws.send(frame); sent++; }
    }, 1);
    const started = performance.now();
    const other = await RpcClient.open(agent.port, MALL);
    const hello = await other.call('system.hello', {});
    const connectMs = performance.now() - started;
    const codes = await Promise.all(closed);
    clearInterval(flood);
    console.log(`[flood] ${flooders.length} untrusted connections sent ${sent} frames; replies per connection ${replies.join(', ')}; closed ${codes.join(', ')}; trusted connect + hello during the flood ${connectMs.toFixed(0)} ms`);
    expect(hello.result?.product).toBe('ca-assistant');
    expect(codes.every((c) => c === CLOSE_POLICY_VIOLATION)).toBe(true);
    // The burst, then one over-rate budget of BUSY answers (plus what the rate refilled meanwhile).
    for (const n of replies) expect(n).toBeLessThan(REQUEST_BURST + MAX_FRAMES_OVER_RATE + 200);
    // The origin is refused for a while; trusted origins are not affected.
    expect(await tryOpen(origin)).toBe(429);
    other.close();
  });
});
