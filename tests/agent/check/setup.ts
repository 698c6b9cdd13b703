/** Shared set-up of the 环境检测 tests: a core on the per-file fixtures and a fake API server. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { parseConfig } from '../../../src-agent/config.js';
import { startCore, type AgentCore } from '../../../src-agent/service/agent-core.js';
import type { PinAsk } from '../../../src-agent/check/types.js';
import type { TokenInfo } from '../../../src-agent/tokens/types.js';
import { fixtureEnv, type FixtureManifest } from '../../helpers/fixtures.js';

export async function startFixtureCore(fx: FixtureManifest, extra: Record<string, unknown> = {}, trace = false): Promise<AgentCore> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ca-check-data-'));
  const config = parseConfig(JSON.stringify({ modules: [fx.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa], dataDir, ...extra }));
  return startCore(config, { hostEnv: fixtureEnv(fx), pollIntervalMs: 0, trace, logToFile: false });
}

/** A stand-in for the API server: answers `system.hello` like the real one. */
export async function fakeAssistant(): Promise<{ port: number; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws, req) => {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { id: number };
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { product: 'ca-assistant', version: '0.1.0', protocol: 1, origin: req.headers.origin, trusted: false, capabilities: { hashAlgorithms: ['sha256'], signatureFormats: ['cms'] } } }));
    });
  });
  return { port: (wss.address() as AddressInfo).port, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

/**
 * A PIN provider from a label → PIN map (a list: one PIN per ask, the next after a
 * wrong one; a single PIN answers the first ask only); records the asks.
 */
export function pinsByLabel(pins: Record<string, string | string[] | null>): { ask: (t: TokenInfo, ask: PinAsk) => Promise<Buffer | null>; asked: string[]; asks: { label: string; attempt: number; lastError?: string; pin: TokenInfo['pin'] }[] } {
  const asked: string[] = [];
  const asks: { label: string; attempt: number; lastError?: string; pin: TokenInfo['pin'] }[] = [];
  return {
    asked,
    asks,
    ask: async (t, a) => {
      asked.push(t.label);
      asks.push({ label: t.label, attempt: a.attempt, ...(a.lastError ? { lastError: a.lastError } : {}), pin: { ...t.pin } });
      const entry = pins[t.label];
      const pin = Array.isArray(entry) ? entry[a.attempt - 1] : a.attempt === 1 ? entry : null;
      return pin ? Buffer.from(pin, 'utf8') : null;
    },
  };
}
