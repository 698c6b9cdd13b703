import { UsageError, type OptionSpec } from './command.js';

/** Options every command accepts (DESIGN.md "Commands"). */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'flag', descriptionZh: '以 JSON 输出数据' },
  module: { type: 'list', descriptionZh: 'PKCS#11 驱动文件路径（可重复）' },
  config: { type: 'string', descriptionZh: '配置文件路径' },
  help: { type: 'flag', descriptionZh: '显示帮助' },
};

export interface ParsedArgs {
  options: Record<string, string | string[] | boolean | undefined>;
  args: string[];
}

/**
 * Parses `--name value`, `--name=value` and flags against the specs. Unknown
 * options, missing values and repeated single options are usage errors.
 */
export function parseArgs(argv: string[], specs: Record<string, OptionSpec>): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`不认识的参数：${arg}`);
      args.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`不认识的选项：--${name}`);
    if (spec.type === 'flag') {
      if (eq !== -1) throw new UsageError(`选项 --${name} 不带值`);
      options[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw new UsageError(`选项 --${name} 需要一个值`);
    if (spec.type === 'list') options[name] = [...((options[name] as string[] | undefined) ?? []), value];
    else if (options[name] !== undefined) throw new UsageError(`选项 --${name} 只能给一次`);
    else options[name] = value;
  }
  return { options, args };
}

/** A string option, required or not. */
export function stringOption(options: ParsedArgs['options'], name: string, required: true): string;
export function stringOption(options: ParsedArgs['options'], name: string, required?: false): string | undefined;
export function stringOption(options: ParsedArgs['options'], name: string, required = false): string | undefined {
  const value = options[name];
  if (value === undefined && required) throw new UsageError(`缺少选项 --${name}`);
  return typeof value === 'string' ? value : undefined;
}
