/** Output shared by benchmarks: the machine description, a plain-text table, the JSON file. */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `<benchmark>.json` files go: bench/results/. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export interface MachineInfo {
  cpu: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** ISO 8601, when the run started. */
  date: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** Formats rows as a left/right-aligned text table; numeric-looking cells align right. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const numeric = /^[\d.,x×%-]+$/;
  const line = (r: string[]): string =>
    r.map((cell, i) => (numeric.test(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Writes `bench/results/<name>.json` and returns its path. */
export async function writeResult(name: string, data: unknown): Promise<string> {
  const file = join(RESULTS_DIR, `${name}.json`);
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}
