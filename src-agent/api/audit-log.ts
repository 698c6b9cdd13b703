/**
 * The signature audit log: one JSONL record per signature attempt, written
 * with a synchronous write to an append-mode fd before the reply is sent (a
 * killed agent loses none), fsynced within AUDIT_FSYNC_MS (a power cut loses
 * at most that), rotated by size. Records never contain a PIN.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_FSYNC_MS, AUDIT_KEEP_FILES, AUDIT_ROTATE_BYTES } from '../limits.js';
import { jsonLine } from '../util/json-line.js';
import { logger } from '../util/log.js';

const log = logger('audit');

/** One signature attempt. */
export interface AuditRecord {
  time: string;
  /** The calling web origin; null for the assistant itself. */
  origin: string | null;
  method: 'sign.hash' | 'auth.challenge';
  certId: string;
  /** null when the certificate could not be found. */
  certFingerprintSha256: string | null;
  hashAlgorithm: string;
  /** The signed digest, lower-case hex. */
  hash: string;
  format: 'cms' | 'raw';
  /** The site's claim, as sent. */
  documentName: string | null;
  /** `ok`, or the error reason. */
  result: string;
}

export interface AuditLogOptions {
  /** Rotate when the file would exceed this, bytes (default AUDIT_ROTATE_BYTES). */
  rotateBytes?: number;
  /** Rotated files kept (default AUDIT_KEEP_FILES). */
  keepFiles?: number;
  /** fsync delay, ms (default AUDIT_FSYNC_MS). */
  fsyncMs?: number;
}

export class AuditLog {
  readonly dir: string;
  readonly file: string;
  #fd: number | undefined;
  #size = 0;
  #fsyncTimer: NodeJS.Timeout | undefined;
  readonly #rotateBytes: number;
  readonly #keepFiles: number;
  readonly #fsyncMs: number;

  constructor(dataDir: string, options: AuditLogOptions = {}) {
    this.dir = join(dataDir, 'audit');
    this.file = join(this.dir, 'audit.jsonl');
    this.#rotateBytes = options.rotateBytes ?? AUDIT_ROTATE_BYTES;
    this.#keepFiles = options.keepFiles ?? AUDIT_KEEP_FILES;
    this.#fsyncMs = options.fsyncMs ?? AUDIT_FSYNC_MS;
  }

  /**
   * Appends a record; returns once the bytes are in the OS (write(2) done).
   * A failing disk is logged, never thrown: the caller's answer still goes out.
   */
  append(record: AuditRecord): void {
    const line = Buffer.from(jsonLine(record) + '\n', 'utf8');
    try {
      this.#open();
      if (this.#size > 0 && this.#size + line.length > this.#rotateBytes) this.#rotate();
      let written = 0;
      while (written < line.length) written += writeSync(this.#open(), line, written);
      this.#size += line.length;
      this.#scheduleFsync();
    } catch (error) {
      log.error('audit record not written', { error: (error as Error).message });
    }
  }

  /** fsyncs now and closes the file (shutdown). */
  close(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** fsyncs pending records now. */
  flush(): void {
    if (this.#fsyncTimer) clearTimeout(this.#fsyncTimer);
    this.#fsyncTimer = undefined;
    if (this.#fd === undefined) return;
    try {
      fsyncSync(this.#fd);
    } catch (error) {
      log.error('audit fsync failed', { error: (error as Error).message });
    }
  }

  #open(): number {
    if (this.#fd !== undefined) return this.#fd;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.#fd = openSync(this.file, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
    return this.#fd;
  }

  #scheduleFsync(): void {
    if (this.#fsyncTimer) return;
    this.#fsyncTimer = setTimeout(() => this.flush(), this.#fsyncMs);
    this.#fsyncTimer.unref();
  }

  /** audit.jsonl → audit.jsonl.1 → … → audit.jsonl.N (the oldest is dropped). */
  #rotate(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    rmSync(`${this.file}.${this.#keepFiles}`, { force: true });
    for (let i = this.#keepFiles - 1; i >= 1; i--) {
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    if (this.#keepFiles > 0) renameSync(this.file, `${this.file}.1`);
    else rmSync(this.file, { force: true });
    this.#open();
  }
}
