/**
 * The `ca-assistant` command: `serve | check | tokens | certs | sign | verify | diagnose`.
 * Each command lives in `cli/commands/NAME.ts` and is loaded only when run
 * (cli/command-list.ts). Exit codes: 0 ok, 1 a check
 * failed, 2 bad usage (DESIGN.md). Started by src-agent/cli.ts.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { AssistantError, REASONS } from '../protocol/errors.js';
import { startCore, type AgentCore, type CoreOptions } from '../service/agent-core.js';
import { GLOBAL_OPTIONS, parseArgs } from './args.js';
import { EXIT_FAILED, EXIT_USAGE, UsageError, type CliCommand, type CommandContext } from './command.js';
import { COMMAND_LOADERS } from './command-list.js';
import { releasePreforkedHost } from '../tokens/host-process.js';

/** Every command (or the one named) from cli/command-list.ts, in `--help` order. */
async function loadCommands(names = Object.keys(COMMAND_LOADERS)): Promise<Map<string, CliCommand>> {
  const commands = new Map<string, CliCommand>();
  for (const name of names) {
    const load = COMMAND_LOADERS[name];
    if (load) commands.set(name, (await load()).command);
  }
  return commands;
}

function usage(commands: Map<string, CliCommand>, name?: string): string {
  const cmd = name ? commands.get(name) : undefined;
  const globals = Object.entries(GLOBAL_OPTIONS)
    .map(([k, s]) => `  --${k}${s.type === 'flag' ? '' : ' 值'}\t${s.descriptionZh}`)
    .join('\n');
  if (cmd) {
    const own = Object.entries(cmd.options)
      .map(([k, s]) => `  --${k}${s.type === 'flag' ? '' : ' 值'}\t${s.descriptionZh}`)
      .join('\n');
    return `用法：ca-assistant ${cmd.name} ${cmd.usage}\n${cmd.summaryZh}\n\n选项：\n${own}${own ? '\n' : ''}${globals}\n\n退出码：${cmd.exitCodesZh ?? EXIT_CODES_ZH}\n`;
  }
  const names = [...commands.keys()];
  const list = names.map((n) => `  ${n.padEnd(9)} ${commands.get(n)?.summaryZh ?? ''}`).join('\n');
  return `用法：ca-assistant <命令> [选项]\n\n命令：\n${list}\n\n通用选项：\n${globals}\n\n退出码：${EXIT_CODES_ZH}（diagnose：0 报告已生成，1 报告未能写入）\n`;
}

/** The general exit-code line of `--help`. */
const EXIT_CODES_ZH = '0 正常，1 检测或签名未通过，2 用法错误';

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(usage(await loadCommands()));
    return name ? 0 : EXIT_USAGE;
  }
  // Only the command being run is loaded: `serve` starts without the report and signing code.
  const commands = Object.hasOwn(COMMAND_LOADERS, name) ? await loadCommands([name]) : new Map<string, CliCommand>();
  const command = commands.get(name);
  if (!command) {
    process.stderr.write(`不认识的命令：${name}\n\n${usage(await loadCommands())}`);
    return EXIT_USAGE;
  }
  let core: AgentCore | undefined;
  try {
    const { options, args } = parseArgs(rest, { ...GLOBAL_OPTIONS, ...command.options });
    if (options.help) {
      process.stdout.write(usage(commands, name));
      return 0;
    }
    const loaded = loadConfig(options.config as string | undefined);
    const modules = (options.module as string[] | undefined) ?? [];
    const config: Config = modules.length ? { ...loaded, modules: [...modules, ...loaded.modules] } : loaded;
    const ctx: CommandContext = {
      options,
      args,
      config,
      json: options.json === true,
      core: async (coreOptions?: CoreOptions) => (core ??= await startCore(config, { pollIntervalMs: 0, ...coreOptions })),
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      // SIGKILL, not exit(): a native thread that blocks the shutdown blocks exit()'s cleanup too.
      exitBackstop: (ms) => setTimeout(() => process.kill(process.pid, 'SIGKILL'), ms).unref(),
    };
    return await command.run(ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${usage(commands, name)}`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_USAGE;
    }
    if (AssistantError.is(error)) {
      const info = REASONS[error.reason];
      process.stderr.write(`错误：${info.zh}${error.details.detailZh ? `（${String(error.details.detailZh)}）` : ''}\n处理方法：${info.remedyZh}\n[${error.reason}${error.details.ckr ? ` ${String(error.details.ckr)}` : ''}]\n`);
      return EXIT_FAILED;
    }
    process.stderr.write(`内部错误：${(error as Error).message}\n`);
    return EXIT_FAILED;
  } finally {
    await core?.stop();
    // A command that ended before the token layer started (usage or config error) leaves no spare host behind.
    releasePreforkedHost();
  }
}

// A reader that has gone away (closed terminal, service manager's pipe) makes every
// later write fail with EPIPE. Left unhandled that error killed the agent halfway
// through its shutdown, where USB monitoring's thread then kept it (and its port)
// alive. What we print is never worth more than finishing the shutdown.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

const code = await main(process.argv.slice(2));
process.exitCode = code;
