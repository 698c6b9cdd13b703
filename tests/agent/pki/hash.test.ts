import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { digestInfo, getHashAlgorithm, HASH_ALGORITHMS, SUPPORTED_HASH_ALGORITHMS, validateHash } from '../../../src-agent/pki/index.js';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return AssistantError.is(error) ? error.reason : 'not an AssistantError';
  }
  return undefined;
}

describe('hash algorithms', () => {
  it('lists sha256, sha384, sha512 and sm3 (for SM2 keys) as supported', () => {
    expect(SUPPORTED_HASH_ALGORITHMS).toEqual(['sha256', 'sha384', 'sha512', 'sm3']);
    expect(getHashAlgorithm('sm3')).toMatchObject({ oid: '1.2.156.10197.1.401', length: 32 });
    expect(reasonOf(() => getHashAlgorithm('md5'))).toBe('BAD_REQUEST');
    expect(reasonOf(() => getHashAlgorithm('toString'))).toBe('BAD_REQUEST');
  });

  it('validateHash checks the length and says what it expected', () => {
    expect(validateHash(Buffer.alloc(48), 'sha384').name).toBe('sha384');
    expect(reasonOf(() => validateHash(Buffer.alloc(32), 'sha512'))).toBe('BAD_REQUEST');
    expect(() => validateHash(Buffer.alloc(0), 'sha256')).toThrow('a sha256 hash is 32 bytes, got 0');
  });

  it('builds the RFC 8017 DigestInfo prefixes', () => {
    const h = createHash('sha256').update('x').digest();
    expect(digestInfo(h, HASH_ALGORITHMS.sha256).toString('hex')).toBe(`3031300d060960864801650304020105000420${h.toString('hex')}`);
    expect(digestInfo(Buffer.alloc(48), HASH_ALGORITHMS.sha384).subarray(0, 19).toString('hex')).toBe('3041300d060960864801650304020205000430');
    expect(digestInfo(Buffer.alloc(64), HASH_ALGORITHMS.sha512).subarray(0, 19).toString('hex')).toBe('3051300d060960864801650304020305000440');
  });
});
