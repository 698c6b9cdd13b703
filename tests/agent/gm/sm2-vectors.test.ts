/**
 * SM2 verification on @noble/curves against the GM/T 0003.5-2012 Annex A.2
 * example (sm2p256v1, ID 1234567812345678, "message digest") and against an
 * independent SM2 implementation (sm-crypto-v2) on random keys and messages.
 */
import { randomBytes } from 'node:crypto';
import { sm2 as smCrypto } from 'sm-crypto-v2';
import { describe, expect, it } from 'vitest';
import { sm2Digest, sm2PublicPoint, sm2Verify, sm2Z } from '../../../src-agent/pki/index.js';
import { sm2VerifyDigest } from '../../../src-agent/pki/sm2.js';
import { AssistantError } from '../../../src-agent/protocol/errors.js';

const hex = (h: string) => Buffer.from(h, 'hex');
/** GM/T 0003.5-2012 A.2. */
const VECTOR = {
  point: hex('04' + '09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020' + 'CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13'),
  message: Buffer.from('message digest'),
  z: hex('B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3'),
  e: hex('F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640'),
  r: 'F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3',
  s: 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA',
};
/** SubjectPublicKeyInfo header: id-ecPublicKey, sm2p256v1, BIT STRING of 66 bytes. */
const SPKI_HEADER = hex('3059301306072a8648ce3d020106082a811ccf5501822d034200');
const spkiOf = (point: Buffer) => Buffer.concat([SPKI_HEADER, point]);
/** DER SEQUENCE { INTEGER r, INTEGER s } of two 32-byte hex values with the top bit set. */
const derSig = (r: string, s: string) => hex(`3046022100${r}022100${s}`);

describe('SM2 on @noble/curves', () => {
  it('computes Z and e of the GM/T 0003.5 example', () => {
    expect(sm2Z(VECTOR.point).toString('hex')).toBe(VECTOR.z.toString('hex'));
    expect(sm2Digest(VECTOR.point, VECTOR.message).toString('hex')).toBe(VECTOR.e.toString('hex'));
  });

  it('verifies the GM/T 0003.5 example signature, and nothing altered', () => {
    const sig = derSig(VECTOR.r, VECTOR.s);
    expect(sm2VerifyDigest(VECTOR.point, VECTOR.e, sig)).toBe(true);
    expect(sm2Verify(spkiOf(VECTOR.point), VECTOR.message, sig)).toBe(true);
    expect(sm2Verify(spkiOf(VECTOR.point), Buffer.from('message digesT'), sig)).toBe(false);
    expect(sm2Verify(spkiOf(VECTOR.point), VECTOR.message, sig, 'ALICE123@YAHOO.COM')).toBe(false);
    const flipped = Buffer.from(sig);
    flipped[10]! ^= 1;
    expect(sm2VerifyDigest(VECTOR.point, VECTOR.e, flipped)).toBe(false);
  });

  it('is false, never a throw, for out-of-range or malformed signatures and points', () => {
    const n = 'FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123';
    expect(sm2VerifyDigest(VECTOR.point, VECTOR.e, derSig(n, VECTOR.s))).toBe(false); // r = n
    expect(sm2VerifyDigest(VECTOR.point, VECTOR.e, hex(`3025022100${VECTOR.r}020100`))).toBe(false); // s = 0
    expect(sm2VerifyDigest(VECTOR.point, VECTOR.e, hex('3006020101020101'))).toBe(false);
    expect(sm2VerifyDigest(VECTOR.point, VECTOR.e, Buffer.alloc(72))).toBe(false);
    const offCurve = Buffer.from(VECTOR.point);
    offCurve[64]! ^= 1;
    expect(sm2VerifyDigest(offCurve, VECTOR.e, derSig(VECTOR.r, VECTOR.s))).toBe(false);
    expect(sm2VerifyDigest(VECTOR.point.subarray(0, 33), VECTOR.e, derSig(VECTOR.r, VECTOR.s))).toBe(false);
  });

  it('throws AssistantError BAD_REQUEST (never a plain Error) for keys that are not SM2 points', () => {
    const offCurve = Buffer.from(VECTOR.point);
    offCurve[64]! ^= 1;
    const p256 = Buffer.concat([hex('3059301306072a8648ce3d020106082a8648ce3d030107034200'), VECTOR.point]);
    for (const spki of [Buffer.alloc(0), Buffer.from('garbage'), spkiOf(offCurve), p256, SPKI_HEADER]) {
      let caught: unknown;
      try {
        sm2PublicPoint(spki);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AssistantError);
      expect((caught as AssistantError).reason).toBe('BAD_REQUEST');
    }
    expect(sm2PublicPoint(spkiOf(VECTOR.point))).toEqual(VECTOR.point);
  });

  it('agrees with sm-crypto-v2 on random keys, ids and messages', () => {
    for (let i = 0; i < 40; i++) {
      const { privateKey, publicKey } = smCrypto.generateKeyPairHex();
      const message = randomBytes(1 + (i % 50));
      const userId = i % 3 === 0 ? '1234567812345678' : `user-${i}@例子.cn`;
      const sig = hex(smCrypto.doSignature(message, privateKey, { der: true, hash: true, userId }));
      const spki = spkiOf(hex(publicKey));
      expect(sm2Verify(spki, message, sig, userId)).toBe(true);
      const other = Buffer.concat([message, Buffer.from([i])]);
      expect(sm2Verify(spki, other, sig, userId)).toBe(false);
      expect(smCrypto.doVerifySignature(other, sig.toString('hex'), publicKey, { der: true, hash: true, userId })).toBe(false);
    }
  });
});
