/**
 * The audit log fails closed: a signature whose record cannot be written never
 * reaches the page, which gets AUDIT_FAILED with a Chinese detail and remedy.
 * Real failures: a file where the audit folder should be (ENOTDIR/EEXIST) and
 * the audit file pointing at /dev/full (ENOSPC on every write).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const supplier = fx.tokens.find((t) => t.key === 'supplier')!;
const orgFingerprint = supplier.certs.find((c) => c.role === 'organization')!.fingerprintSha256;
const hash = createHash('sha256').update('政府采购合同').digest('base64');

describe('audit log failing closed', () => {
  let h: Harness;
  let client: Client;
  let certId: string;
  let auditDir: string;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx));
    auditDir = join(h.dataDir, 'audit');
    client = await Client.open(h.server.port, MALL);
    const certs = (await client.call('certs.list', {})).result?.certs as { id: string; fingerprintSha256: string }[];
    certId = certs.find((c) => c.fingerprintSha256 === orgFingerprint)!.id;
  });
  afterAll(async () => {
    client?.close();
    await h?.stop();
  });

  const sign = () => client.call('sign.hash', { certId, hash, hashAlgorithm: 'sha256', format: 'cms', document: { name: '合同.pdf' } });

  it('refuses the signature when the audit folder is a file, and tells the user why', async () => {
    expect(existsSync(auditDir)).toBe(false);
    writeFileSync(auditDir, 'not a folder');
    h.ui.answerPins(supplier.userPin);
    const notices = h.ui.notices.length;
    const reply = await sign();
    expect(reasonOf(reply)).toBe('AUDIT_FAILED');
    expect(reply.result).toBeUndefined();
    expect(reply.error?.message).toBe('签章记录无法写入，签章未完成');
    expect(reply.error?.data.detailZh).toContain('被同名文件占用');
    expect(String(reply.error?.data.remedy)).toContain('数据目录');
    // No path, no errno text, no signature bytes on the wire.
    expect(JSON.stringify(reply)).not.toContain(h.dataDir);
    expect(JSON.stringify(reply)).not.toMatch(/ENOTDIR|EEXIST/);
    // No "signed" notice for a signature that did not leave.
    expect(h.ui.notices.length).toBe(notices);
    rmSync(auditDir);
  });

  it('refuses the signature when the disk is full (/dev/full), then signs again once the disk is back', async () => {
    h.ui.answerPins(supplier.userPin, supplier.userPin, supplier.userPin);
    // A first good signature opens the log; then the file is swapped for /dev/full under the open fd's name.
    expect((await sign()).result?.signature).toBeTruthy();
    h.server.audit.close();
    const file = join(auditDir, 'audit.jsonl');
    const kept = readFileSync(file);
    rmSync(file);
    symlinkSync('/dev/full', file);
    const full = await sign();
    expect(reasonOf(full)).toBe('AUDIT_FAILED');
    expect(full.error?.data.detailZh).toContain('磁盘已满');
    rmSync(file);
    writeFileSync(file, kept);
    const again = await sign();
    expect(again.result?.signature).toBeTruthy();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { result: string; method: string; origin: string });
    expect(lines.at(-1)).toMatchObject({ result: 'ok', method: 'sign.hash', origin: MALL });
  });
});
