import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../../src-agent/protocol/types.js';
import { useFixtures } from '../../helpers/fixtures.js';
import { Client, MALL, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const supplier = fx.tokens.find((t) => t.key === 'supplier')!;
const orgFingerprint = supplier.certs.find((c) => c.role === 'organization')!.fingerprintSha256;
const personalFingerprint = supplier.certs.find((c) => c.role === 'personal')!.fingerprintSha256;

function opensslVerify(cms: Buffer, data: Buffer): void {
  const dir = mkdtempSync(join(tmpdir(), 'ca-api-verify-'));
  writeFileSync(join(dir, 'sig'), cms);
  writeFileSync(join(dir, 'data'), data);
  execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig'), '-content', join(dir, 'data'), '-CAfile', fx.rootCa, '-purpose', 'any', '-out', join(dir, 'out')], { stdio: 'pipe' });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('API methods (trusted origin)', () => {
  let h: Harness;
  let client: Client;
  const report: CheckReport = { startedAt: 'a', finishedAt: 'b', version: '0.1.0', summary: { ok: 1, warn: 0, fail: 0, skipped: 0 }, checks: [] };
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx), {
      runCheck: async (ctx) => {
        ctx.progress({ id: 'token.present', index: 0, total: 1 });
        return report;
      },
    });
    client = await Client.open(h.server.port, MALL);
  });
  afterAll(async () => {
    client?.close();
    await h?.stop();
  });

  const certId = async (fingerprint: string): Promise<string> => {
    const reply = await client.call('certs.list', {});
    const certs = reply.result?.certs as { id: string; fingerprintSha256: string }[];
    const found = certs.find((c) => c.fingerprintSha256 === fingerprint);
    if (!found) throw new Error('cert not listed');
    return found.id;
  };

  it('system.hello says who is calling and that it is trusted', async () => {
    const reply = await client.call('system.hello', { client: 'test/1' });
    expect(reply.result).toMatchObject({ product: 'ca-assistant', protocol: 1, origin: MALL, trusted: true });
    expect((reply.result?.capabilities as { signatureFormats: string[] }).signatureFormats).toEqual(['cms', 'raw']);
  });

  it('tokens.list lists the fixture tokens with PIN state and module file name', async () => {
    const reply = await client.call('tokens.list', {});
    const tokens = reply.result?.tokens as { label: string; module: string; pin: { locked: boolean } }[];
    expect(tokens.map((t) => t.label).sort()).toEqual(['供应商', '最后一次', '采购人', '已锁定', '过期证书', '无私钥'].sort());
    expect(tokens.find((t) => t.label === '已锁定')?.pin.locked).toBe(true);
    expect(tokens[0]?.module).toBe('libpinguard.so');
    expect(Object.keys(tokens[0] ?? {})).not.toContain('slotId');
  });

  it('certs.list gives user certificates with kind, seal flag and DER, and filters by kind', async () => {
    const all = (await client.call('certs.list', {})).result?.certs as Record<string, unknown>[];
    const org = all.find((c) => c.fingerprintSha256 === orgFingerprint);
    expect(org).toMatchObject({ kind: 'organization', keyAlgorithm: 'RSA-2048', hasSealImage: true });
    expect(createHash('sha256').update(Buffer.from(org?.der as string, 'base64')).digest('hex')).toBe(orgFingerprint);
    expect(all.find((c) => c.fingerprintSha256 === personalFingerprint)).toMatchObject({ kind: 'personal', keyAlgorithm: 'EC-P256' });
    const personal = (await client.call('certs.list', { kind: 'personal' })).result?.certs as { kind: string }[];
    expect(personal.length).toBeGreaterThan(0);
    expect(personal.every((c) => c.kind === 'personal')).toBe(true);
    expect(all.every((c) => !String(c.subject).includes('CA'))).toBe(true);
  });

  it('certs.chain returns a trusted chain, leaf first', async () => {
    const reply = await client.call('certs.chain', { certId: await certId(orgFingerprint) });
    expect(reply.result).toMatchObject({ trusted: true, problems: [] });
    expect((reply.result?.chain as string[]).length).toBe(3);
  });

  it('seals.get returns the PNG seal image', async () => {
    const reply = await client.call('seals.get', { certId: await certId(orgFingerprint) });
    expect(reply.result).toMatchObject({ mime: 'image/png', source: 'token' });
    expect(Buffer.from(reply.result?.image as string, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('sign.hash asks the PIN, then signs silently after the reuse tick; openssl accepts the CMS; verify.cms agrees', async () => {
    const data = Buffer.from('政府采购合同 2025-0012');
    const hash = createHash('sha256').update(data).digest('base64');
    const id = await certId(orgFingerprint);
    h.ui.answerPins({ pin: supplier.userPin, reuse: true });
    const first = await client.call('sign.hash', { certId: id, hash, hashAlgorithm: 'sha256', format: 'cms', document: { name: '合同.pdf' } });
    expect(first.result).toMatchObject({ format: 'cms', signatureAlgorithm: 'sha256WithRSAEncryption' });
    expect(h.ui.pinRequests).toHaveLength(1);
    expect(h.ui.pinRequests[0]).toMatchObject({ origin: MALL, documentName: '合同.pdf', attempt: 1, token: { label: '供应商' } });
    opensslVerify(Buffer.from(first.result?.signature as string, 'base64'), data);
    expect(h.ui.notices.at(-1)).toMatchObject({ kind: 'signed', origin: MALL, documentName: '合同.pdf' });

    const second = await client.call('sign.hash', { certId: await certId(personalFingerprint), hash, hashAlgorithm: 'sha256', format: 'raw' });
    expect(second.result).toMatchObject({ format: 'raw', signatureAlgorithm: 'ecdsa-with-SHA256' });
    expect(h.ui.pinRequests).toHaveLength(1);

    const verified = await client.call('verify.cms', { signature: first.result?.signature, hash, hashAlgorithm: 'sha256' });
    expect(verified.result).toMatchObject({ valid: true, chainTrusted: true, problems: [] });
    expect((verified.result?.signer as { fingerprintSha256: string }).fingerprintSha256).toBe(orgFingerprint);
    const tampered = await client.call('verify.cms', { signature: first.result?.signature, hash: createHash('sha256').update('x').digest('base64'), hashAlgorithm: 'sha256' });
    expect(tampered.result).toMatchObject({ valid: false });
  });

  it('auth.challenge signs a payload bound to the origin and nonce', async () => {
    const nonce = randomBytes(16).toString('base64');
    const reply = await client.call('auth.challenge', { certId: await certId(personalFingerprint), nonce });
    const payload = JSON.parse(reply.result?.payload as string) as Record<string, string>;
    expect(payload).toMatchObject({ type: 'ca-assistant/auth', origin: MALL, nonce });
    expect(Buffer.from(payload.serverNonce ?? '', 'base64')).toHaveLength(16);
    opensslVerify(Buffer.from(reply.result?.signature as string, 'base64'), Buffer.from(reply.result?.payload as string, 'utf8'));
    // What the clerk reads (PIN dialog, notice, audit): the purpose in Chinese, no method name.
    const notice = h.ui.notices.at(-1) as { documentName?: string };
    expect(notice.documentName).toBe('绑定个人证书（身份认证）');
    expect(notice.documentName).not.toMatch(/auth|challenge/i);
  });

  it('sign.hash on an expired certificate is CERT_EXPIRED; on a certificate without key KEY_NOT_FOUND', async () => {
    const certs = (await client.call('certs.list', {})).result?.certs as { id: string; tokenId: string; notAfter: string }[];
    const tokens = (await client.call('tokens.list', {})).result?.tokens as { id: string; label: string }[];
    const expiredToken = tokens.find((t) => t.label === '过期证书')!.id;
    const expired = certs.find((c) => c.tokenId === expiredToken)!;
    h.ui.answerPins(fx.tokens.find((t) => t.key === 'expired')!.userPin);
    const hash = createHash('sha256').update('x').digest('base64');
    expect(reasonOf(await client.call('sign.hash', { certId: expired.id, hash, hashAlgorithm: 'sha256', format: 'cms' }))).toBe('CERT_EXPIRED');
    const nokeyToken = tokens.find((t) => t.label === '无私钥')!.id;
    const nokey = certs.find((c) => c.tokenId === nokeyToken)!;
    h.ui.answerPins(fx.tokens.find((t) => t.key === 'nokey')!.userPin);
    expect(reasonOf(await client.call('sign.hash', { certId: nokey.id, hash, hashAlgorithm: 'sha256', format: 'cms' }))).toBe('KEY_NOT_FOUND');
    expect(reasonOf(await client.call('sign.hash', { certId: `${nokeyToken}.0000000000000000`, hash, hashAlgorithm: 'sha256', format: 'cms' }))).toBe('CERT_NOT_FOUND');
  });

  it('session.logout logs the token out and sends tokens.changed; the next signature asks the PIN again', async () => {
    const id = await certId(orgFingerprint);
    const tokenId = id.split('.')[0];
    const before = client.events.length;
    expect((await client.call('session.logout', { tokenId })).result).toEqual({});
    const tokens = (await client.call('tokens.list', {})).result?.tokens as { id: string; loggedIn: boolean }[];
    expect(tokens.find((t) => t.id === tokenId)?.loggedIn).toBe(false);
    await expect.poll(() => client.events.slice(before).some((e) => e.method === 'tokens.changed'), { timeout: 10_000 }).toBe(true);
    const asked = h.ui.pinRequests.length;
    h.ui.answerPins('cancel');
    const hash = createHash('sha256').update('y').digest('base64');
    expect(reasonOf(await client.call('sign.hash', { certId: id, hash, hashAlgorithm: 'sha256', format: 'cms' }))).toBe('USER_CANCELLED');
    expect(h.ui.pinRequests.length).toBe(asked + 1);
  });

  it('check.run returns the injected runner’s report and forwards progress events', async () => {
    const reply = await client.call('check.run', {});
    expect(reply.result).toEqual(report);
    expect(client.events.some((e) => e.method === 'check.progress')).toBe(true);
  });

  it('writes exactly one audit record per signature attempt, and no PIN anywhere in the data dir', async () => {
    h.server.audit.flush();
    const read = (name: string): Record<string, unknown>[] => readFileSync(join(h.dataDir, 'audit', name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const lines = read('audit.jsonl');
    // sign cms, sign raw, auth; the refused attempts in their own file: expired, nokey, not found, cancelled
    expect(lines.map((l) => l.result)).toEqual(['ok', 'ok', 'ok']);
    expect(read('refused.jsonl').map((l) => l.result)).toEqual(['CERT_EXPIRED', 'KEY_NOT_FOUND', 'CERT_NOT_FOUND', 'USER_CANCELLED']);
    expect(lines[0]).toMatchObject({ origin: MALL, method: 'sign.hash', certFingerprintSha256: orgFingerprint, hashAlgorithm: 'sha256', documentName: '合同.pdf' });
    expect(lines[0]?.hash).toBe(createHash('sha256').update(Buffer.from('政府采购合同 2025-0012')).digest('hex'));
    for (const file of filesUnder(h.dataDir)) {
      const text = readFileSync(file, 'utf8');
      for (const t of fx.tokens) expect(text.includes(t.userPin), `${t.userPin} in ${file}`).toBe(false);
    }
  });
});

describe('check.run without a runner', () => {
  it('answers INTERNAL', async () => {
    const h = await startHarness(fx, await makeConfig(fx));
    try {
      const client = await Client.open(h.server.port, MALL);
      expect(reasonOf(await client.call('check.run', {}))).toBe('INTERNAL');
      client.close();
    } finally {
      await h.stop();
    }
  });
});
