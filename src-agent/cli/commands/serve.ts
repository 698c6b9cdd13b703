import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunningServer } from '../../api/server.js';
import { SHUTDOWN_TIMEOUT_MS, SLOT_POLL_INTERVAL_MS } from '../../limits.js';
import type { RunningHeadlessUi } from '../../ui/headless/index.js';
import type { UiPort } from '../../ui/port.js';
import { UsageError, EXIT_OK, type CliCommand } from '../command.js';

/** `ca-assistant serve`: runs the local WebSocket API until SIGINT/SIGTERM. */
export const command: CliCommand = {
  name: 'serve',
  summaryZh: '启动互认助手本地接口（WebSocket，仅监听 127.0.0.1）',
  usage: '[--port N] [--ui-port N] [--no-open]',
  options: {
    port: { type: 'string', descriptionZh: '监听端口（默认取配置 port，21518）' },
    'ui-port': { type: 'string', descriptionZh: '助手界面（浏览器页面）的端口（默认随机）' },
    'no-open': { type: 'flag', descriptionZh: '不自动在浏览器中打开助手界面' },
    'scripted-ui-pins': { type: 'string', descriptionZh: '仅测试用（需 CA_ASSISTANT_TEST=1）：依次作答的 PIN，逗号分隔；授权一律“仅此一次”' },
  },
  async run(ctx) {
    const portText = ctx.options.port;
    const port = typeof portText === 'string' ? parsePort(portText) : ctx.config.port;
    const uiPortText = ctx.options['ui-port'];
    const uiPort = typeof uiPortText === 'string' ? parsePort(uiPortText) : 0;
    const scripted = ctx.options['scripted-ui-pins'];
    if (typeof scripted === 'string' && process.env.CA_ASSISTANT_TEST !== '1') throw new UsageError('--scripted-ui-pins 仅在测试环境（CA_ASSISTANT_TEST=1）下可用');
    // Listen for SIGINT/SIGTERM before starting anything: a stop asked for while the
    // agent is still starting (installer, service manager, a quick Ctrl-C) must not be lost.
    let requestStop: () => void = () => undefined;
    const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
    process.on('SIGINT', requestStop);
    process.on('SIGTERM', requestStop);
    // Token hosts are forked synchronously inside this call; their start runs while the code below loads.
    const coreStarting = ctx.core({ pollIntervalMs: SLOT_POLL_INTERVAL_MS });
    // Awaited below; a failure meanwhile must not count as unhandled.
    coreStarting.catch(() => undefined);
    // The server's and the window's code, loaded while the hosts start (the longest part of serve → listening).
    const [{ startServer, compatOption }, { checkRunner }, { bridgeHandlers }, { HeadlessUi, hasDesktop, openExternal, startHeadlessUi }, { ScriptedUi }] = await Promise.all([
      import('../../api/server.js'),
      import('../../api/check-runner.js'),
      import('../../app/index.js'),
      import('../../ui/headless/index.js'),
      import('../../ui/scripted-ui.js'),
    ]);
    let ui: UiPort;
    if (typeof scripted === 'string') {
      const pins = scripted.split(',').filter((p) => p.length > 0);
      // The scripted user ticks “本次会话 N 分钟内不再询问”, so one PIN per token serves the mall's flow.
      ui = new ScriptedUi().answerPins(...pins.map((pin) => ({ pin, reuse: true }))).answerConsents(...pins.map(() => 'once' as const));
    } else {
      ui = new HeadlessUi();
    }
    const core = await coreStarting;
    let server: RunningServer | undefined = undefined;
    const runCheck = checkRunner(() => server?.trustedSeen() ?? [], () => server?.compat ?? { state: 'off' });
    server = await startServer({ core, ui, port, runCheck, ...compatOption(ctx.config) });
    ctx.stdout.write(`互认助手已启动，监听 ws://127.0.0.1:${server.port}/\nCA assistant listening on ws://127.0.0.1:${server.port}/\n`);
    if (server.compat.state === 'on') ctx.stdout.write(`兼容接口（原 CA 客户端页面）：ws://127.0.0.1:${server.compat.port}/xtxapp/\nCompatibility endpoint: ws://127.0.0.1:${server.compat.port}/xtxapp/\n`);
    if (server.compat.state === 'taken') ctx.stdout.write(`兼容接口端口 ${server.compat.port} 已被其他程序占用（可能是其他 CA 厂商的客户端），请运行环境检测查看处理办法。\n`);
    let headless: RunningHeadlessUi | undefined;
    if (ui instanceof HeadlessUi) {
      const canOpen = ctx.options['no-open'] !== true && hasDesktop();
      // A PIN or consent dialog with no window connected: open one, or say where it is.
      // The opener gets a file only this user can read, not the code: its command line is visible in `ps`.
      const openEntry = async (running: RunningHeadlessUi): Promise<boolean> =>
        openExternal(pathToFileURL(await running.writeEntryPage(join(core.config.dataDir, 'ui'))).href);
      const whenNoWindow = (): void => {
        const running = headless;
        if (!running) return;
        void (canOpen ? openEntry(running).catch(() => false) : Promise.resolve(false)).then((opened) => {
          if (opened) return;
          // Entry addresses work once: a fresh one, printed to this terminal only.
          const url = running.newEntryUrl();
          ctx.stdout.write(`有请求正在等待输入 PIN 码或授权，请在浏览器中打开：${url}\nA request waits for the PIN or consent; open: ${url}\n`);
        });
      };
      const api = server;
      headless = await startHeadlessUi({ core, ui, handlers: bridgeHandlers({ core, ui, server: () => api, openFolder: openExternal }), port: uiPort, whenNoWindow });
      const running = headless;
      // Each entry address works once; after one is used, the next is printed (only this terminal sees it).
      running.onEntryUsed = () => {
        const next = running.newEntryUrl();
        ctx.stdout.write(`助手界面地址已使用。如需在另一个浏览器窗口打开，请使用新地址：${next}\nThat address is spent; for another window use: ${next}\n`);
      };
      ctx.stdout.write(`助手界面（PIN 输入、环境检测）：${headless.url}\nAssistant window (PIN dialogs, environment check): ${headless.url}\n`);
      if (canOpen) {
        if (!(await openEntry(running))) ctx.stdout.write('未能自动打开浏览器，请复制上面的地址到浏览器中打开。\n');
      } else ctx.stdout.write('请在本机浏览器中打开上面的地址；PIN 输入框会在那里弹出。\n');
    }
    await stopRequested;
    process.off('SIGINT', requestStop);
    process.off('SIGTERM', requestStop);
    // Backstop: whatever hangs the shutdown (a native thread, a stuck token host), the port must come free.
    ctx.exitBackstop?.(SHUTDOWN_TIMEOUT_MS);
    ctx.stdout.write('正在关闭互认助手…… Shutting down…\n');
    await headless?.close();
    await server.close();
    return EXIT_OK;
  },
};

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`端口无效：${text}`);
  return port;
}
