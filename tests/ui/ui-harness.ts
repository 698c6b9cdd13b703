/** Starts core + WebSocket API + headless UI on the per-file SoftHSM fixtures, and a loopback "mall" page that loads the built SDK. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src-agent/api/server.js';
import { parseConfig } from '../../src-agent/config.js';
import { startCore, type AgentCore } from '../../src-agent/service/agent-core.js';
import { bridgeHandlers } from '../../src-agent/app/index.js';
import { HeadlessUi, startHeadlessUi, type RunningHeadlessUi } from '../../src-agent/ui/headless/index.js';
import { buildSdk } from '../../sdk/build.js';
import { fixtureEnv, type FixtureManifest } from '../helpers/fixtures.js';

export const CHROMIUM = { executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] };

export interface UiHarness {
  core: AgentCore;
  api: RunningServer;
  headless: RunningHeadlessUi;
  /** Trusted in the config: `http://127.0.0.1:<mallPort>`. */
  trustedMall: string;
  /** Same server, not trusted: `http://localhost:<mallPort>`. */
  untrustedMall: string;
  dataDir: string;
  configFile: string;
  stop(): Promise<void>;
}

const MALL_PAGE = `<!doctype html><meta charset="utf-8"><title>测试商城</title>
<script type="module">import * as sdk from '/sdk.js'; window.sdk = sdk; document.title = 'ready';</script>`;

/** A static server for the mall page and the SDK bundle. */
async function startMall(sdkFile: string | null): Promise<{ server: Server; port: number }> {
  const sdk = sdkFile ? await readFile(sdkFile) : Buffer.alloc(0);
  const server = createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      return res.end(sdk);
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(MALL_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

export async function startUiHarness(fx: FixtureManifest, options: { openFolder?: (dir: string) => Promise<boolean>; sdk?: boolean } = {}): Promise<UiHarness> {
  const work = await mkdtemp(join(tmpdir(), 'ca-assistant-ui-'));
  // The mall page loads the SDK exactly as built for malls (sdk/build.ts); the security tests need no page.
  const mall = await startMall(options.sdk === false ? null : (await buildSdk(join(work, 'sdk'))).js);
  const trustedMall = `http://127.0.0.1:${mall.port}`;
  const dataDir = join(work, 'data');
  const configFile = join(work, 'config.json');
  const raw = { modules: [fx.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa], trustedOrigins: [trustedMall], dataDir };
  const { writeFile } = await import('node:fs/promises');
  await writeFile(configFile, JSON.stringify(raw, null, 2));
  const config = { ...parseConfig(JSON.stringify(raw)), configFile };
  const core = await startCore(config, { hostEnv: fixtureEnv(fx), pollIntervalMs: 200 });
  const ui = new HeadlessUi();
  const api = await startServer({ core, ui, port: 0 });
  const headless = await startHeadlessUi({ core, ui, handlers: bridgeHandlers({ core, ui, server: () => api, openFolder: options.openFolder ?? (async () => false) }) });
  return {
    core, api, headless, trustedMall, untrustedMall: `http://localhost:${mall.port}`, dataDir, configFile,
    stop: async () => {
      await headless.close();
      await api.close();
      await core.stop();
      mall.server.closeAllConnections();
      await new Promise<void>((resolve) => mall.server.close(() => resolve()));
    },
  };
}
