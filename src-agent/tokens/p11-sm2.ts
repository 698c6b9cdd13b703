/**
 * SM2 on PKCS#11 modules. PKCS#11 defines no SM2 constants: Chinese vendors
 * expose SM2 keys with a vendor-defined key type (or CKK_EC with the SM2
 * curve OID in CKA_EC_PARAMS) and sign with a vendor-defined mechanism. Which
 * values a module uses is data, read from the vendor table's `sm2` entry
 * (registry.ts, schema in p11-sm2-schema.ts), handed to the token host as JSON
 * and validated again there.
 */
import { X509Certificate } from 'node:crypto';
import { CKK } from './ck-flags.js';
import { AssistantError } from '../protocol/errors.js';
import { oidToContent } from '../util/oid.js';
import { ecdsaRawToDer } from './ecdsa.js';

/** sm2p256v1 (GM/T 0006), the curve OID a CKK_EC SM2 key carries in CKA_EC_PARAMS. */
export const SM2_CURVE_OID = '1.2.156.10197.1.301';

/** A hex CK_ULONG as the vendor table writes it. */
export const ULONG_HEX = /^0x[0-9a-f]{1,8}$/i;
/** `CKK_EC` or a hex CK_ULONG. */
export const KEY_TYPE = /^(CKK_EC|0x[0-9a-fA-F]{1,8})$/;
/** A dotted-decimal OID. */
export const OID = /^[0-2](\.(0|[1-9]\d{0,8})){1,20}$/;

/**
 * A vendor's SM2 constants, validated (p11-sm2-schema.ts for the vendor table,
 * {@link parseSm2Setting} again in the token host). `input: "e"`: the token
 * signs the 32-byte e = SM3(Z ‖ M) the agent computed (a "sign without SM3"
 * mechanism, e.g. CKM_SM2_SIGN of the 0x80008000 family); a mechanism that
 * hashes itself cannot serve, since CMS needs Z with the configured signer id.
 */
export interface Sm2Params {
  /** CKA_KEY_TYPE of the SM2 private keys: a hex CK_ULONG or `CKK_EC` (then `curveOid` tells SM2 keys apart). */
  keyType: string;
  /** The OID in CKA_EC_PARAMS of SM2 keys stored as CKK_EC (default sm2p256v1). */
  curveOid: string;
  /** The mechanism that signs a 32-byte e with the SM2 private key (hex CK_ULONG). */
  signMechanism: string;
  /** What the mechanism signs: only `e` (the agent's SM3(Z ‖ M)) is supported. */
  input: 'e';
  /** What C_Sign returns: `raw` r‖s (64 bytes) or `der` SEQUENCE { r, s }. */
  signatureFormat: 'raw' | 'der';
}

/** What a token host knows about SM2: the vendor's constants, or why the ones it was given are unusable. */
export interface Sm2Setting {
  params?: Sm2Params;
  error?: string;
}

/**
 * Parses the SM2 constants a token host received as JSON (argv); never throws.
 * Plain checks, not the zod schema: zod would cost every token host's start.
 */
export function parseSm2Setting(json: string | undefined): Sm2Setting {
  if (!json) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { error: 'SM2 vendor constants are not JSON' };
  }
  const v = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const str = (key: string): string => (typeof v[key] === 'string' ? (v[key] as string) : '');
  const problems = [
    ...Object.keys(v).filter((k) => !['keyType', 'curveOid', 'signMechanism', 'input', 'signatureFormat'].includes(k)).map((k) => `${k} unknown`),
    ...(KEY_TYPE.test(str('keyType')) ? [] : ['keyType not CKK_EC or a hex CK_ULONG']),
    ...(v.curveOid === undefined || OID.test(str('curveOid')) ? [] : ['curveOid not an OID']),
    ...(ULONG_HEX.test(str('signMechanism')) ? [] : ['signMechanism not a hex CK_ULONG']),
    ...(v.input === undefined || v.input === 'e' ? [] : ['input not "e"']),
    ...(v.signatureFormat === 'raw' || v.signatureFormat === 'der' ? [] : ['signatureFormat not raw or der']),
  ];
  if (problems.length > 0) return { error: `SM2 vendor constants invalid: ${problems.join('; ')}` };
  return {
    params: { keyType: str('keyType'), curveOid: str('curveOid') || SM2_CURVE_OID, signMechanism: str('signMechanism'), input: 'e', signatureFormat: v.signatureFormat as 'raw' | 'der' },
  };
}

export const ulongOf = (hex: string): number => Number.parseInt(hex.slice(2), 16);

/** The CK_KEY_TYPE value SM2 keys carry on this module. */
export const sm2KeyType = (p: Sm2Params): number => (p.keyType === 'CKK_EC' ? CKK.EC : ulongOf(p.keyType));

