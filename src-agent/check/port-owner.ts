import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);
/** How long the OS tools may take to answer (default 3 s). */
const TOOL_TIMEOUT_MS = 3000;

/** Who holds a listening TCP port, as far as the OS tells. */
export interface PortOwner {
  pid?: number;
  name?: string;
}

/** Parses `ss -ltnpH` output for the process listening on `port`. */
export function parseSs(output: string, port: number): PortOwner | null {
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols.find((c) => new RegExp(`[:.]${port}$`).test(c));
    if (!local || !/LISTEN/.test(line)) continue;
    const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
    return m ? { name: m[1], pid: Number(m[2]) } : {};
  }
  return null;
}

/** Parses `netstat -ano -p tcp` (Windows) for the PID listening on `port`. */
export function parseNetstat(output: string, port: number): PortOwner | null {
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 5 && new RegExp(`[:.]${port}$`).test(cols[1] ?? '') && /LISTEN/i.test(cols[3] ?? '')) return { pid: Number(cols[4]) };
  }
  return null;
}

/** The process listening on a port; null when the OS tools are missing or say nothing. */
export async function portOwner(port: number): Promise<PortOwner | null> {
  try {
    if (process.platform === 'linux') {
      const { stdout } = await exec('ss', ['-ltnpH'], { timeout: TOOL_TIMEOUT_MS });
      return parseSs(stdout, port);
    }
    if (process.platform === 'win32') {
      const { stdout } = await exec('netstat', ['-ano', '-p', 'tcp'], { timeout: TOOL_TIMEOUT_MS, windowsHide: true });
      const owner = parseNetstat(stdout, port);
      if (!owner?.pid) return owner;
      const list = await exec('tasklist', ['/FI', `PID eq ${owner.pid}`, '/FO', 'CSV', '/NH'], { timeout: TOOL_TIMEOUT_MS, windowsHide: true }).catch(() => null);
      const name = list ? /^"([^"]+)"/.exec(list.stdout.trim())?.[1] : undefined;
      return { ...owner, ...(name ? { name } : {}) };
    }
  } catch {
    // the tool is missing or refused: we simply cannot say who it is
  }
  return null;
}
