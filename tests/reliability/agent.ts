/**
 * Starts the agent in-process (core + API server, scripted UI) on SoftHSM
 * fixtures, for the reliability tests and the benchmarks. No vitest import, so
 * `bench/` can use it too.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunCheck } from '../../src-agent/api/context.js';
import { startServer, type RunningServer } from '../../src-agent/api/server.js';
import { parseConfig } from '../../src-agent/config.js';
import { startCore, type AgentCore } from '../../src-agent/service/agent-core.js';
import { ScriptedUi } from '../../src-agent/ui/scripted-ui.js';
import { fixtureEnv } from '../fixtures/make-fixtures.js';
import type { FixtureManifest, FixtureToken, FixtureTokenKey } from '../fixtures/manifest.js';

/** The limits allow 8 connections per origin, so load spreads over several trusted origins. */
export const TRUSTED_ORIGINS = Array.from({ length: 8 }, (_, i) => `https://mall${i + 1}.example.gov.cn`);

export interface Agent {
  core: AgentCore;
  ui: ScriptedUi;
  server: RunningServer;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface AgentOptions {
  /** Hot-plug polling, ms (default 200; 0 = off). */
  pollIntervalMs?: number;
  /** Agent data dir (default: a fresh temp dir). */
  dataDir?: string;
  /** The 环境检测 runner for check.run. */
  runCheck?: RunCheck;
  /** Idle time after which untrusted connections close, ms (default: the server's). */
  untrustedIdleMs?: number;
}

/** The JSON config the agent gets for `fx` (also written to disk for the spawned `serve`). */
export function agentConfigJson(fx: FixtureManifest, dataDir: string): Record<string, unknown> {
  return {
    modules: [fx.pinGuardModule],
    onlyConfiguredModules: true,
    trustAnchors: [fx.rootCa],
    intermediates: [fx.intermediateCa],
    trustedOrigins: TRUSTED_ORIGINS,
    dataDir,
  };
}

export async function startAgent(fx: FixtureManifest, options: AgentOptions = {}): Promise<Agent> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'ca-assistant-rel-')));
  const config = parseConfig(JSON.stringify(agentConfigJson(fx, dataDir)));
  const core = await startCore(config, { hostEnv: { ...fixtureEnv(fx), CA_ASSISTANT_TEST_HOOKS: '1' }, pollIntervalMs: options.pollIntervalMs ?? 200, logToFile: false });
  const ui = new ScriptedUi();
  const server = await startServer({ core, ui, port: 0, ...(options.runCheck ? { runCheck: options.runCheck } : {}), ...(options.untrustedIdleMs ? { untrustedIdleMs: options.untrustedIdleMs } : {}) });
  return {
    core, ui, server, port: server.port, dataDir,
    stop: async () => {
      await server.close();
      await core.stop();
    },
  };
}

/** The fixture token with this key. Throws when missing. */
export function fixtureToken(fx: FixtureManifest, key: FixtureTokenKey): FixtureToken {
  const token = fx.tokens.find((t) => t.key === key);
  if (!token) throw new Error(`fixture token ${key} missing`);
  return token;
}

/**
 * Logs a token in as the user would for each trusted origin: one PIN dialog per
 * origin, answered with the PIN and the “本次会话 N 分钟内不再询问” tick, so every
 * trusted origin then signs without a dialog for pinReuseMinutes (10 min).
 * Returns the agent's token id.
 */
export async function loginAsUser(agent: Agent, token: FixtureToken): Promise<string> {
  const id = agent.core.tokens.tokens().find((t) => t.label === token.label)?.id;
  if (!id) throw new Error(`agent does not see token ${token.label}`);
  const entry = (await agent.core.certs.list(id))[0];
  if (!entry) throw new Error(`no certificate on ${token.label}`);
  for (const origin of TRUSTED_ORIGINS) {
    agent.ui.answerPins({ pin: token.userPin, reuse: true });
    await agent.server.policy.withLogin({ origin, trusted: true }, entry, async () => undefined);
  }
  return id;
}

/** The agent's certificate id for a fixture certificate (by fingerprint). */
export async function certIdOf(agent: Agent, token: FixtureToken, keyAlgorithm: 'RSA' | 'EC'): Promise<string> {
  const cert = token.certs.find((c) => c.keyAlgorithm === keyAlgorithm && c.hasPrivateKey);
  const entries = await agent.core.certs.list();
  const entry = entries.find((e) => e.details.fingerprintSha256 === cert?.fingerprintSha256);
  if (!cert || !entry) throw new Error(`no ${keyAlgorithm} signing certificate on ${token.label}`);
  return entry.token.id;
}