/** DER encoding of an OID (the CKA_EC_PARAMS value of a named curve). */
export function oidDer(oid: string): Buffer {
  const content = oidToContent(oid);
  return Buffer.concat([Buffer.from([0x06, content.length]), content]);
}

/** SubjectPublicKeyInfo header of every SM2 key: id-ecPublicKey, sm2p256v1, BIT STRING of 66 bytes. */
const SM2_SPKI_HEADER = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex');

/**
 * The 65-byte uncompressed public point of an SM2 certificate, or undefined
 * for other keys. Node parses the certificate; it cannot use an SM2 key, but
 * hands out its SubjectPublicKeyInfo, whose encoding is fixed for SM2.
 */
export function certSm2Point(certDer: Buffer): Buffer | undefined {
  try {
    const spki = new X509Certificate(certDer).publicKey.export({ format: 'der', type: 'spki' });
    return spki.length === SM2_SPKI_HEADER.length + 65 && spki.subarray(0, SM2_SPKI_HEADER.length).equals(SM2_SPKI_HEADER) ? spki.subarray(SM2_SPKI_HEADER.length) : undefined;
  } catch {
    return undefined;
  }
}

/** CKA_EC_POINT as a bare point: the standard DER OCTET STRING wrapper removed (some vendors omit it). */
export function ecPointOf(value: Buffer | undefined): Buffer | undefined {
  if (!value) return undefined;
  if (value.length === 67 && value[0] === 0x04 && value[1] === 0x41) return value.subarray(2);
  return value.length === 65 && value[0] === 0x04 ? value : undefined;
}

/** A key object as the matcher sees it. */
export interface KeyCandidate {
  handle: Buffer;
  ckaId: string;
  keyType?: number;
  ecParams?: Buffer;
  ecPoint?: Buffer;
}

/**
 * The SM2 private key holding `point`: one that carries CKA_EC_POINT itself,
 * else the one sharing CKA_ID with the SM2 public key object of that point.
 */
export function matchSm2Key(privateKeys: KeyCandidate[], publicKeys: KeyCandidate[], point: Buffer, p: Sm2Params): Buffer | undefined {
  const type = sm2KeyType(p);
  const params = oidDer(p.curveOid);
  const isSm2 = (k: KeyCandidate): boolean => k.keyType === type && (type !== CKK.EC || (k.ecParams?.equals(params) ?? false));
  const holds = (k: KeyCandidate): boolean => isSm2(k) && (ecPointOf(k.ecPoint)?.equals(point) ?? false);
  const direct = privateKeys.find(holds);
  if (direct) return direct.handle;
  const pub = publicKeys.find(holds);
  return pub?.ckaId ? privateKeys.find((k) => isSm2(k) && k.ckaId === pub.ckaId)?.handle : undefined;
}

/**
 * The DER `SEQUENCE { r, s }` the PKI layer wants, from what C_Sign returned.
 * @throws AssistantError MODULE_FAILED when the output does not have the configured format.
 */
export function sm2SignatureDer(out: Buffer, p: Sm2Params): Buffer {
  const mismatch = (): AssistantError =>
    new AssistantError('MODULE_FAILED', `SM2 ${p.signMechanism} returned ${out.length} bytes, not a ${p.signatureFormat} signature`, {
      ckr: 'SM2_SIGNATURE_FORMAT',
      detailZh: `驱动返回的 SM2 签名（${out.length} 字节）与厂商表 sm2.signatureFormat（${p.signatureFormat}）不符`,
    });
  if (p.signatureFormat === 'raw') {
    if (out.length !== 64) throw mismatch();
    return ecdsaRawToDer(out);
  }
  // An SM2 SEQUENCE { r, s } is at most 72 bytes: always the short length form.
  if (out[0] !== 0x30 || out.length < 8 || out.length > 74 || out[1] !== out.length - 2) throw mismatch();
  return out;
}

/** Signing SM2 on a module whose vendor entry has no SM2 constants. */
export function sm2Unsupported(modulePath: string): AssistantError {
  return new AssistantError('UNSUPPORTED_ALGORITHM', `no SM2 constants in the vendor table for ${modulePath}`, {
    detailZh: '厂商表中没有该驱动的 SM2 常量（sm2.keyType、sm2.signMechanism），无法通过 PKCS#11 签 SM2；请技术支持在厂商表文件（vendorTable）中补充',
  });
}

/** Host-side SM2 constants that failed validation: the module loads, SM2 signing says why it cannot. */
export function sm2Misconfigured(error: string): AssistantError {
  return new AssistantError('MODULE_FAILED', error, { ckr: 'SM2_CONFIG_INVALID', detailZh: '该驱动的 SM2 常量配置无效，请检查厂商表文件（vendorTable）中的 sm2 一项' });
}
