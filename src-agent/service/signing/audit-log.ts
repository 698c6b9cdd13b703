/**
 * The signature audit log: one JSONL record per signature attempt, written
 * with a synchronous write to an append-mode fd before the reply is sent (a
 * killed agent loses none), fsynced within AUDIT_FSYNC_MS (a power cut loses
 * at most that), rotated by size. Records never contain a PIN.
 *
 * Signatures (`result: ok`) go to `audit.jsonl`; refused requests (no
 * signature made: not found, cancelled, denied…) go to `refused.jsonl`, with
 * a budget of their own and a per-origin rate, so a page that sends refused
 * requests by the thousand cannot rotate signature records away. A rotated
 * signature file is never dropped while it holds records younger than
 * AUDIT_RETENTION_DAYS.
 *
 * It fails closed: a record that cannot be written throws AUDIT_FAILED, and the
 * signing use case then withholds the signature (no signature leaves unrecorded).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  AUDIT_FSYNC_MS,
  AUDIT_KEEP_FILES,
  AUDIT_REFUSED_KEEP_FILES,
  AUDIT_REFUSED_PER_ORIGIN_PER_MINUTE,
  AUDIT_REFUSED_ROTATE_BYTES,
  AUDIT_RETENTION_DAYS,
  AUDIT_ROTATE_BYTES,
} from '../../limits.js';
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
  /** Rotate when the signature file would exceed this, bytes (default AUDIT_ROTATE_BYTES). */
  rotateBytes?: number;
  /** Rotated signature files kept (default AUDIT_KEEP_FILES), more while they hold records younger than `retentionDays`. */
  keepFiles?: number;
  /** Days a signature record is kept at least (default AUDIT_RETENTION_DAYS). */
  retentionDays?: number;
  /** Rotate the refused-request file at this size, bytes (default AUDIT_REFUSED_ROTATE_BYTES). */
  refusedRotateBytes?: number;
  /** Rotated refused-request files kept (default AUDIT_REFUSED_KEEP_FILES). */
  refusedKeepFiles?: number;
  /** Refused-request records per origin per minute (default AUDIT_REFUSED_PER_ORIGIN_PER_MINUTE). */
  refusedPerOriginPerMinute?: number;
  /** fsync delay, ms (default AUDIT_FSYNC_MS). */
  fsyncMs?: number;
  now?: () => number;
}

