import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

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

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = SECRET_KEYS.test(key) ? '[redacted]' : value;
  return out;
}

let logFile: string | undefined;
let minLevel: LogLevel = (process.env.CA_ASSISTANT_LOG_LEVEL as LogLevel | undefined) ?? 'info';
const recent: LogRecord[] = [];
/** Records kept in memory for the diagnostics report (default 200). */
const RECENT_MAX = 200;

/** Sends log records to a JSONL file too (the agent's log under the data directory). */
export function setLogFile(file: string | undefined): void {
  logFile = file;
  if (file) mkdirSync(dirname(file), { recursive: true });
}

export function setLogLevel(level: LogLevel): void {
  minLevel = level;
}

/** The last warnings and errors, for the diagnostics report. */
export function recentProblems(): LogRecord[] {
  return recent.slice();
}

/** A logger bound to a scope, e.g. `logger('token-host')`. Fields named like secrets are redacted. */
export function logger(scope: string) {
  const write = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minLevel)) return;
    const record: LogRecord = { time: new Date().toISOString(), level, scope, msg, ...redact(fields) };
    const line = JSON.stringify(record);
    if (level === 'warn' || level === 'error') {
      recent.push(record);
      if (recent.length > RECENT_MAX) recent.shift();
    }
    if (logFile) {
      try {
        appendFileSync(logFile, line + '\n');
      } catch {
        // A full disk must not take signing down with it.
      }
    }
    if (process.env.CA_ASSISTANT_LOG_STDERR) process.stderr.write(line + '\n');
  };
  return {
    debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
    info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
    warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
    error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
  };
}

export type Logger = ReturnType<typeof logger>;
