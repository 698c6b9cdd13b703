/**
 * A throw-away Chinese test PKI, generated per test file: 互认测试根CA →
 * 互认测试二级CA → an organization RSA-2048 leaf and a personal EC P-256 leaf,
 * plus certificates for the failure paths.
 *
 * Certificates are assembled with forge (names, extensions) but signed with
 * node:crypto, so EC subject keys work: forge's own `cert.sign` only knows RSA.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, privateEncrypt, constants, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import type { SignMechanism } from '../../../src-agent/tokens/types.js';

const { asn1 } = forge;

/** A DN attribute as forge takes it. */
export interface Attr { type?: string; shortName?: string; value: string; valueTagClass?: number }

export interface TestCert {
  der: Buffer;
  pem: string;
  privateKey: KeyObject;
  /** Subject key identifier, binary string (forge style). */
  ski: string;
  subject: Attr[];
}

export const utf8 = (shortName: string, value: string): Attr => ({ shortName, value, valueTagClass: asn1.Type.UTF8 });
/** forge writes a BMPString value (a JS string) as UTF-16BE code units itself. */
export const bmp = (shortName: string, value: string): Attr => ({ shortName, value, valueTagClass: asn1.Type.BMPSTRING });
export const serialAttr = (value: string): Attr => ({ type: '2.5.4.5', value, valueTagClass: asn1.Type.PRINTABLESTRING });

const country: Attr = { shortName: 'C', value: 'CN', valueTagClass: asn1.Type.PRINTABLESTRING };

export const rsaKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
export const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

const YEAR = 365 * 24 * 3600 * 1000;
let serialCounter = 0x1000;

export interface IssueOptions {
  subject: Attr[];
  keys: { publicKey: KeyObject; privateKey: KeyObject };
  /** Omitted: self-signed. */
  issuer?: TestCert;
  notBefore?: Date;
  notAfter?: Date;
  ca?: boolean;
  keyUsage?: Record<string, boolean>;
}

/** Issues a certificate; RSA or EC subject key, RSA issuer key, sha256WithRSAEncryption. */
export function issue(o: IssueOptions): TestCert {
  const spkiDer = o.keys.publicKey.export({ type: 'spki', format: 'der' });
  const spki = asn1.fromDer(spkiDer.toString('binary'), { decodeBitStrings: false } as never);
  const bitString = (spki.value as forge.asn1.Asn1[])[1]!.value as string;
  const ski = createHash('sha1').update(Buffer.from(bitString, 'binary').subarray(1)).digest('binary');
  const cert = forge.pki.createCertificate();
  cert.serialNumber = `4${(serialCounter++).toString(16).padStart(7, '0')}01`;
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - YEAR);
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 5 * YEAR);
  cert.setSubject(o.subject);
  cert.setIssuer(o.issuer?.subject ?? o.subject);
  const skiExt = { id: '2.5.29.14', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, ski) };
  cert.setExtensions([
    { name: 'basicConstraints', cA: o.ca ?? false, critical: true },
    { name: 'keyUsage', critical: true, ...(o.keyUsage ?? (o.ca ? { keyCertSign: true, cRLSign: true } : { digitalSignature: true, nonRepudiation: true })) },
    skiExt,
    { name: 'authorityKeyIdentifier', keyIdentifier: o.issuer?.ski ?? ski },
    { name: 'cRLDistributionPoints', altNames: [{ type: 6, value: 'http://crl.example.cn/test.crl' }] },
  ]);
  (cert as unknown as { siginfo: { algorithmOid: string } }).siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  // forge needs an RSA key to build the TBS; the real SPKI (RSA or EC) replaces it below.
  cert.publicKey = forge.pki.publicKeyFromPem(rsaPlaceholder());
  // getTBSCertificate exists in forge but is missing from @types/node-forge.
  const forgePki = forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 };
  const tbs = forgePki.getTBSCertificate(cert);
  (tbs.value as forge.asn1.Asn1[])[6] = spki;
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = cryptoSign('sha256', tbsDer, o.issuer?.privateKey ?? o.keys.privateKey);
  const algId = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(forge.pki.oids.sha256WithRSAEncryption!).getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
  const full = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs, algId, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\0' + signature.toString('binary')),
  ]);
  const der = Buffer.from(asn1.toDer(full).getBytes(), 'binary');
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
  return { der, pem, privateKey: o.keys.privateKey, ski, subject: o.subject };
}

let placeholder: string | undefined;
function rsaPlaceholder(): string {
  placeholder ??= generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return placeholder;
}

/**
 * The test `sign` callback: what a PKCS#11 token does.
 * - RSA_PKCS: raw PKCS#1 v1.5 type-1 padding over the given DigestInfo = `privateEncrypt`.
 * - ECDSA: node has no "sign this prehashed digest" call (`crypto.sign(null, …)` hashes the
 *   input again with SHA-256 for EC keys), so `openssl pkeyutl -sign`, which signs its input
 *   as the digest, stands in for CKM_ECDSA. It returns a DER ECDSA-Sig-Value.
 */
export function tokenSigner(privateKey: KeyObject, calls: { count: number } = { count: 0 }) {
  return async (mechanism: SignMechanism, data: Buffer): Promise<Buffer> => {
    calls.count++;
    if (mechanism === 'RSA_PKCS') return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, data);
    const dir = mkdtempSync(join(tmpdir(), 'pki-ec-'));
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const r = spawnSync('openssl', ['pkeyutl', '-sign', '-inkey', keyFile], { input: data });
    if (r.status !== 0) throw new Error(`openssl pkeyutl failed: ${r.stderr.toString()}`);
    return r.stdout;
  };
}

export interface TestPki {
  root: TestCert;
  intermediate: TestCert;
  orgLeaf: TestCert;
  personalEcLeaf: TestCert;
  expiredLeaf: TestCert;
  certSignOnlyLeaf: TestCert;
  otherRoot: TestCert;
}

/** Builds the whole test PKI (a few hundred ms: RSA key generation). */
export function makeTestPki(): TestPki {
  const root = issue({ subject: [country, utf8('O', '互认测试'), utf8('CN', '互认测试根CA')], keys: rsaKey(), ca: true,
    notBefore: new Date(Date.now() - 10 * YEAR), notAfter: new Date(Date.now() + 20 * YEAR) });
  const intermediate = issue({ subject: [country, utf8('O', '互认测试'), utf8('CN', '互认测试二级CA')], keys: rsaKey(),
    issuer: root, ca: true, notBefore: new Date(Date.now() - 8 * YEAR), notAfter: new Date(Date.now() + 10 * YEAR) });
  const org = [country, utf8('ST', '北京市'), utf8('O', '北京某某科技有限公司'), utf8('OU', '91110108MA01ABCD3K'), utf8('CN', '北京某某科技有限公司')];
  return {
    root,
    intermediate,
    orgLeaf: issue({ subject: org, keys: rsaKey(), issuer: intermediate }),
    personalEcLeaf: issue({ subject: [country, serialAttr('110101199003071234'), utf8('CN', '张三')], keys: ecKey(), issuer: intermediate }),
    expiredLeaf: issue({ subject: [country, utf8('CN', '李四')], keys: rsaKey(), issuer: intermediate,
      notBefore: new Date(Date.now() - 3 * YEAR), notAfter: new Date(Date.now() - YEAR) }),
    certSignOnlyLeaf: issue({ subject: [country, utf8('CN', '王五')], keys: rsaKey(), issuer: intermediate, keyUsage: { keyCertSign: true } }),
    otherRoot: issue({ subject: [country, utf8('CN', '其他根CA')], keys: rsaKey(), ca: true }),
  };
}
