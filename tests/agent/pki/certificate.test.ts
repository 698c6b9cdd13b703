import { beforeAll, describe, expect, it } from 'vitest';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { classifySubject, parseCertificate, type DnAttribute } from '../../../src-agent/pki/index.js';
import { bmp, ecKey, issue, makeTestPki, rsaKey, serialAttr, utf8, type TestPki } from './test-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

const attrs = (pairs: [string, string][]): DnAttribute[] => pairs.map(([name, value]) => ({ oid: '', name, value }));

describe('parseCertificate', () => {
  it('decodes a UTF8String Chinese organization certificate', () => {
    const d = parseCertificate(pki.orgLeaf.der);
    expect(d.subject).toBe('CN=北京某某科技有限公司, OU=91110108MA01ABCD3K, O=北京某某科技有限公司, ST=北京市, C=CN');
    expect(d.subjectAttributes.map((a) => a.name)).toEqual(['C', 'ST', 'O', 'OU', 'CN']);
    expect(d.subjectAttributes[2]).toEqual({ oid: '2.5.4.10', name: 'O', value: '北京某某科技有限公司' });
    expect(d.issuer).toBe('CN=互认测试二级CA, O=互认测试, C=CN');
    expect(d.kind).toBe('organization');
    expect(d.keyAlgorithm).toBe('RSA');
    expect(d.keySize).toBe(2048);
    expect(d.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(d.keyUsagePresent).toBe(true);
    expect(d.basicConstraints).toEqual({ ca: false });
    expect(d.crlDistributionPoints).toEqual(['http://crl.example.cn/test.crl']);
    expect(d.signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(d.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(d.selfIssued).toBe(false);
  });

  it('reads an EC P-256 personal certificate, which forge cannot parse', () => {
    const d = parseCertificate(pki.personalEcLeaf.der);
    expect(d.keyAlgorithm).toBe('EC');
    expect(d.keyCurve).toBe('P-256');
    expect(d.keySize).toBe(256);
    expect(d.subject).toBe('CN=张三, serialNumber=110101199003071234, C=CN');
    expect(d.kind).toBe('personal');
    expect(d.subjectKeyIdentifier).toBe(Buffer.from(pki.personalEcLeaf.ski, 'binary').toString('hex'));
    expect(d.authorityKeyIdentifier).toBe(Buffer.from(pki.intermediate.ski, 'binary').toString('hex'));
  });

  it('agrees with node:crypto on serial, validity and fingerprint', async () => {
    const { X509Certificate } = await import('node:crypto');
    const x = new X509Certificate(pki.personalEcLeaf.der);
    const d = parseCertificate(pki.personalEcLeaf.der);
    expect(d.serialNumber.toUpperCase()).toBe(x.serialNumber);
    expect(Date.parse(d.notAfter)).toBe(Date.parse(x.validTo));
    expect(d.fingerprintSha256).toBe(x.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(d.publicKeyPem).toBe(x.publicKey.export({ type: 'spki', format: 'pem' }));
  });

  it('decodes BMPString (UTF-16BE) Chinese names', () => {
    const cert = issue({ subject: [bmp('O', '上海某某有限公司'), bmp('CN', '上海某某有限公司'), serialAttr('91310000MA1FL0AB2C')],
      keys: ecKey(), issuer: pki.intermediate });
    expect(cert.der.includes(Buffer.from('上海某某有限公司', 'utf16le').swap16())).toBe(true);
    const d = parseCertificate(cert.der);
    expect(d.subjectAttributes.map((a) => a.value)).toEqual(['上海某某有限公司', '上海某某有限公司', '91310000MA1FL0AB2C']);
    expect(d.kind).toBe('organization');
  });

  it('marks CA certificates self-issued and with keyCertSign', () => {
    const d = parseCertificate(pki.root.der);
    expect(d.selfIssued).toBe(true);
    expect(d.basicConstraints).toEqual({ ca: true });
    expect(d.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
  });

  it('throws BAD_REQUEST for bytes that are not a certificate', () => {
    const bad = [Buffer.from('hello'), Buffer.alloc(0), pki.root.der.subarray(0, 100), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])];
    for (const der of bad) {
      const error = (() => { try { parseCertificate(der); } catch (e) { return e; } return undefined; })();
      expect(AssistantError.is(error) && error.reason).toBe('BAD_REQUEST');
    }
  });

  it('handles an RSA certificate issued without an organization', () => {
    const cert = issue({ subject: [utf8('CN', '赵六')], keys: rsaKey(), issuer: pki.intermediate });
    expect(parseCertificate(cert.der).kind).toBe('personal');
  });
});

describe('classifySubject', () => {
  it('finds organizations by 统一社会信用代码 in OU, serialNumber or organizationIdentifier', () => {
    expect(classifySubject(attrs([['O', '某公司'], ['OU', '91110108MA01ABCD3K'], ['CN', '某公司合同章']]))).toBe('organization');
    expect(classifySubject(attrs([['O', '某公司'], ['serialNumber', 'USCC:91110108MA01ABCD3K']]))).toBe('organization');
    expect(classifySubject(attrs([['O', '某公司'], ['organizationIdentifier', 'NTRCN-91110108MA01ABCD3K']]))).toBe('organization');
  });

  it('treats CN equal to O as an organization', () => {
    expect(classifySubject(attrs([['O', '某某采购中心'], ['CN', '某某采购中心']]))).toBe('organization');
  });

  it('finds persons by name and ID card number, even inside an organization', () => {
    expect(classifySubject(attrs([['CN', '张三'], ['serialNumber', '11010119900307123X']]))).toBe('personal');
    expect(classifySubject(attrs([['O', '某公司'], ['CN', '李四']]))).toBe('personal');
    expect(classifySubject(attrs([['CN', '阿依古丽·买买提']]))).toBe('personal');
  });

  it('does not mistake an ID card number for an organization code, nor a short org name for a person', () => {
    expect(classifySubject(attrs([['O', '某公司'], ['serialNumber', '110101199003071234'], ['CN', '张三']]))).toBe('personal');
    expect(classifySubject(attrs([['CN', '某某财政局']]))).toBe('unknown');
    expect(classifySubject(attrs([['CN', 'www.example.com']]))).toBe('unknown');
  });
});
