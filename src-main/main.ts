/**
 * The Electron shell: the agent (core + WebSocket API) runs in this main
 * process; PKCS#11 modules run in token host child processes forked from the
 * Electron binary as plain Node (ELECTRON_RUN_AS_NODE). Logic lives in
 * ./logic (tested without Electron); this file only wires it.
 */
import { app, dialog, ipcMain, Notification, shell } from 'electron';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRunner } from '../src-agent/api/check-runner.js';
import { startServer, type RunningServer } from '../src-agent/api/server.js';
import { loadConfig, type Config } from '../src-agent/config.js';
import { SLOT_POLL_INTERVAL_MS } from '../src-agent/limits.js';
import { startCore, type AgentCore } from '../src-agent/service/agent-core.js';
import { BRIDGE_EVENTS, BRIDGE_METHODS, type BridgeMethodName } from '../src-agent/ui/bridge.js';
import { bridgeHandlers, tokenView } from '../src-agent/app/index.js';
import { HeadlessUi } from '../src-agent/ui/headless/index.js';
import { logger } from '../src-agent/util/log.js';
import { autostartEnabled, setAutostart } from './autostart.js';
import { ElectronUi, signedNotification } from './electron-ui.js';
import { CALL_CHANNEL, EVENT_CHANNEL, encodeBridgeArgument } from './logic/bridge-channels.js';
import { ipcGate } from './logic/ipc-gate.js';
import { configArgument, machineConfigPath, parseLaunch, PROTOCOL_SCHEME } from './logic/launch.js';
import type { TrayCommand } from './logic/tray-menu.js';
import { AppTray } from './tray.js';
import { Windows } from './windows.js';

const log = logger('main');
const here = dirname(fileURLToPath(import.meta.url));
// dist/src-main/main.js → <app>/src-renderer
const rendererDir = join(here, '..', '..', 'src-renderer');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void run();
}

function pickConfig(): Config {
  const explicit = configArgument(process.argv);
  if (explicit) return loadConfig(explicit);
  const machine = machineConfigPath(process.platform, process.env);
  return loadConfig(existsSync(machine) ? machine : undefined);
}

async function run(): Promise<void> {
  if (process.defaultApp) app.setAsDefaultProtocolClient(PROTOCOL_SCHEME, process.execPath, [join(here, 'main.js')]);
  else if (!app.isDefaultProtocolClient(PROTOCOL_SCHEME)) app.setAsDefaultProtocolClient(PROTOCOL_SCHEME);
  await app.whenReady();

  const inner = new HeadlessUi();
  const windows = new Windows(rendererDir, join(here, 'preload.cjs'), encodeBridgeArgument(Object.keys(BRIDGE_METHODS), BRIDGE_EVENTS));
  const ui = new ElectronUi(inner, {
    showDialog: (kind) => windows.showDialog(kind),
    notify: (view) => {
      if (Notification.isSupported()) new Notification({ ...signedNotification(view), silent: true }).show();
    },
  });
  for (const event of BRIDGE_EVENTS) inner.on(event, (payload: unknown) => windows.broadcast(EVENT_CHANNEL, event, payload));
  inner.on('requestClosed', () => {
    const open = new Set(inner.pending().map((p) => p.kind));
    if (!open.has('pin')) windows.hideDialog('pin');
    if (!open.has('consent')) windows.hideDialog('consent');
  });

  let core: AgentCore | undefined;
  let server: RunningServer | undefined;
  let problem: string | null = null;
  let checking = false;
  const tray = new AppTray((command) => void onTray(command));
  const refresh = (): void => tray.update({ tokens: core?.tokens.tokens() ?? [], problem }, { autostart: autostartEnabled(), autostartAvailable: true, checking });

  try {
    // Token hosts are forked from process.execPath — the Electron binary here: run them as Node.
    core = await startCore(pickConfig(), { hostEnv: { ELECTRON_RUN_AS_NODE: '1' }, pollIntervalMs: SLOT_POLL_INTERVAL_MS });
    core.tokens.on('changed', (tokens) => {
      inner.tokensChanged({ tokens: tokens.map(tokenView) });
      refresh();
    });
    server = await startServer({ core, ui, runCheck: checkRunner(() => server?.trustedSeen() ?? []) });
  } catch (error) {
    problem = (error as Error).message;
    log.error('agent did not start', { error: problem });
  }
  const handlers = core ? bridgeHandlers({ core, ui: inner, server: () => server, openFolder: async (dir) => (await shell.openPath(dir)) === '' }) : undefined;

  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, params: unknown) => {
    const frame = event.senderFrame;
    const decision = ipcGate({ webContentsId: event.sender.id, frameUrl: frame?.url ?? null, isMainFrame: frame !== null && frame === event.sender.mainFrame }, { ownWindowIds: windows.ownIds, rendererBaseUrl: windows.rendererBaseUrl });
    if (!decision.accept) {
      log.warn('ipc dropped', { reason: decision.reason });
      throw new Error('not allowed');
    }
    if (typeof method !== 'string' || !Object.hasOwn(BRIDGE_METHODS, method)) throw new Error('unknown method');
    if (!handlers) throw new Error(problem ?? 'agent not running');
    const name = method as BridgeMethodName;
    const parsed = BRIDGE_METHODS[name].params.parse(params);
    return (handlers[name] as (p: unknown) => Promise<unknown>)(parsed);
  });

  async function onTray(command: TrayCommand): Promise<void> {
    if (command === 'open') windows.showMain();
    else if (command === 'check' && handlers) {
      windows.showMain();
      checking = true;
      refresh();
      await handlers.runCheck({}).catch((error: Error) => log.warn('check failed', { error: error.message }));
      checking = false;
    } else if (command === 'toggle-autostart') setAutostart(!autostartEnabled());
    else if (command === 'about') await dialog.showMessageBox({ type: 'info', title: '关于互认助手', message: `互认助手 ${app.getVersion()}`, detail: `本地接口：ws://127.0.0.1:${server?.port ?? '—'}/\nElectron ${process.versions.electron}` });
    else if (command === 'quit') app.quit();
    refresh();
  }

  const launch = (argv: readonly string[]): void => {
    const request = parseLaunch(argv);
    if (!request.hidden) windows.showMain();
  };
  app.on('second-instance', (_event, argv) => launch(argv));
  app.on('open-url', (event) => {
    event.preventDefault();
    windows.showMain();
  });
  app.on('window-all-closed', () => undefined); // stays in the tray
  let stopping = false;
  app.on('before-quit', (event) => {
    if (stopping) return;
    stopping = true;
    event.preventDefault();
    inner.cancelAll();
    void (async () => {
      await server?.close().catch(() => undefined);
      await core?.stop().catch(() => undefined);
      tray.destroy();
      app.exit(0);
    })();
  });
  refresh();
  launch(process.argv);
}
