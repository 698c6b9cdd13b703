/**
 * The demo's config.json across runs. `npm run demo` writes the keys it needs
 * (drivers, trust anchors, the mall's origin…), but the user may have changed
 * some since, in the assistant window's 设置 (生效于重新启动) or by hand: those
 * stay. A key is the user's when the file's value differs from what the demo
 * wrote last time (kept beside it); keys the demo does not manage are never touched.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

type Json = Record<string, unknown>;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The keys the assistant window's 设置 saves: without a record of the demo's last write, only these can be told apart as the user's. */
export const WINDOW_SETTINGS = ['port', 'modules', 'pinCacheSeconds', 'language'] as const;

/**
 * The config to write: `wanted` (the demo's keys), except where `current`
 * holds a value the user set (differs from `lastWritten`, or there is no record
 * of what the demo wrote), plus every other key of `current`.
 * `force` keys take `wanted`'s value regardless (given explicitly for this run).
 */
export function mergeDemoConfig(current: Json | undefined, lastWritten: Json | undefined, wanted: Json, force: readonly string[] = []): Json {
  const out: Json = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(wanted)) {
    const differs = current !== undefined && key in current && !same(current[key], value);
    const userSet = differs && (lastWritten ? !same(current[key], lastWritten[key]) : (WINDOW_SETTINGS as readonly string[]).includes(key));
    if (force.includes(key) || !userSet) out[key] = value;
  }
  return out;
}

function readJson(file: string): Json | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Merges `wanted` into `file` (see mergeDemoConfig), remembers what the demo
 * wrote in `file`.demo, and returns the config now in force. The user's keys
 * are listed in `kept`.
 */
export function writeDemoConfig(file: string, wanted: Json, force: readonly string[] = []): { config: Json; kept: string[] } {
  const current = readJson(file);
  const lastWritten = readJson(`${file}.demo`);
  const config = mergeDemoConfig(current, lastWritten, wanted, force);
  const kept = Object.keys(wanted).filter((k) => !same(config[k], wanted[k]));
  writeFileSync(`${file}.tmp`, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  // What the demo itself wants, so the next run can tell the user's edits from its own.
  writeFileSync(`${file}.demo`, JSON.stringify({ ...(lastWritten ?? {}), ...Object.fromEntries(Object.entries(wanted).filter(([k]) => !kept.includes(k))) }, null, 2) + '\n');
  return { config, kept };
}
