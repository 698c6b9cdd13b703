import { EXIT_FAILED, EXIT_OK, UsageError, type CliCommand, type CommandContext } from '../command.js';
import { CHECK_GROUPS, runChecks } from '../../check/index.js';
import { formatProgress, formatReport } from '../../check/format.js';
import { lineReader, readPinFromTty } from '../pin-input.js';
import type { PinAsk } from '../../check/types.js';
import type { TokenInfo } from '../../tokens/types.js';
import type { CheckReport } from '../../protocol/types.js';

/** How the PIN of each token is obtained, from the options. Undefined: PIN checks skipped. */
export function pinSource(ctx: CommandContext): ((token: TokenInfo, ask: PinAsk) => Promise<Buffer | null>) | undefined {
  if (ctx.options['no-pin']) {
    if (ctx.options['pin-stdin']) throw new UsageError('--no-pin 与 --pin-stdin 不能同时使用');
    return undefined;
  }
  if (ctx.options['pin-stdin']) {
    const lines = lineReader(ctx.stdin);
    // One line per key: a wrong PIN is not asked again (the next line belongs to the next key).
    return (_token, ask) => (ask.attempt === 1 ? lines.next() : Promise.resolve(null));
  }
  if (!ctx.stdin.isTTY) return undefined;
  return (token, ask) => {
    const left = token.pin.retriesLeft !== undefined ? `还剩 ${token.pin.retriesLeft} 次机会` : token.pin.finalTry ? '只剩最后一次机会' : token.pin.countLow ? 'PIN 曾输错' : '';
    const wrong = ask.lastError ? `PIN 码${ask.lastError === 'PIN_LEN_RANGE' ? '长度不对' : '错误'}${left ? `，${left}` : ''}。请重新输入` : `请输入`;
    const state = !ask.lastError && left ? `（注意：${left}）` : '';
    return readPinFromTty(ctx.stdin, ctx.stderr, `${wrong} CA 锁「${token.label || token.serial}」的 PIN 码${state}，直接回车跳过：`);
  };
}

/** Runs 环境检测 with live progress on stderr. Shared by `check` and `diagnose`. */
export async function runCheckCommand(ctx: CommandContext, trace = false): Promise<{ report: CheckReport; core: Awaited<ReturnType<CommandContext['core']>> }> {
  const pin = pinSource(ctx);
  const core = await ctx.core({ pollIntervalMs: 0, ...(trace ? { trace: true } : {}) });
  const titles = new Map(CHECK_GROUPS.map((g) => [g.id, g.titleZh]));
  const chosen = ctx.options.token;
  const report = await runChecks({
    core,
    ...(pin ? { pin } : {}),
    ...(Array.isArray(chosen) ? { pinTokens: chosen } : {}),
    onProgress: (p) => {
      const line = formatProgress(p, titles.get(p.id));
      if (line) ctx.stderr.write(line);
    },
  });
  return { report, core };
}

export const command: CliCommand = {
  name: 'check',
  summaryZh: '环境检测：驱动、CA 锁、PIN、证书、印章和浏览器',
  usage: '[--json] [--pin-stdin | --no-pin] [--token ID]…',
  options: {
    token: { type: 'list', descriptionZh: '只验证这把 CA 锁的 PIN（编号见 tokens；可重复，按给出的顺序询问；只剩最后一次机会的 CA 锁只在这样选择后才询问）' },
    'pin-stdin': { type: 'flag', descriptionZh: '从标准输入读取 PIN（每把 CA 锁一行）' },
    'no-pin': { type: 'flag', descriptionZh: '不输入 PIN，跳过 PIN 与密钥对检测' },
  },
  async run(ctx) {
    const { report } = await runCheckCommand(ctx);
    ctx.stdout.write(ctx.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, ctx.stdout.isTTY === true && !process.env.NO_COLOR));
    return report.summary.fail > 0 ? EXIT_FAILED : EXIT_OK;
  },
};
