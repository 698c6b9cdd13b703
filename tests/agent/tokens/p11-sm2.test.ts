/** The vendor table's SM2 constants: schema, what a token host accepts, and the helpers P11Module signs with. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import { afterAll, describe, expect, it } from 'vitest';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import {
  certSm2Point, ecPointOf, matchSm2Key, oidDer, parseSm2Setting, sm2SignatureDer, type KeyCandidate, type Sm2Params,
} from '../../../src-agent/tokens/p11-sm2.js';
import { sm2ParamsSchema } from '../../../src-agent/tokens/p11-sm2-schema.js';
import { loadVendorTable } from '../../../src-agent/tokens/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'ca-p11sm2-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = { keyType: '0x80000004', signMechanism: '0x80008104', signatureFormat: 'der' };
const vendor = (extra: Record<string, unknown>): Record<string, unknown> => ({
  id: 'gm-vendor', nameZh: '国密厂商', nameEn: 'GM vendor', modules: { linux: ['/opt/gm/libgmp11.so'] }, usb: [], ...extra,
});
function tableFile(vendors: unknown[]): string {
  const file = join(dir, `vendors-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ vendors }));
  return file;
}
const loadError = (vendors: unknown[]): string => {
  try {
    loadVendorTable(tableFile(vendors));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the table was accepted');
};

describe('sm2ParamsSchema', () => {
  it('accepts a vendor entry and fills in the SM2 curve and input "e"', () => {
    expect(sm2ParamsSchema.parse(GOOD)).toEqual({ ...GOOD, curveOid: '1.2.156.10197.1.301', input: 'e' });
    expect(sm2ParamsSchema.parse({ ...GOOD, keyType: 'CKK_EC', signatureFormat: 'raw' })).toMatchObject({ keyType: 'CKK_EC', signatureFormat: 'raw' });
  });

  it.each([
    ['a key type without 0x', { keyType: '80000004' }, 'keyType 须为 "CKK_EC" 或 0x 开头'],
    ['a mechanism over 32 bits', { signMechanism: '0x180008104' }, 'signMechanism 须为 0x 开头、最多 8 位的十六进制数'],
    ['an unknown signature format', { signatureFormat: 'asn1' }, 'signatureFormat 须为 "raw"'],
    ['input "message" (the token computing Z)', { input: 'message' }, 'input 目前只支持 "e"'],
    ['a curve that is not an OID', { curveOid: 'sm2p256v1' }, 'curveOid 须为点分十进制 OID'],
  ])('refuses %s with a Chinese message', (_name, change, message) => {
    const result = sm2ParamsSchema.safeParse({ ...GOOD, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(message);
  });

  it('refuses unknown fields (a misspelt name must not pass silently)', () => {
    expect(sm2ParamsSchema.safeParse({ ...GOOD, signMechansim: '0x1' }).success).toBe(false);
  });
});

describe('loadVendorTable with sm2 entries', () => {
  it('reads a PKCS#11 vendor\'s SM2 constants from the extra table file', () => {
    const vendors = loadVendorTable(tableFile([vendor({ sm2: GOOD })]));
    expect(vendors.find((v) => v.id === 'gm-vendor')?.sm2).toEqual({ ...GOOD, curveOid: '1.2.156.10197.1.301', input: 'e' });
    expect(vendors.find((v) => v.id === 'softhsm')?.sm2).toBeUndefined();
  });

  it('names the file and the field of a malformed entry, in Chinese', () => {
    const message = loadError([vendor({ sm2: { ...GOOD, signatureFormat: 'asn1' } })]);
    expect(message).toMatch(/^厂商表文件格式有误：.*vendors-.*\.json（vendors\.0\.sm2\.signatureFormat：signatureFormat 须为 "raw"/);
  });

  it('words zod\'s own messages in Chinese too (a missing field)', () => {
    expect(loadError([vendor({ sm2: { keyType: '0x80000004', signatureFormat: 'der' } })])).toMatch(/vendors\.0\.sm2\.signMechanism：.*[\u4e00-\u9fff]/u);
  });

  it('refuses SM2 constants on an SKF vendor', () => {
    expect(loadError([vendor({ provider: 'skf', sm2: GOOD })])).toContain('vendors.0.sm2：SKF 厂商不需要 sm2 常量');
  });
});

describe('parseSm2Setting (the token host\'s second check)', () => {
  it('is empty without constants, and carries the parsed ones', () => {
    expect(parseSm2Setting(undefined)).toEqual({});
    expect(parseSm2Setting(JSON.stringify(GOOD)).params).toMatchObject(GOOD);
  });

  it('reports, never throws, on text that is not JSON or not valid constants', () => {
    expect(parseSm2Setting('{').error).toContain('not JSON');
    expect(parseSm2Setting(JSON.stringify({ ...GOOD, keyType: 'x' })).error).toMatch(/^SM2 vendor constants invalid: keyType/);
    expect(parseSm2Setting('null').error).toMatch(/keyType/);
    expect(parseSm2Setting(JSON.stringify({ ...GOOD, extra: 1, signatureFormat: 'asn1' })).error).toBe('SM2 vendor constants invalid: extra unknown; signatureFormat not raw or der');
  });

  it('agrees with the vendor table\'s schema on what is valid', () => {
    const cases = [GOOD, { ...GOOD, keyType: 'CKK_EC', curveOid: '1.2.3' }, { ...GOOD, input: 'message' }, { ...GOOD, signMechanism: '80008104' }, { ...GOOD, curveOid: 'sm2' }, {}];
    for (const c of cases) {
      const host = parseSm2Setting(JSON.stringify(c));
      const table = sm2ParamsSchema.safeParse(c);
      expect(host.error === undefined).toBe(table.success);
      if (table.success) expect(host.params).toEqual(table.data);
    }
  });
});

describe('DER helpers', () => {
  it('encodes curve OIDs as CKA_EC_PARAMS holds them', () => {
    expect(oidDer('1.2.156.10197.1.301').toString('hex')).toBe('06082a811ccf5501822d');
    expect(oidDer('1.2.840.10045.3.1.7').toString('hex')).toBe('06082a8648ce3d030107');
  });

  it('reads CKA_EC_POINT with and without the OCTET STRING wrapper', () => {
    const point = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(64, 7)]);
    expect(ecPointOf(Buffer.concat([Buffer.from([0x04, 0x41]), point]))).toEqual(point);
    expect(ecPointOf(point)).toEqual(point);
    expect(ecPointOf(Buffer.alloc(33, 2))).toBeUndefined();
  });

  it('finds the public point of an SM2 certificate (openssl-made), and none in an EC P-256 one', () => {
    const make = (keyArgs: string[], name: string): Buffer => {
      execFileSync('openssl', ['genpkey', ...keyArgs, '-out', join(dir, `${name}.key`)]);
      execFileSync('openssl', ['req', '-new', '-x509', '-key', join(dir, `${name}.key`), '-subj', '/CN=t', '-days', '1', '-outform', 'DER', '-out', join(dir, `${name}.der`)]);
      return execFileSync('openssl', ['x509', '-inform', 'DER', '-in', join(dir, `${name}.der`), '-outform', 'DER']);
    };
    const sm2 = make(['-algorithm', 'SM2'], 'sm2');
    const point = execFileSync('openssl', ['pkey', '-in', join(dir, 'sm2.key'), '-pubout', '-outform', 'DER']).subarray(-65);
    expect(certSm2Point(sm2)).toEqual(point);
    expect(certSm2Point(make(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'p256'))).toBeUndefined();
    expect(certSm2Point(Buffer.from('not a certificate'))).toBeUndefined();
  });
});

describe('sm2SignatureDer', () => {
  const params = (signatureFormat: 'raw' | 'der'): Sm2Params => sm2ParamsSchema.parse({ ...GOOD, signatureFormat });
  const r = Buffer.alloc(32, 0x81);
  const s = Buffer.concat([Buffer.alloc(1), Buffer.alloc(31, 0x11)]);

  it('turns r‖s into SEQUENCE { INTEGER r, INTEGER s }', () => {
    const der = sm2SignatureDer(Buffer.concat([r, s]), params('raw'));
    expect(der.toString('hex')).toBe(`3044022100${r.toString('hex')}021f${s.subarray(1).toString('hex')}`);
  });

  it('passes a DER signature through', () => {
    const der = Buffer.from(`3006020101020102`, 'hex');
    expect(sm2SignatureDer(der, params('der'))).toBe(der);
  });

  it.each([
    ['raw', Buffer.from('3006020101020102', 'hex')],
    ['der', Buffer.concat([r, s])],
  ] as const)('says MODULE_FAILED when a %s signature is not one', (format, out) => {
    let error: unknown;
    try {
      sm2SignatureDer(out, params(format));
    } catch (e) {
      error = e;
    }
    expect(AssistantError.is(error) && error.reason).toBe('MODULE_FAILED');
    expect((error as AssistantError).details.detailZh).toContain(`sm2.signatureFormat（${format}）`);
  });
});

describe('matchSm2Key', () => {
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(64, 9)]);
  const other = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(64, 8)]);
  const wrapped = (p: Buffer): Buffer => Buffer.concat([Buffer.from([0x04, 0x41]), p]);
  const h = (n: number): Buffer => Buffer.from([n]);
  const vendorParams = sm2ParamsSchema.parse(GOOD);
  const ecParams = sm2ParamsSchema.parse({ ...GOOD, keyType: 'CKK_EC' });
  const sm2Curve = oidDer('1.2.156.10197.1.301');
  const key = (n: number, ckaId: string, extra: Partial<KeyCandidate>): KeyCandidate => ({ handle: h(n), ckaId, keyType: 0x80000004, ...extra });

  it('takes a private key that carries the point itself', () => {
    expect(matchSm2Key([key(1, 'aa', { ecPoint: wrapped(other) }), key(2, 'bb', { ecPoint: point })], [], point, vendorParams)).toEqual(h(2));
  });

  it('else the private key sharing CKA_ID with the public key object of the point', () => {
    const priv = [key(1, 'aa', {}), key(2, 'bb', {})];
    expect(matchSm2Key(priv, [key(3, 'aa', { ecPoint: wrapped(other) }), key(4, 'bb', { ecPoint: wrapped(point) })], point, vendorParams)).toEqual(h(2));
    expect(matchSm2Key(priv, [key(3, 'aa', { ecPoint: wrapped(other) })], point, vendorParams)).toBeUndefined();
  });

  it('ignores keys of another key type, and CKK_EC keys on another curve', () => {
    expect(matchSm2Key([key(1, 'aa', { keyType: pkcs11js.CKK_EC, ecPoint: point })], [], point, vendorParams)).toBeUndefined();
    const ec = (n: number, params: Buffer): KeyCandidate => key(n, 'aa', { keyType: pkcs11js.CKK_EC, ecParams: params, ecPoint: point });
    expect(matchSm2Key([ec(1, oidDer('1.2.840.10045.3.1.7'))], [], point, ecParams)).toBeUndefined();
    expect(matchSm2Key([ec(1, oidDer('1.2.840.10045.3.1.7')), ec(2, sm2Curve)], [], point, ecParams)).toEqual(h(2));
  });
});
