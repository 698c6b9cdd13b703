import { execFile as execFileCb } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readCertParts } from '../../../src-agent/pki/cert-parts.js';
import { isSignedBy, sm2Verify, sm2VerifyCertificate } from '../../../src-agent/pki/index.js';
import { useSm2Fixtures } from '../../helpers/sm2.js';

const execFile = promisify(execFileCb);
const fx = await useSm2Fixtures();
const spki = readCertParts(fx.signCertDer).publicKey.spki;

/** A signature made by the openssl CLI with the fixture's signing key. */
async function opensslSign(message: string, id: string): Promise<Buffer> {
  const dir = join(fx.files.signKey, '..');
  const msg = join(dir, 'msg.txt');
  await execFile('sh', ['-c', `printf '%s' "$1" > "$2"`, 'sh', message, msg]);
  await execFile('openssl', ['pkeyutl', '-sign', '-inkey', fx.files.signKey, '-rawin', '-in', msg, '-digest', 'sm3', '-pkeyopt', `distid:${id}`, '-out', join(dir, 'sig.der')]);
  return readFile(join(dir, 'sig.der'));
}

describe('sm2', () => {
  describe('#sm2Verify', () => {
    it('accepts signatures made by openssl with the same id, refuses other ids and messages', async () => {
      const sig = await opensslSign('中文合同', '1234567812345678');
      expect(sm2Verify(spki, Buffer.from('中文合同'), sig)).toBe(true);
      expect(sm2Verify(spki, Buffer.from('中文合同.'), sig)).toBe(false);
      expect(sm2Verify(spki, Buffer.from('中文合同'), sig, 'ALICE123@YAHOO.COM')).toBe(false);
      const alice = await opensslSign('中文合同', 'ALICE123@YAHOO.COM');
      expect(sm2Verify(spki, Buffer.from('中文合同'), alice, 'ALICE123@YAHOO.COM')).toBe(true);
    });

    it('is false, not a throw, for garbage signatures and keys', () => {
      expect(sm2Verify(spki, Buffer.from('x'), Buffer.from('3006020101020101', 'hex'))).toBe(false);
      expect(sm2Verify(spki, Buffer.from('x'), Buffer.alloc(10))).toBe(false);
      expect(sm2Verify(Buffer.from('3000', 'hex'), Buffer.from('x'), Buffer.alloc(10))).toBe(false);
    });
  });

  describe('#sm2VerifyCertificate / isSignedBy', () => {
    it('verifies certificates the openssl CA signed, and no others', () => {
      const rootKey = readCertParts(fx.rootDer).publicKey.spki;
      expect(sm2VerifyCertificate(fx.signCertDer, rootKey)).toBe(true);
      expect(sm2VerifyCertificate(fx.rootDer, rootKey)).toBe(true);
      expect(sm2VerifyCertificate(fx.signCertDer, spki)).toBe(false);
      expect(isSignedBy(fx.encCertDer, fx.rootDer)).toBe(true);
      expect(isSignedBy(fx.rootDer, fx.encCertDer)).toBe(false);
    });
  });
});
