/** verify.cms's verification process: same answers as verifyCms, request errors first, survives a crash. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyCms, verifyCmsOffThread } from '../../../src-agent/pki/index.js';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import { CA_EXT, LEAF_EXT, opensslPki } from '../../helpers/openssl-pki.js';

const pki = opensslPki();
const root = pki.issue('root', CA_EXT());
const signer = pki.issue('signer', LEAF_EXT, root);
const content = Buffer.from('合同');
const hash = createHash('sha256').update(content).digest();

describe('verifyCmsOffThread', () => {
  it('answers as verifyCms does, with Buffers for the chain', async () => {
    const cms = pki.cms(content, [signer]);
    const now = new Date();
    const input = { signature: cms, hash, hashAlgorithm: 'sha256' as const, trustAnchors: [root.der], intermediates: [], now };
    const off = await verifyCmsOffThread(input);
    expect(off).toEqual(await verifyCms(input));
    expect(off).toMatchObject({ valid: true, chainTrusted: true });
    expect(Buffer.isBuffer(off.chain[0])).toBe(true);
    expect(off.chain[1]).toEqual(root.der);
    const garbage = await verifyCmsOffThread({ ...input, signature: Buffer.from('30800000', 'hex') });
    expect(garbage.problems.map((p) => p.code)).toEqual(['MALFORMED']);
  });

  it('rejects a hash of the wrong length with BAD_REQUEST before any work', async () => {
    await expect(verifyCmsOffThread({ signature: Buffer.alloc(1), hash: Buffer.alloc(31), hashAlgorithm: 'sha256', trustAnchors: [], intermediates: [] }))
      .rejects.toThrow(AssistantError);
  });

  it('answers again after its process was killed', async () => {
    const input = { signature: pki.cms(content, [signer]), hash, hashAlgorithm: 'sha256' as const, trustAnchors: [root.der], intermediates: [] };
    expect((await verifyCmsOffThread(input)).valid).toBe(true);
    const { execFileSync } = await import('node:child_process');
    const children = execFileSync('pgrep', ['-P', String(process.pid)]).toString().trim().split('\n').map(Number);
    let killed = 0;
    for (const pid of children) {
      const cmd = execFileSync('ps', ['-o', 'args=', '-p', String(pid)]).toString();
      if (cmd.includes('verify-worker')) {
        process.kill(pid, 'SIGKILL');
        killed++;
      }
    }
    expect(killed).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect((await verifyCmsOffThread(input)).valid).toBe(true);
  });
});
