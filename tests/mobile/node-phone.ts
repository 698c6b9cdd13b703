/**
 * A phone for the API-level tests, in Node: the same protocol as the phone app
 * (enrol with keys made here, scan, answer with a CMS made with PKI.js over
 * WebCrypto), without a browser. The end-to-end tests use the real app.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { AccountSeed } from '../../examples/mobile-sign/store.js';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
pkijs.setEngine('node-phone', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto }));
const HASH_NAME = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;
type Kind = 'organization' | 'personal';

export interface Scanned { origin: string; documentName: string | null; hash: string; hashAlgorithm: keyof typeof HASH_NAME; sealKind: Kind; fingerprint: string }

export class NodePhone {
  readonly deviceId = randomBytes(24).toString('base64url');
  #keys = {} as Record<Kind, CryptoKeyPair>;
  #certs = {} as Record<Kind, string>;

  constructor(private readonly url: string) {}

  async #post(path: string, body: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw Object.assign(new Error(String(json.error)), { code: json.code });
    return json;
  }

  async enrol(account: AccountSeed, pin: string): Promise<void> {
    const spki = {} as Record<Kind, string>;
    for (const kind of ['organization', 'personal'] as const) {
      this.#keys[kind] = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
      spki[kind] = Buffer.from(await subtle.exportKey('spki', this.#keys[kind].publicKey)).toString('base64');
    }
    const r = await this.#post('/api/v1/enrol', { account: account.account, enrolCode: account.enrolCode, pin, deviceId: this.deviceId, keys: spki });
    this.#certs = r.certificates as Record<Kind, string>;
  }

  scan(qr: string): Promise<Scanned> {
    return this.#post('/api/v1/scan', { qr, deviceId: this.deviceId }) as unknown as Promise<Scanned>;
  }

  reject(qr: string): Promise<Record<string, unknown>> {
    return this.#post('/api/v1/answer', { qr, deviceId: this.deviceId, decision: 'reject' });
  }

  /** Signs what the service handed over (the hash from `scan`), with the key of `kind`. */
  async sign(qr: string, scanned: Scanned, pin: string, kind: Kind = scanned.sealKind): Promise<Record<string, unknown>> {
    const signature = await this.cms(kind, Buffer.from(scanned.hash, 'base64'), scanned.hashAlgorithm);
    return this.#post('/api/v1/answer', { qr, deviceId: this.deviceId, decision: 'sign', pin, sealKind: kind, signature });
  }

  async cms(kind: Kind, hash: Buffer, hashAlgorithm: keyof typeof HASH_NAME): Promise<string> {
    const cert = pkijs.Certificate.fromBER(Buffer.from(this.#certs[kind], 'base64'));
    const attr = (type: string, value: asn1js.BaseBlock): pkijs.Attribute => new pkijs.Attribute({ type, values: [value] });
    const sd = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
      signerInfos: [new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            attr('1.2.840.113549.1.9.3', new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })),
            attr('1.2.840.113549.1.9.5', new asn1js.UTCTime({ valueDate: new Date() })),
            attr('1.2.840.113549.1.9.4', new asn1js.OctetString({ valueHex: new Uint8Array(hash).buffer })),
          ],
        }),
      })],
      certificates: [cert],
    });
    await sd.sign(this.#keys[kind].privateKey, 0, HASH_NAME[hashAlgorithm]);
    const ci = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd.toSchema(true) });
    return Buffer.from(ci.toSchema().toBER(false)).toString('base64');
  }
}
