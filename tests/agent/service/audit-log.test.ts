import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecord } from '../../../src-agent/service/signing/audit-log.js';

const record = (i: number): AuditRecord => ({
  time: new Date(0).toISOString(), origin: 'https://mall.example', method: 'sign.hash', certId: `c.${i}`, certFingerprintSha256: null,
  hashAlgorithm: 'sha256', hash: '00'.repeat(32), format: 'cms', documentName: null, result: 'ok',
});

describe('AuditLog', () => {
  it('has the record in the file as soon as append returns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    const log = new AuditLog(dir);
    log.append(record(1));
    expect(JSON.parse(readFileSync(join(dir, 'audit', 'audit.jsonl'), 'utf8'))).toMatchObject({ certId: 'c.1' });
    log.close();
  });

  it('rotates by size and keeps only keepFiles old files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    const log = new AuditLog(dir, { rotateBytes: 600, keepFiles: 2, retentionDays: 0 });
    for (let i = 0; i < 20; i++) log.append(record(i));
    log.close();
    const file = join(dir, 'audit', 'audit.jsonl');
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    const last = readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '';
    expect(JSON.parse(last).certId).toBe('c.19');
  });
});