/** One JSONL file: append-mode fd, size rotation, fsync within `fsyncMs`. */
class AuditFile {
  #fd: number | undefined;
  #size = 0;
  /** A write failed part-way: the next record starts on a new line. */
  #torn = false;
  #fsyncTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    readonly file: string,
    private readonly rotateBytes: number,
    private readonly keepFiles: number,
    /** Rotated files whose last write is younger than this are never dropped, ms (0: drop by count). */
    private readonly retentionMs: number,
    private readonly fsyncMs: number,
    private readonly now: () => number,
  ) {}

  /** @throws AssistantError AUDIT_FAILED */
  append(record: AuditRecord): void {
    const line = Buffer.from((this.#torn ? '\n' : '') + jsonLine(record) + '\n', 'utf8');
    let written = 0;
    try {
      this.#open();
      if (this.#size > 0 && this.#size + line.length > this.rotateBytes) this.#rotate();
      while (written < line.length) written += writeSync(this.#open(), line, written);
      this.#size += line.length;
      this.#torn = false;
      this.#scheduleFsync();
    } catch (error) {
      if (written > 0) this.#torn = true;
      this.#drop();
      const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      log.error('audit record not written', { file: this.file, code, error: (error as Error).message });
      throw new AssistantError('AUDIT_FAILED', `audit record not written (${code})`, { detailZh: auditFailureZh(code), errno: code });
    }
  }

  close(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

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
    this.#fsyncTimer = setTimeout(() => this.flush(), this.fsyncMs);
    this.#fsyncTimer.unref();
  }

  /**
   * file → file.1 → … → file.N. The oldest past `keepFiles` is dropped only
   * when its last write is older than the retention; otherwise it is kept as
   * file.N+1 (and so on), so no signature younger than the retention is lost.
   */
  #rotate(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    let last = this.keepFiles;
    while (existsSync(`${this.file}.${last}`) && this.now() - statSync(`${this.file}.${last}`).mtimeMs < this.retentionMs) last++;
    rmSync(`${this.file}.${last}`, { force: true });
    for (let i = last - 1; i >= 1; i--) {
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    if (last > 0) renameSync(this.file, `${this.file}.1`);
    else rmSync(this.file, { force: true });
    this.#open();
  }
}

const MINUTE_MS = 60_000;

export class AuditLog {
  readonly dir: string;
  /** The signature records, `audit/audit.jsonl`. */
  readonly file: string;
  /** The refused-request records, `audit/refused.jsonl`. */
  readonly refusedFile: string;
  readonly #signatures: AuditFile;
  readonly #refused: AuditFile;
  readonly #perMinute: number;
  readonly #now: () => number;
  /** origin → refused records this minute, and how many were left out. */
  readonly #rate = new Map<string, { minute: number; written: number; suppressed: number }>();

  constructor(dataDir: string, options: AuditLogOptions = {}) {
    this.dir = join(dataDir, 'audit');
    this.file = join(this.dir, 'audit.jsonl');
    this.refusedFile = join(this.dir, 'refused.jsonl');
    this.#now = options.now ?? Date.now;
    const fsyncMs = options.fsyncMs ?? AUDIT_FSYNC_MS;
    const retentionMs = (options.retentionDays ?? AUDIT_RETENTION_DAYS) * 86_400_000;
    this.#signatures = new AuditFile(this.dir, this.file, options.rotateBytes ?? AUDIT_ROTATE_BYTES, options.keepFiles ?? AUDIT_KEEP_FILES, retentionMs, fsyncMs, this.#now);
    this.#refused = new AuditFile(this.dir, this.refusedFile, options.refusedRotateBytes ?? AUDIT_REFUSED_ROTATE_BYTES, options.refusedKeepFiles ?? AUDIT_REFUSED_KEEP_FILES, 0, fsyncMs, this.#now);
    this.#perMinute = options.refusedPerOriginPerMinute ?? AUDIT_REFUSED_PER_ORIGIN_PER_MINUTE;
  }

  /**
   * Appends a record; returns once the bytes are in the OS (write(2) done).
   * A signature goes to audit.jsonl; a refused request to refused.jsonl, at
   * most `refusedPerOriginPerMinute` per origin (the rest are counted in a
   * `SUPPRESSED` record when the origin's next minute starts).
   * @throws AssistantError AUDIT_FAILED when the record could not be written (disk full, folder not writable).
   */
  append(record: AuditRecord): void {
    if (record.result === 'ok') return this.#signatures.append(record);
    const key = record.origin ?? '';
    const minute = Math.floor(this.#now() / MINUTE_MS);
    let rate = this.#rate.get(key);
    if (!rate || rate.minute !== minute) {
      if (rate && rate.suppressed > 0) this.#refused.append(suppressed(record, rate.suppressed));
      rate = { minute, written: 0, suppressed: 0 };
      this.#rate.set(key, rate);
      // Origins that went quiet are forgotten (the map stays as small as the origins of one minute).
      for (const [k, r] of this.#rate) if (r.minute < minute - 1 && r.suppressed === 0) this.#rate.delete(k);
    }
    if (rate.written >= this.#perMinute) {
      rate.suppressed++;
      return;
    }
    rate.written++;
    this.#refused.append(record);
  }

  /** fsyncs now and closes the files (shutdown); counts left out are written first. */
  close(): void {
    for (const [origin, rate] of this.#rate) {
      if (rate.suppressed === 0) continue;
      try {
        this.#refused.append(suppressed({ origin: origin || null } as AuditRecord, rate.suppressed));
      } catch {
        // logged by append; shutdown goes on
      }
      rate.suppressed = 0;
    }
    this.#signatures.close();
    this.#refused.close();
  }

  /** fsyncs pending records now. */
  flush(): void {
    this.#signatures.flush();
    this.#refused.flush();
  }
}

/** The record standing for `count` refused requests of an origin that were not written one by one. */
function suppressed(like: Pick<AuditRecord, 'origin'>, count: number): AuditRecord {
  return {
    time: new Date().toISOString(), origin: like.origin, method: 'refused', certId: null, certFingerprintSha256: null,
    hashAlgorithm: null, hash: null, format: null, documentName: null, extra: { suppressed: count }, result: 'SUPPRESSED',
  };
}

/** The user's line for a failed audit write: what is wrong, never a path. */
function auditFailureZh(code: string): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return '数据目录所在磁盘已满，签章记录无法写入';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return '数据目录不可写（权限不足或为只读磁盘），签章记录无法写入';
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') return '数据目录中的签章记录文件夹被同名文件占用，签章记录无法写入';
  return '签章记录无法写入数据目录';
}
