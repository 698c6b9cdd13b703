import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCertificateFile } from '../../../src-agent/pki/index.js';
import { makeTestPki, type TestPki } from './test-pki.js';

let pki: TestPki;
let dir: string;
beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'pki-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadCertificateFile', () => {
  it('reads a PEM bundle in order, with CRLF and text around the blocks', async () => {
    const file = join(dir, 'bundle.pem');
    writeFileSync(file, `根证书\r\n${pki.root.pem.replace(/\n/g, '\r\n')}二级\n${pki.intermediate.pem}`);
    expect(await loadCertificateFile(file)).toEqual([pki.root.der, pki.intermediate.der]);
  });

  it('reads a DER file', async () => {
    const file = join(dir, 'root.cer');
    writeFileSync(file, pki.root.der);
    expect(await loadCertificateFile(file)).toEqual([pki.root.der]);
  });

  it('rejects missing files and files without certificates with BAD_REQUEST', async () => {
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
    await expect(loadCertificateFile(join(dir, 'junk.pem'))).rejects.toMatchObject({ reason: 'BAD_REQUEST' });
    await expect(loadCertificateFile(join(dir, 'missing.pem'))).rejects.toMatchObject({ reason: 'BAD_REQUEST' });
    writeFileSync(join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await expect(loadCertificateFile(join(dir, 'broken.pem'))).rejects.toMatchObject({ reason: 'BAD_REQUEST' });
  });
});
