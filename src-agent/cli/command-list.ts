import type { CliCommand } from './command.js';

/**
 * Every `ca-assistant` command, in the order `--help` lists them, each loaded
 * only when needed. Listed by hand, not read from the directory, so that the
 * bundler (scripts/bundle-agent.mjs) sees every import;
 * tests/agent/cli/command-list.test.ts checks it against cli/commands/.
 */
export const COMMAND_LOADERS: Readonly<Record<string, () => Promise<{ command: CliCommand }>>> = {
  serve: () => import('./commands/serve.js'),
  check: () => import('./commands/check.js'),
  tokens: () => import('./commands/tokens.js'),
  certs: () => import('./commands/certs.js'),
  sign: () => import('./commands/sign.js'),
  verify: () => import('./commands/verify.js'),
  diagnose: () => import('./commands/diagnose.js'),
};
