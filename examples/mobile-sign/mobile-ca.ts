/**
 * The test "mobile CA" of the 公采易通 stand-in: a P-256 root kept in the
 * service's data directory, issuing at enrolment one certificate per seal kind
 * for a public key generated on the phone (the private key never leaves it).
 * Subjects follow what Chinese CAs write, so the assistant tells the kinds apart:
 * 单位 (O, OU = 统一社会信用代码, CN = the unit) and 个人 (CN = the name,
 * serialNumber = 身份证号). Certificates are built with PKI.js over WebCrypto.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
pkijs.setEngine('mobile-ca', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** Validity of an enrolment certificate, days (default 365). */
export const MOBILE_CERT_DAYS = 365;
const DAY_MS = 86_400_000;
const OID = { C: '2.5.4.6', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3', serialNumber: '2.5.4.5' } as const;

export type SealKind = 'organization' | 'personal';

export interface Holder { name: string; org: string; uscc: string; idCard: string }

export interface MobileCa {
  /** The root certificate, PEM (what the assistant and the 监管系统 trust). */
  pem: string;
  /** Where the PEM is written in the data directory. */
  file: string;
  /** Issues a certificate for the phone's SPKI (DER); resolves with the certificate DER. */
  issue(spki: Buffer, kind: SealKind, holder: Holder): Promise<Buffer>;
}

/** A Name with one attribute per RDN (PKI.js would put them all in one multi-valued RDN). */
function name(parts: [keyof typeof OID, string][]): pkijs.RelativeDistinguishedNames {
  const seq = new asn1js.Sequence({
    value: parts.map(([type, value]) => new asn1js.Set({
      value: [new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: OID[type] }),
          type === 'C' || type === 'serialNumber' ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }),
        ],
      })],
    })),
  });
  return pkijs.RelativeDistinguishedNames.fromBER(seq.toBER(false));
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

const keyUsage = (bits: number): asn1js.BitString => new asn1js.BitString({ valueHex: new Uint8Array([bits]).buffer, unusedBits: 0 });

async function build(subject: pkijs.RelativeDistinguishedNames, issuer: pkijs.RelativeDistinguishedNames, publicKey: CryptoKey, signer: CryptoKey, ca: boolean, days: number): Promise<Buffer> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = randomBytes(12);
  serial[0] = (serial[0] as number) & 0x7f;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.subject = subject;
  cert.issuer = issuer;
  const now = Date.now();
  cert.notBefore.value = new Date(now - (ca ? DAY_MS : 60_000));
  cert.notAfter.value = new Date(now + days * DAY_MS);
  await cert.subjectPublicKeyInfo.importKey(publicKey);
  cert.extensions = [
    extension('2.5.29.19', true, ca ? new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema() : new pkijs.BasicConstraints({}).toSchema()),
    // keyCertSign|cRLSign for the root; digitalSignature|nonRepudiation for the phone's keys.
    extension('2.5.29.15', true, keyUsage(ca ? 0x06 : 0xc0)),
  ];
  await cert.sign(signer, 'SHA-256');
  return Buffer.from(cert.toSchema(true).toBER(false));
}

const toPem = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;

/** Loads the CA from `dataDir` or creates it there (mobile-ca.pem, mobile-ca-key.json). */
export async function openMobileCa(dataDir: string): Promise<MobileCa> {
  const file = join(dataDir, 'mobile-ca.pem');
  const keyFile = join(dataDir, 'mobile-ca-key.json');
  const rootName = name([['C', 'CN'], ['O', '公采易通测试移动CA'], ['CN', '公采易通测试移动CA 根证书']]);
  let pem: string;
  let privateKey: CryptoKey;
  if (existsSync(file) && existsSync(keyFile)) {
    pem = readFileSync(file, 'utf8');
    privateKey = await subtle.importKey('jwk', JSON.parse(readFileSync(keyFile, 'utf8')) as JsonWebKey, EC, false, ['sign']);
  } else {
    const keys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    pem = toPem(await build(rootName, rootName, keys.publicKey, keys.privateKey, true, 3650));
    writeFileSync(keyFile, JSON.stringify(await subtle.exportKey('jwk', keys.privateKey)), { mode: 0o600 });
    writeFileSync(file, pem);
    privateKey = keys.privateKey;
  }
  return {
    pem,
    file,
    async issue(spki, kind, holder) {
      const publicKey = await subtle.importKey('spki', new Uint8Array(spki), EC, true, ['verify']);
      const subject = kind === 'organization'
        ? name([['C', 'CN'], ['O', holder.org], ['OU', holder.uscc], ['CN', holder.org]])
        : name([['C', 'CN'], ['O', holder.org], ['CN', holder.name], ['serialNumber', holder.idCard]]);
      return build(subject, rootName, publicKey, privateKey, false, MOBILE_CERT_DAYS);
    },
  };
}
