import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

/** The assistant's version from the nearest package.json named `ca-assistant` ('0.0.0' when none). */
export function assistantVersion(): string {
  if (version) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'ca-assistant' && pkg.version) return (version = pkg.version);
      } catch {
        // not ours; keep walking up
      }
    }
    dir = dirname(dir);
  }
  return (version = '0.0.0');
}
