import { checkRunner } from '../../api/check-runner.js';
import { startServer, type RunningServer } from '../../api/server.js';
import { SLOT_POLL_INTERVAL_MS } from '../../limits.js';
import { NoUi } from '../../api/no-ui.js';
import { ScriptedUi } from '../../ui/scripted-ui.js';
import type { UiPort } from '../../ui/port.js';
import { UsageError, EXIT_OK, type CliCommand } from '../command.js';

/** `ca-assistant serve`: runs the local WebSocket API until SIGINT/SIGTERM. */
export const command: CliCommand = {
  name: 'serve',
  summaryZh: '启动互认助手本地接口（WebSocket，仅监听 127.0.0.1）',
  usage: '[--port N]',
  options: {
    port: { type: 'string', descriptionZh: '监听端口（默认取配置 port，21518）' },
    'scripted-ui-pins': { type: 'string', descriptionZh: '仅测试用（需 CA_ASSISTANT_TEST=1）：依次作答的 PIN，逗号分隔；授权一律“仅此一次”' },
  },
  async run(ctx) {
    const portText = ctx.options.port;
    let port = ctx.config.port;
    if (typeof portText === 'string') {
      port = Number(portText);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`端口无效：${portText}`);
    }
    const scripted = ctx.options['scripted-ui-pins'];
    let ui: UiPort;
    if (typeof scripted === 'string') {
      if (process.env.CA_ASSISTANT_TEST !== '1') throw new UsageError('--scripted-ui-pins 仅在测试环境（CA_ASSISTANT_TEST=1）下可用');
      const pins = scripted.split(',').filter((p) => p.length > 0);
      ui = new ScriptedUi().answerPins(...pins).answerConsents(...pins.map(() => 'once' as const));
    } else {
      // The headless web UI and Electron windows plug in here once they exist.
      ui = new NoUi(ctx.stderr);
      ctx.stderr.write('注意：未找到 PIN 输入窗口，签名请求将被取消。Note: no PIN dialog available; signing requests will be cancelled.\n');
    }
    const core = await ctx.core({ pollIntervalMs: SLOT_POLL_INTERVAL_MS });
    let server: RunningServer | undefined = undefined;
    const runCheck = checkRunner(() => server?.trustedSeen() ?? []);
    server = await startServer({ core, ui, port, runCheck });
    ctx.stdout.write(`互认助手已启动，监听 ws://127.0.0.1:${server.port}/\nCA assistant listening on ws://127.0.0.1:${server.port}/\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    ctx.stdout.write('正在关闭互认助手…… Shutting down…\n');
    await server.close();
    return EXIT_OK;
  },
};
