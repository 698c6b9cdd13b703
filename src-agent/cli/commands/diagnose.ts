import { resolve } from 'node:path';
import { EXIT_FAILED, EXIT_OK, UsageError, type CliCommand } from '../command.js';
import { writeReport } from '../../check/index.js';
import { runCheckCommand } from './check.js';

export const command: CliCommand = {
  name: 'diagnose',
  summaryZh: '生成诊断报告（report.json 与 report.html），发给技术支持',
  usage: '--out DIR [--trace] [--pin-stdin | --no-pin]',
  options: {
    out: { type: 'string', descriptionZh: '报告输出目录' },
    trace: { type: 'flag', descriptionZh: '附带 PKCS#11 调用跟踪' },
    'pin-stdin': { type: 'flag', descriptionZh: '从标准输入读取 PIN（每把 CA 锁一行）' },
    'no-pin': { type: 'flag', descriptionZh: '不输入 PIN，跳过 PIN 与密钥对检测' },
  },
  async run(ctx) {
    const out = ctx.options.out;
    if (typeof out !== 'string' || out === '') throw new UsageError('请用 --out 指定报告输出目录');
    const trace = ctx.options.trace === true;
    const { report, core } = await runCheckCommand(ctx, trace);
    const paths = await writeReport(resolve(out), { core, report, trace });
    if (ctx.json) ctx.stdout.write(JSON.stringify({ ...paths, summary: report.summary }) + '\n');
    else ctx.stdout.write(`诊断报告已生成：\n  ${paths.html}\n  ${paths.json}\n请将这两个文件发给技术支持。\n`);
    return report.summary.fail > 0 ? EXIT_FAILED : EXIT_OK;
  },
};
