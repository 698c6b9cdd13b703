/**
 * A throw-away Wine prefix for running the NSIS harness installer (Debian's wine, wine64 and
 * wine32:i386: NSIS installers are 32-bit). One prefix per test file: `wineboot` takes ~30 s.
 * The whole registry is read from the prefix's `system.reg` (HKEY_LOCAL_MACHINE) after
 * `wineserver -w`, which is when Wine writes it (a few seconds: the server first lingers);
 * single keys are read with Wine's `reg export` while the server runs (~0.2 s).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult { status: number | null; output: string }

/** HKLM as Wine saved it: lower-cased key path → value name (`@` = default) → string value. */
export type Registry = Map<string, Map<string, string>>;

export interface WinePrefix {
  /** The prefix folder; `C:\` is `<dir>/drive_c`. */
  readonly dir: string;
  /** Host path of a `C:\…` path. */
  drive(windowsPath: string): string;
  /** `wine <exe> args…`, waiting for it to end (timeout 60 s). */
  run(exe: string, args?: string[]): RunResult;
  /** Starts `wine <exe>` in the background (ended by `close()`). */
  start(exe: string, args?: string[]): ChildProcess;
  /** Waits for the prefix's processes and server to end and returns HKLM from system.reg. */
  registry(): Registry;
  /** The given HKLM keys and their subkeys through `reg export` (missing keys are left out). */
  keys(...paths: string[]): Registry;
  /** Kills what still runs in the prefix, stops the display, removes the prefix. */
  close(): Promise<void>;
}

/** Xvfb on a free display number (it reports the number on a pipe). */
async function startDisplay(): Promise<{ display: string; proc: ChildProcess }> {
  const proc = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1024x768x24'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const display = await new Promise<string>((resolve, reject) => {
    let text = '';
    proc.stdio[3]?.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
    proc.on('exit', (code) => reject(new Error(`Xvfb exited ${code}`)));
  });
  return { display, proc };
}

/** Creates and boots a fresh prefix. */
export async function createWinePrefix(): Promise<WinePrefix> {
  const dir = mkdtempSync(join(tmpdir(), 'ca-wine-'));
  const { display, proc: xvfb } = await startDisplay();
  // No Mono/Gecko download prompts (no network here, and nothing needs them); quiet logs.
  const env = { ...process.env, WINEPREFIX: dir, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', DISPLAY: display, WINEARCH: 'win64' };
  const wineserverWait = (): void => void spawnSync('wineserver', ['-w'], { env, timeout: 120_000 });
  const boot = spawnSync('wine', ['wineboot', '-i'], { env, encoding: 'utf8', timeout: 180_000 });
  if (boot.status !== 0) throw new Error(`wineboot failed (${boot.status}): ${boot.stderr}`);
  wineserverWait();
  const started: ChildProcess[] = [];
  return {
    dir,
    drive: (p) => join(dir, 'drive_c', ...p.replace(/^C:\\/i, '').split('\\')),
    run: (exe, args = []) => {
      const r = spawnSync('wine', [exe, ...args], { env, encoding: 'utf8', timeout: 120_000 });
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    },
    start: (exe, args = []) => {
      const child = spawn('wine', [exe, ...args], { env, stdio: 'ignore' });
      started.push(child);
      return child;
    },
    registry: () => {
      wineserverWait();
      return parseRegFile(readFileSync(join(dir, 'system.reg'), 'utf8'), 'system');
    },
    keys: (...paths) => {
      const reg: Registry = new Map();
      const file = join(dir, 'drive_c', 'export.reg');
      for (const path of paths) {
        rmSync(file, { force: true });
        const r = spawnSync('wine', ['reg', 'export', path, 'C:\\export.reg', '/y', '/reg:64'], { env, timeout: 120_000 });
        if (r.status !== 0) continue;
        for (const [key, vals] of parseRegFile(readFileSync(file, 'utf16le').replace(/^\uFEFF/, ''), 'export')) reg.set(key, vals);
      }
      return reg;
    },
    close: async () => {
      spawnSync('wineserver', ['-k'], { env, timeout: 30_000 });
      for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
      xvfb.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Decodes a Wine .reg string body: `\\`, `\"`, `\n`, `\r`, `\t`, `\0` and `\xNNNN` (UTF-16 code unit). */
function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{1,4}|.)/g, (_m, e: string) => {
    if (e.startsWith('x') && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[e] ?? e;
  });
}

/**
 * The string values (REG_SZ, REG_EXPAND_SZ) of a Wine registry file, other types as their raw text.
 * `system`: the prefix's system.reg (key names escaped, relative to HKLM, with a timestamp);
 * `export`: `reg export` output (key names as typed, from HKEY_LOCAL_MACHINE).
 */
export function parseRegFile(text: string, format: 'system' | 'export'): Registry {
  const reg: Registry = new Map();
  let current: Map<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    const key = format === 'system' ? /^\[(.*)\] \d+$/.exec(line) : /^\[HKEY_LOCAL_MACHINE\\(.*)\]$/.exec(line);
    if (key?.[1] !== undefined) {
      current = new Map();
      reg.set((format === 'system' ? unescape(key[1]) : key[1]).toLowerCase(), current);
      continue;
    }
    if (!current) continue;
    const value = /^(?:"((?:[^"\\]|\\.)*)"|(@))=(?:str\(\d\):)?(.*)$/.exec(line);
    if (!value) continue;
    const name = value[2] ?? unescape(value[1] ?? '');
    const data = value[3] ?? '';
    current.set(name, data.startsWith('"') && data.endsWith('"') ? unescape(data.slice(1, -1)) : data);
  }
  return reg;
}

/** The values of one HKLM key (path as in regedit, any case), or undefined when the key is missing. */
export function regKey(reg: Registry, path: string): Map<string, string> | undefined {
  return reg.get(path.replace(/^HKLM\\/i, '').toLowerCase());
}
