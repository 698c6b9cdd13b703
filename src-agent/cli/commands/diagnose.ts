import { resolve } from 'node:path';
import { EXIT_FAILED, EXIT_OK, UsageError, type CliCommand } from '../command.js';
import { writeReport } from '../../check/index.js';
import { runCheckCommand } from './check.js';

export const command: CliCommand = {
  name: 'diagnose',
  summaryZh: '生成诊断报告（report.json 与 report.html），发给技术支持',
  usage: '--out DIR [--trace] [--pin-stdin | --no-pin] [--include-personal-ids]',
  exitCodesZh: '0 报告已生成（检测项是否通过写在报告里），1 报告未能写入，2 用法错误',
  options: {
    'include-personal-ids': { type: 'flag', descriptionZh: '报告中保留个人证件号码（默认只保留末 4 位；仅在技术支持明确需要时使用）' },
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
    const includePersonalIds = ctx.options['include-personal-ids'] === true;
    let paths: { json: string; html: string };
    try {
      paths = await writeReport(resolve(out), { core, report, trace, includePersonalIds });
    } catch (error) {
      ctx.stderr.write(`诊断报告未能写入 ${resolve(out)}：${(error as NodeJS.ErrnoException).code === 'EACCES' ? '没有写入权限' : (error as Error).message}。请换一个目录（--out）再试。\n`);
      return EXIT_FAILED;
    }
    // Writing the report is the job: failed checks are in it, not in the exit code.
    if (ctx.json) ctx.stdout.write(JSON.stringify({ ...paths, summary: report.summary, personalIdsMasked: !includePersonalIds }) + '\n');
    else {
      const s = report.summary;
      ctx.stdout.write(`诊断报告已生成：\n  ${paths.html}\n  ${paths.json}\n检测结果：通过 ${s.ok}，警告 ${s.warn}，失败 ${s.fail}，跳过 ${s.skipped}（详见报告）。\n${includePersonalIds ? '报告含个人证件号码，请只发给技术支持。\n' : ''}请将这两个文件发给技术支持。\n`);
    }
    return EXIT_OK;
  },
};
