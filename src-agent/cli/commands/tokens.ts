import type { CliCommand } from '../command.js';
import { table } from '../table.js';

const yes = (b: boolean): string => (b ? '是' : '否');

/** `ca-assistant tokens`: the keys present, with their PIN state. */
export const command: CliCommand = {
  name: 'tokens',
  summaryZh: '列出已插入的 CA 锁及其 PIN 状态',
  usage: '[--json]',
  options: {},
  async run(ctx) {
    const core = await ctx.core();
    const tokens = core.tokens.tokens();
    const modules = core.tokens.modules();
    if (ctx.json) {
      ctx.stdout.write(JSON.stringify({ tokens, modules }, null, 2) + '\n');
      return 0;
    }
    for (const m of modules.filter((m) => !m.loaded && !m.duplicateOf)) ctx.stderr.write(`驱动未加载：${m.path}（${m.errorZh ?? m.reason ?? ''}）\n`);
    if (tokens.length === 0) {
      ctx.stdout.write('未检测到 CA 锁。请插入 CA 锁（USB Key）后重试。\n');
      return 0;
    }
    const rows = tokens.map((t) => [
      t.id,
      t.label,
      t.manufacturer,
      t.serial,
      t.pin.locked ? '已锁定' : t.pin.finalTry ? '最后一次机会' : t.pin.countLow ? '曾输错' : '正常',
      t.pin.protectedAuthPath ? '密码键盘' : `${t.pin.minLength}-${t.pin.maxLength} 位`,
      yes(t.loggedIn),
    ]);
    ctx.stdout.write(table(['编号', '标签', '厂商', '序列号', 'PIN 状态', 'PIN 输入', '已登录'], rows) + '\n');
    return 0;
  },
};
