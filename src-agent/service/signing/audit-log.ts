/**
 * The signature audit log: one JSONL record per signature attempt, written
 * with a synchronous write to an append-mode fd before the reply is sent (a
 * killed agent loses none), fsynced within AUDIT_FSYNC_MS (a power cut loses
 * at most that), rotated by size. Records never contain a PIN.
 *
 * It fails closed: a record that cannot be written throws AUDIT_FAILED, and the
 * signing use case then withholds the signature (no signature leaves unrecorded).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_FSYNC_MS, AUDIT_KEEP_FILES, AUDIT_ROTATE_BYTES } from '../../limits.js';
import { AssistantError } from '../../protocol/errors.js';
import { jsonLine } from '../../util/json-line.js';
import { logger } from '../../util/log.js';

const log = logger('audit');

/** One signature attempt. */
export interface AuditRecord {
  time: string;
  /** The calling web origin; null for the user in the assistant. */
  origin: string | null;
  /** For the user in the assistant: the command line, 环境检测 or the assistant window. */
  channel?: 'cli' | 'check' | 'window';
  /** What was asked: `sign.hash`, `auth.challenge`, `check.keypair`, or a later route's name. */
  method: string;
  /** null when the route has no token certificate (or none was named). */
  certId: string | null;
  /** null when the certificate could not be found. */
  certFingerprintSha256: string | null;
  hashAlgorithm: string | null;
  /** The signed digest, lower-case hex. */
  hash: string | null;
  format: string | null;
  /** The site's claim, as sent. */
  documentName: string | null;
  /** A 环境检测 test signature over random data, never handed to anyone. */
  test?: true;
  /** Route-specific facts (scalars only), e.g. a timestamp authority. */
  extra?: Record<string, string | number | boolean | null>;
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
  /** A write failed part-way: the next record starts on a new line. */
  #torn = false;
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
   * @throws AssistantError AUDIT_FAILED when the record could not be written (disk full, folder not writable).
   */
  append(record: AuditRecord): void {
    const line = Buffer.from((this.#torn ? '\n' : '') + jsonLine(record) + '\n', 'utf8');
    let written = 0;
    try {
      this.#open();
      if (this.#size > 0 && this.#size + line.length > this.#rotateBytes) this.#rotate();
      while (written < line.length) written += writeSync(this.#open(), line, written);
      this.#size += line.length;
      this.#torn = false;
      this.#scheduleFsync();
    } catch (error) {
      if (written > 0) this.#torn = true;
      this.#drop();
      const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      log.error('audit record not written', { code, error: (error as Error).message });
      throw new AssistantError('AUDIT_FAILED', `audit record not written (${code})`, { detailZh: auditFailureZh(code), errno: code });
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

  /** Forgets the fd after a failure, so the next record reopens (the folder may be back). */
  #drop(): void {
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // already unusable
      }
    }
    this.#fd = undefined;
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

/** The user's line for a failed audit write: what is wrong, never a path. */
function auditFailureZh(code: string): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return '数据目录所在磁盘已满，签章记录无法写入';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return '数据目录不可写（权限不足或为只读磁盘），签章记录无法写入';
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') return '数据目录中的签章记录文件夹被同名文件占用，签章记录无法写入';
  return '签章记录无法写入数据目录';
}
