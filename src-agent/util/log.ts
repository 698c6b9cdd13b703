import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { LOG_KEEP_FILES, LOG_ROTATE_BYTES } from '../limits.js';
import { jsonLine } from './json-line.js';

/** Log levels, lowest first. */
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface LogRecord {
  time: string;
  level: LogLevel;
  scope: string;
  msg: string;
  [key: string]: unknown;
}

/** Keys whose values are never written, whatever the caller passes. */
const SECRET_KEYS = /pin|password|secret|privatekey/i;
/** Nesting below which values are cut (`[deep]`), so a hostile structure cannot blow the stack. */
const MAX_REDACT_DEPTH = 8;

/** A copy of `value` with secret-named fields replaced at any depth (objects and arrays). */
function redactValue(value: unknown, depth: number, seen: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (seen.has(value)) return '[cycle]';
  if (depth >= MAX_REDACT_DEPTH) return '[deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEYS.test(key) ? '[redacted]' : redactValue(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  return redactValue(fields, 0, new Set()) as Record<string, unknown>;
}

export interface LogFileOptions {
  /** Rotate when the file would exceed this, bytes (default LOG_ROTATE_BYTES). */
  rotateBytes?: number;
  /** Rotated files kept (default LOG_KEEP_FILES). */
  keepFiles?: number;
}

/** The agent's JSONL log: one fd opened 0600, rotated by size (agent.jsonl → .1 → … → .N). */
class LogFile {
  #fd: number | undefined;
  #size = 0;

  constructor(
    readonly path: string,
    private readonly rotateBytes: number,
    private readonly keepFiles: number,
  ) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }

  write(line: string): void {
    const bytes = Buffer.from(line + '\n', 'utf8');
    if (this.#size > 0 && this.#size + bytes.length > this.rotateBytes) this.#rotate();
    const fd = this.#open();
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    this.#size += bytes.length;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): number {
    if (this.#fd !== undefined) return this.#fd;
    this.#fd = openSync(this.path, 'a', 0o600);
    // A file made by an older version (or by hand) may be 0644: the mode of `open` applies only to new files.
    if (process.platform !== 'win32') chmodSync(this.path, 0o600);
    this.#size = fstatSync(this.#fd).size;
    return this.#fd;
  }

  #rotate(): void {
    this.close();
    rmSync(`${this.path}.${this.keepFiles}`, { force: true });
    for (let i = this.keepFiles - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    if (this.keepFiles > 0) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
  }
}

let logFile: LogFile | undefined;
let minLevel: LogLevel = (process.env.CA_ASSISTANT_LOG_LEVEL as LogLevel | undefined) ?? 'info';
const recent: LogRecord[] = [];
/** Records kept in memory for the diagnostics report (default 200). */
const RECENT_MAX = 200;

/** Sends log records to a JSONL file too (the agent's log under the data directory); undefined stops that. */
export function setLogFile(file: string | undefined, options: LogFileOptions = {}): void {
  logFile?.close();
  logFile = file ? new LogFile(file, options.rotateBytes ?? LOG_ROTATE_BYTES, options.keepFiles ?? LOG_KEEP_FILES) : undefined;
}

export function setLogLevel(level: LogLevel): void {
  minLevel = level;
}

/** The last warnings and errors, for the diagnostics report. */
export function recentProblems(): LogRecord[] {
  return recent.slice();
}

/** A logger bound to a scope, e.g. `logger('token-host')`. Fields named like secrets are redacted at any depth. */
export function logger(scope: string) {
  const write = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minLevel)) return;
    const record: LogRecord = { time: new Date().toISOString(), level, scope, msg, ...redact(fields) };
    const line = jsonLine(record);
    if (level === 'warn' || level === 'error') {
      recent.push(record);
      if (recent.length > RECENT_MAX) recent.shift();
    }
    try {
      logFile?.write(line);
    } catch {
      // A full disk must not take signing down with it.
    }
    if (process.env.CA_ASSISTANT_LOG_STDERR) {
      try {
        process.stderr.write(line + '\n');
      } catch {
        // A closed stderr (EPIPE) must not stop the agent either.
      }
    }
  };
  return {
    debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
    info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
    warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
    error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
  };
}

export type Logger = ReturnType<typeof logger>;
