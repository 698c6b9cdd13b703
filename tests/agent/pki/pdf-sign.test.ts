import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHash, verifyCms } from '../../../src-agent/pki/index.js';
import { addSignaturePlaceholder, createPdf, signPdfPlaceholder } from '../../helpers/pdf-sign.js';
import { makeTestPki, tokenSigner, type TestCert, type TestPki } from './test-pki.js';

let pki: TestPki;
let dir: string;
beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'pki-pdf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pdfsig(pdf: Buffer, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, pdf);
  const r = spawnSync('pdfsig', [file]);
  return r.stdout.toString() + r.stderr.toString();
}

const cmsBy = (leaf: TestCert) => async (hash: Buffer) => {
  const r = await signHash({
    certificate: leaf.der, chain: [pki.intermediate.der, pki.root.der], hash, hashAlgorithm: 'sha256', format: 'cms',
    sign: tokenSigner(leaf.privateKey),
  });
  // The same CMS verifies against the byte-range hash in our own verifier.
  expect((await verifyCms({ signature: r.signature, hash, hashAlgorithm: 'sha256', trustAnchors: [pki.root.der], intermediates: [] })).valid).toBe(true);
  return r.signature;
};

describe('PDF signatures (adbe.pkcs7.detached) with CMS from signHash', () => {
  it('pdfsig validates a signature, then both signatures after an incremental second one', async () => {
    const original = await createPdf('Government procurement contract No. 2025-001');
    const once = await signPdfPlaceholder(addSignaturePlaceholder(original, '北京某某科技有限公司'), cmsBy(pki.orgLeaf));
    expect(once.subarray(0, original.length - 1).equals(original.subarray(0, original.length - 1))).toBe(true);
    const first = pdfsig(once, 'once.pdf');
    expect(first).toContain('Signature #1');
    expect(first).toContain('Signature Validation: Signature is Valid.');
    expect(first).toMatch(/Signer Certificate Common Name: 北京某某科技有限公司/);

    const twice = await signPdfPlaceholder(addSignaturePlaceholder(once, '张三'), cmsBy(pki.personalEcLeaf));
    expect(twice.subarray(0, once.length).equals(once)).toBe(true);
    const second = pdfsig(twice, 'twice.pdf');
    expect(second).toContain('Signature #2');
    expect(second.match(/Signature Validation: Signature is Valid\./g)).toHaveLength(2);
    expect(second).not.toMatch(/Signature Validation: (?!Signature is Valid)/);
  });

  it('pdfsig notices a change to signed bytes', async () => {
    const signed = await signPdfPlaceholder(addSignaturePlaceholder(await createPdf('Contract 2025-002'), '某公司'), cmsBy(pki.orgLeaf));
    // Flip a byte of the original document (covered by the first byte range).
    const tampered = Buffer.from(signed);
    const at = tampered.indexOf('/MediaBox');
    expect(at).toBeGreaterThan(0);
    tampered.write('/MediaBoy', at, 'latin1');
    expect(pdfsig(tampered, 'tampered.pdf')).not.toContain('Signature is Valid');
  });
});
