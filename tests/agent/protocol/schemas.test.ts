import { describe, expect, it } from 'vitest';
import { METHODS, METHOD_NAMES, parseParams } from '../../../src-agent/protocol/methods.js';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { authPayloadSchema, base64DecodedLength, serializeAuthPayload } from '../../../src-agent/protocol/schemas.js';
import type { MethodName } from '../../../src-agent/protocol/types.js';

const b64 = (bytes: number): string => Buffer.alloc(bytes, 0xab).toString('base64');
const CERT = 'tk-1.0123456789abcdef';
const SIGN = { certId: CERT, hash: b64(32), hashAlgorithm: 'sha256', format: 'cms' };
const VERIFY = { signature: b64(600), hash: b64(32), hashAlgorithm: 'sha256' };

function accepts(method: MethodName, params: unknown): boolean {
  return METHODS[method].params.safeParse(params).success;
}

describe('protocol schemas', () => {
  describe('every method', () => {
    it.each(METHOD_NAMES)('%s accepts its documented example', (method) => {
      expect(accepts(method, METHODS[method].example.params)).toBe(true);
    });

    it.each(METHOD_NAMES)('%s rejects unknown fields', (method) => {
      expect(accepts(method, { ...METHODS[method].example.params, extra: 1 })).toBe(false);
    });

    it.each(METHOD_NAMES)('%s rejects non-objects', (method) => {
      for (const value of [null, [], 'x', 1, true]) expect(accepts(method, value)).toBe(false);
    });

    it('rejects an own __proto__ member', () => {
      expect(accepts('tokens.list', JSON.parse('{"__proto__":{"polluted":1}}'))).toBe(false);
    });
  });

  describe('system.hello', () => {
    it('accepts no client, rejects a long one or one with control characters', () => {
      expect(accepts('system.hello', {})).toBe(true);
      expect(accepts('system.hello', { client: 'x'.repeat(129) })).toBe(false);
      expect(accepts('system.hello', { client: 'mall\u0000' })).toBe(false);
      expect(accepts('system.hello', { client: 3 })).toBe(false);
    });
  });

  describe('ids', () => {
    it('accepts [A-Za-z0-9._:-] up to 128 characters', () => {
      expect(accepts('certs.chain', { certId: 'A-z_0.9:x' })).toBe(true);
      expect(accepts('certs.chain', { certId: 'a'.repeat(128) })).toBe(true);
    });

    it.each(['', 'a'.repeat(129), 'a b', 'a/b', '证书', '../x\n'])('rejects %j', (certId) => {
      expect(accepts('certs.chain', { certId })).toBe(false);
      expect(accepts('seals.get', { certId })).toBe(false);
      expect(accepts('session.logout', { tokenId: certId })).toBe(false);
    });

    it('rejects a missing or non-string id', () => {
      expect(accepts('certs.chain', {})).toBe(false);
      expect(accepts('certs.chain', { certId: 12 })).toBe(false);
      expect(accepts('session.logout', {})).toBe(false);
    });
  });

  describe('certs.list', () => {
    it('accepts the filters and rejects an unknown kind', () => {
      expect(accepts('certs.list', {})).toBe(true);
      expect(accepts('certs.list', { tokenId: 'tk-1', kind: 'personal' })).toBe(true);
      expect(accepts('certs.list', { kind: 'company' })).toBe(false);
    });
  });

  describe('sign.hash', () => {
    it('accepts every algorithm with its digest length', () => {
      for (const [hashAlgorithm, n] of [['sha256', 32], ['sha384', 48], ['sha512', 64], ['sm3', 32]] as const) {
        expect(accepts('sign.hash', { ...SIGN, hashAlgorithm, hash: b64(n) })).toBe(true);
      }
    });

    it('rejects a digest whose length does not match the algorithm', () => {
      expect(accepts('sign.hash', { ...SIGN, hash: b64(48) })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, hashAlgorithm: 'sha512', hash: b64(32) })).toBe(false);
    });

    it('rejects a digest over 128 bytes, empty, or not base64', () => {
      expect(accepts('sign.hash', { ...SIGN, hash: b64(129) })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, hash: '' })).toBe(false);
      for (const hash of ['not base64!', b64(32).slice(0, -1), b64(32).replace(/=$/, ''), `${b64(30)}\n`, b64(32).replace('q', '-')]) {
        expect(accepts('sign.hash', { ...SIGN, hash })).toBe(false);
      }
    });

    it('rejects unknown algorithms and formats, and a missing format', () => {
      expect(accepts('sign.hash', { ...SIGN, hashAlgorithm: 'md5' })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, hashAlgorithm: 'SHA256' })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, format: 'pkcs1' })).toBe(false);
      const { format: _format, ...noFormat } = SIGN;
      expect(accepts('sign.hash', noFormat)).toBe(false);
    });

    it('checks the document name', () => {
      expect(accepts('sign.hash', { ...SIGN, document: { name: '采购合同.pdf' } })).toBe(true);
      expect(accepts('sign.hash', { ...SIGN, document: { name: '合'.repeat(200) } })).toBe(true);
      expect(accepts('sign.hash', { ...SIGN, document: { name: '合'.repeat(201) } })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, document: { name: '' } })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, document: { name: 'a\tb' } })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, document: { name: 'fdp.\u202eexe' } })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, document: { name: 'x', size: 1 } })).toBe(false);
      expect(accepts('sign.hash', { ...SIGN, document: 'x.pdf' })).toBe(false);
    });

    it('never takes a PIN', () => {
      expect(accepts('sign.hash', { ...SIGN, pin: '123456' })).toBe(false);
    });
  });

  describe('auth.challenge', () => {
    it('accepts a nonce of 16..64 bytes only', () => {
      expect(accepts('auth.challenge', { certId: CERT, nonce: b64(16) })).toBe(true);
      expect(accepts('auth.challenge', { certId: CERT, nonce: b64(64) })).toBe(true);
      expect(accepts('auth.challenge', { certId: CERT, nonce: b64(15) })).toBe(false);
      expect(accepts('auth.challenge', { certId: CERT, nonce: b64(65) })).toBe(false);
      expect(accepts('auth.challenge', { certId: CERT, nonce: 'x'.repeat(24) + '!' })).toBe(false);
    });
  });

  describe('verify.cms', () => {
    it('accepts CMS up to 48 KiB of base64 and rejects more', () => {
      expect(accepts('verify.cms', VERIFY)).toBe(true);
      expect(accepts('verify.cms', { ...VERIFY, signature: 'A'.repeat(48 * 1024) })).toBe(true);
      expect(accepts('verify.cms', { ...VERIFY, signature: 'A'.repeat(48 * 1024 + 4) })).toBe(false);
    });

    it('rejects bad base64, empty CMS and a mismatched digest', () => {
      expect(accepts('verify.cms', { ...VERIFY, signature: '' })).toBe(false);
      expect(accepts('verify.cms', { ...VERIFY, signature: 'MII%' })).toBe(false);
      expect(accepts('verify.cms', { ...VERIFY, hashAlgorithm: 'sha384' })).toBe(false);
    });
  });

  describe('parseParams', () => {
    it('treats absent params as {}', () => {
      expect(parseParams('tokens.list', undefined)).toEqual({});
      expect(() => parseParams('certs.chain', undefined)).toThrow(AssistantError);
    });

    it('throws BAD_REQUEST listing paths and codes but not values', () => {
      const secret = 'zzzz-secret-value';
      try {
        parseParams('sign.hash', { ...SIGN, hash: b64(48), extra: secret });
        expect.unreachable();
      } catch (error) {
        expect(AssistantError.is(error)).toBe(true);
        const e = error as AssistantError;
        expect(e.reason).toBe('BAD_REQUEST');
        expect(e.details.issues).toEqual(expect.arrayContaining([{ path: '', code: 'unrecognized_keys' }]));
        expect(JSON.stringify(e.details)).not.toContain(secret);
      }
    });
  });

  describe('auth payload', () => {
    const payload = {
      type: 'ca-assistant/auth' as const,
      origin: 'https://mall.example.gov.cn',
      nonce: b64(16),
      serverNonce: b64(16),
      time: '2025-03-01T08:00:00.000Z',
    };

    it('serializes with a fixed key order whatever the input order', () => {
      const shuffled = { time: payload.time, nonce: payload.nonce, origin: payload.origin, serverNonce: payload.serverNonce, type: payload.type };
      expect(serializeAuthPayload(shuffled)).toBe(serializeAuthPayload(payload));
      expect(serializeAuthPayload(payload)).toBe(
        `{"type":"ca-assistant/auth","origin":"https://mall.example.gov.cn","nonce":"${payload.nonce}","serverNonce":"${payload.serverNonce}","time":"2025-03-01T08:00:00.000Z"}`,
      );
    });

    it('parses back strictly', () => {
      expect(authPayloadSchema.parse(JSON.parse(serializeAuthPayload(payload)))).toEqual(payload);
      expect(authPayloadSchema.safeParse({ ...payload, extra: 1 }).success).toBe(false);
      expect(authPayloadSchema.safeParse({ ...payload, type: 'other' }).success).toBe(false);
    });

    it('the example payload in the method table parses', () => {
      expect(authPayloadSchema.safeParse(JSON.parse(METHODS['auth.challenge'].example.result.payload)).success).toBe(true);
    });
  });

  describe('base64DecodedLength', () => {
    it('counts padding', () => {
      for (const n of [0, 1, 2, 3, 31, 32, 33]) expect(base64DecodedLength(b64(n))).toBe(n);
    });
  });
});
