/**
 * Issue 15, item 5: refused requests wrote audit records with no dialog
 * (`sign.hash` with a nonexistent certId); two origins wrote 4 MiB in 6 s,
 * which rotated all kept history (≈ 60 MiB) away in about 1.5 minutes, so a
 * compromised page could sign and then erase the trail. Now refused requests
 * go to their own file and budget, are rate-limited per origin, and rotation
 * never drops signature records younger than the retention.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecord } from '../../src-agent/service/signing/audit-log.js';

const record = (i: number, result: string, origin = 'https://evil.example'): AuditRecord => ({
  time: new Date().toISOString(), origin, method: 'sign.hash', certId: `tk.${i}`, certFingerprintSha256: result === 'ok' ? 'ab'.repeat(32) : null,
  hashAlgorithm: 'sha256', hash: (i % 256).toString(16).padStart(2, '0').repeat(32), format: 'cms', documentName: null, result,
});
const readAll = (dir: string, prefix: string): AuditRecord[] =>
  readdirSync(join(dir, 'audit')).filter((f) => f.startsWith(prefix)).flatMap((f) => readFileSync(join(dir, 'audit', f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord));

describe('audit history cannot be flushed by refused requests', () => {
  it('a flood of CERT_NOT_FOUND records from two origins leaves every signature record in place', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-flush-'));
    let now = Date.parse('2026-12-01T12:00:00Z');
    // Small files so that the old behaviour (one file, 2 kept) would rotate the signatures away many times over.
    const log = new AuditLog(dir, { rotateBytes: 16 * 1024, keepFiles: 2, refusedRotateBytes: 16 * 1024, refusedKeepFiles: 1, now: () => now });
    for (let i = 0; i < 20; i++) log.append(record(i, 'ok', 'https://mall.example.gov.cn'));
    let flood = 0;
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 3000; i++, flood++) log.append(record(i, 'CERT_NOT_FOUND', i % 2 ? 'https://evil.example' : 'https://evil2.example'));
      now += 60_000;
    }
    log.append(record(99, 'CERT_NOT_FOUND')); // the next minute: the counts left out are written
    log.close();
    const signatures = readAll(dir, 'audit.jsonl');
    const refused = readAll(dir, 'refused.jsonl');
    const suppressed = refused.filter((r) => r.result === 'SUPPRESSED').reduce((n, r) => n + Number(r.extra?.suppressed ?? 0), 0);
    console.log(`[audit-flush] ${flood} refused records sent by 2 origins over 10 min: ${refused.filter((r) => r.result !== 'SUPPRESSED').length} kept in refused.jsonl*, ${suppressed} counted as SUPPRESSED; signature records kept ${signatures.length}/20`);
    expect(signatures).toHaveLength(20);
    expect(signatures.every((r) => r.result === 'ok')).toBe(true);
    expect(suppressed).toBeGreaterThan(0);
  });

  it('rotation keeps signature files younger than the retention beyond keepFiles, and drops older ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-retention-'));
    let now = Date.parse('2026-12-01T12:00:00Z');
    const log = new AuditLog(dir, { rotateBytes: 1024, keepFiles: 2, retentionDays: 30, now: () => now });
    for (let i = 0; i < 40; i++) log.append(record(i, 'ok'));
    const file = join(dir, 'audit', 'audit.jsonl');
    expect(existsSync(`${file}.3`)).toBe(true); // more than keepFiles: all younger than 30 days
    expect(readAll(dir, 'audit.jsonl')).toHaveLength(40);
    // A year later the old files may go: make them old, rotate a few more times.
    for (const f of readdirSync(join(dir, 'audit'))) if (f !== 'audit.jsonl') utimesSync(join(dir, 'audit', f), new Date(now - 400 * 86_400_000), new Date(now - 400 * 86_400_000));
    now += 400 * 86_400_000;
    const before = readdirSync(join(dir, 'audit')).length;
    for (let i = 40; i < 60; i++) log.append(record(i, 'ok'));
    log.close();
    expect(readdirSync(join(dir, 'audit')).length).toBeLessThan(before + 4);
    expect(JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!).certId).toBe('tk.59');
  });
});
