import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_LOADERS } from '../../../src-agent/cli/command-list.js';

const COMMANDS_DIR = join(import.meta.dirname, '..', '..', '..', 'src-agent', 'cli', 'commands');

describe('COMMAND_LOADERS', () => {
  it('names every file in cli/commands/, so none is left out of the CLI or the bundle', () => {
    const files = readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
    expect(Object.keys(COMMAND_LOADERS).sort()).toEqual(files);
  });

  it('loads, for each name, the command of that name', async () => {
    for (const [name, load] of Object.entries(COMMAND_LOADERS)) expect((await load()).command.name).toBe(name);
  });
});
