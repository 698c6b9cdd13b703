/** Starts the agent core and API server on the per-file SoftHSM fixtures, and a small ws client. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../../../src-agent/api/server.js';
import { parseConfig, type Config } from '../../../src-agent/config.js';
import { startCore, type AgentCore } from '../../../src-agent/service/agent-core.js';
import { ScriptedUi } from '../../../src-agent/ui/scripted-ui.js';
import { fixtureEnv, type FixtureManifest } from '../../helpers/fixtures.js';

export const MALL = 'https://mall.example.gov.cn';
export const OTHER = 'https://other-mall.example.com';

export interface Harness {
  core: AgentCore;
  ui: ScriptedUi;
  server: RunningServer;
  dataDir: string;
  stop(): Promise<void>;
}

export async function makeConfig(fx: FixtureManifest, extra: Record<string, unknown> = {}, dataDir?: string): Promise<Config> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'ca-assistant-api-')));
  return parseConfig(
    JSON.stringify({
      modules: [fx.pinGuardModule],
      onlyConfiguredModules: true,
      trustAnchors: [fx.rootCa],
      intermediates: [fx.intermediateCa],
      trustedOrigins: [MALL],
      dataDir: dir,
      ...extra,
    }),
  );
}

export async function startHarness(fx: FixtureManifest, config: Config, extra: Partial<ServerOptions> = {}): Promise<Harness> {
  const core = await startCore(config, { hostEnv: { ...fixtureEnv(fx), CA_ASSISTANT_TEST_HOOKS: '1' }, pollIntervalMs: 200 });
  const ui = new ScriptedUi();
  const server = await startServer({ core, ui, port: 0, ...extra });
  return {
    core,
    ui,
    server,
    dataDir: config.dataDir,
    stop: async () => {
      await server.close();
      await core.stop();
    },
  };
}

export interface Reply {
  id: unknown;
  result?: Record<string, unknown> & { [k: string]: unknown };
  error?: { code: number; message: string; data: { reason: string; retriesLeft?: number; [k: string]: unknown } };
}

/** A test client: one WebSocket, calls by id, collects notifications. */
export class Client {
  readonly events: { method: string; params: unknown }[] = [];
  #next = 1;
  readonly #waiting = new Map<unknown, (reply: Reply) => void>();
  readonly #loose: Reply[] = [];
  closeInfo: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Reply & { method?: string; params?: unknown };
      if (frame.method && frame.id === undefined) {
        this.events.push({ method: frame.method, params: frame.params });
        return;
      }
      const waiter = this.#waiting.get(frame.id);
      if (waiter) {
        this.#waiting.delete(frame.id);
        waiter(frame);
      } else this.#loose.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve((this.closeInfo = { code, reason: reason.toString() }))));
  }

  static open(port: number, origin: string | undefined, headers: Record<string, string> = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { ...(origin !== undefined ? { origin } : {}), headers });
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  call(method: string, params?: unknown): Promise<Reply> {
    const id = this.#next++;
    return this.raw(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined ? { params } : {}) }), id);
  }

  /** Sends a raw text frame; resolves with the reply carrying `id` (null for frame errors). */
  raw(text: string, id: unknown = null): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const loose = this.#loose.findIndex((r) => r.id === id);
      if (loose >= 0) {
        resolve(this.#loose.splice(loose, 1)[0] as Reply);
        return;
      }
      this.#waiting.set(id, resolve);
      this.closed.then((c) => reject(new Error(`closed ${c.code} ${c.reason}`)), reject);
      this.ws.send(text);
    });
  }

  close(): void {
    this.ws.close();
  }
}

export function reasonOf(reply: Reply): string | undefined {
  return reply.error?.data.reason;
}
