import type { Config } from '../config.js';
import type { AgentCore, CoreOptions } from '../service/agent-core.js';

/** Exit codes of every command (DESIGN.md): 0 ok, 1 a check failed, 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Raised for bad arguments; the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An option a command accepts. `flag` takes no value; `string` takes one; `list` is repeatable. */
export interface OptionSpec {
  type: 'flag' | 'string' | 'list';
  descriptionZh: string;
}

export interface CommandContext {
  /** Parsed options of this command (after the global ones). */
  options: Record<string, string | string[] | boolean | undefined>;
  /** Positional arguments. */
  args: string[];
  config: Config;
  json: boolean;
  /** Starts the core with the command's modules and config (once). */
  core(options?: CoreOptions): Promise<AgentCore>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  /**
   * Ends the process if it is still alive `ms` from now (set by the real
   * command line only; absent when a test runs a command in its own process).
   */
  exitBackstop?(ms: number): void;
}

export interface CliCommand {
  name: string;
  summaryZh: string;
  /** Usage line after `ca-assistant NAME`, e.g. `--cert ID --hash HEX [--alg sha256]`. */
  usage: string;
  options: Record<string, OptionSpec>;
  /** What the exit codes mean for this command, shown by `--help` (default: the general 0 / 1 / 2 line). */
  exitCodesZh?: string;
  run(ctx: CommandContext): Promise<number>;
}
