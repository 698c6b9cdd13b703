// Whether the agent's bundle in dist/agent/ (scripts/bundle-agent.mjs, part of
// `npm run build`) is at least as new as every TypeScript source of the agent,
// so the CLI never runs stale code after an edit.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const builtCli = join(root, 'dist', 'agent', 'cli.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export function distIsFresh() {
  if (!existsSync(builtCli)) return false;
  return statSync(builtCli).mtimeMs >= newestSource(join(root, 'src-agent'));
}
