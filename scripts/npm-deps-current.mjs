// Exit 0 when node_modules holds what package-lock.json asks for (every
// non-optional package at its locked version, per npm's own record in
// node_modules/.package-lock.json), 1 otherwise. scripts/setup.sh runs npm ci only then.
import { readFileSync } from 'node:fs';

const read = (file) => {
  try {
    return JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')).packages ?? {};
  } catch {
    return null;
  }
};
const wanted = read('package-lock.json');
const installed = read('node_modules/.package-lock.json');
if (!wanted || !installed) process.exit(1);
const stale = Object.entries(wanted).filter(([key, entry]) => key.startsWith('node_modules/') && !entry.optional && installed[key]?.version !== entry.version);
if (stale.length > 0) {
  console.log(`setup: ${stale.length} npm packages missing or at another version (${stale.slice(0, 3).map(([k]) => k.slice('node_modules/'.length)).join(', ')}…)`);
  process.exit(1);
}
