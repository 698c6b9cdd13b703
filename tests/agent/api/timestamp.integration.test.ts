import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFixtures } from '../../helpers/fixtures.js';
import { useHttpServer, useTsa } from '../../helpers/tsa.js';
import { Client, MALL, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const tsa = await useTsa('rsa');
const down = await useHttpServer((_req, res) => {
  res.writeHead(503, { 'content-type': 'text/plain' });
  res.end('维护中');
});
const supplier = fx.tokens.find((t) => t.key === 'supplier')!;
const orgFingerprint = supplier.certs.find((c) => c.role === 'organization')!.fingerprintSha256;
const data = Buffer.from('政府采购合同（HT-DD20250001）');
const hash = createHash('sha256').update(data).digest().toString('base64');

function opensslCmsVerify(cms: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'ca-api-ts-'));
  writeFileSync(join(dir, 'sig'), cms);
  writeFileSync(join(dir, 'data'), data);
  const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig'), '-content', join(dir, 'data'), '-CAfile', fx.rootCa, '-purpose', 'any', '-out', '/dev/null']);
  return r.stderr.toString();
}

async function withAgent(timestamp: Record<string, unknown> | undefined, body: (h: Harness, client: Client, certId: string) => Promise<void>): Promise<void> {
  const h = await startHarness(fx, await makeConfig(fx, timestamp ? { timestamp } : {}));
  const client = await Client.open(h.server.port, MALL);
  try {
    const certs = (await client.call('certs.list', {})).result?.certs as { id: string; fingerprintSha256: string }[];
    await body(h, client, certs.find((c) => c.fingerprintSha256 === orgFingerprint)!.id);
  } finally {
    client.close();
    await h.stop();
  }
}

/** Signature records and refused-attempt records (kept apart since issue 15), oldest first. */
const auditLines = (h: Harness) => ['audit.jsonl', 'refused.jsonl']
  .flatMap((f) => { try { return readFileSync(join(h.dataDir, 'audit', f), 'utf8').trim().split('\n').filter(Boolean); } catch { return []; } })
  .map((l) => JSON.parse(l) as Record<string, unknown>)
  .sort((a, b) => String(a.time).localeCompare(String(b.time)));

describe('sign.hash with timestamp: true', () => {
  let h: Harness;
  let client: Client;
  let certId: string;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx, { timestamp: { url: tsa.url, trustAnchors: [tsa.pki.rootPem] } }));
    client = await Client.open(h.server.port, MALL);
    const certs = (await client.call('certs.list', {})).result?.certs as { id: string; fingerprintSha256: string }[];
    certId = certs.find((c) => c.fingerprintSha256 === orgFingerprint)!.id;
  });
  afterAll(async () => {
    client?.close();
    await h?.stop();
  });

  it('system.hello says a TSA is configured', async () => {
    const hello = await client.call('system.hello', {});
    expect((hello.result?.capabilities as { timestamp: boolean }).timestamp).toBe(true);
  });

  it('returns a CMS with a signature time-stamp; openssl accepts it; verify.cms reports the trusted time', async () => {
    h.ui.answerPins(supplier.userPin);
    const before = tsa.answered();
    const reply = await client.call('sign.hash', { certId, hash, hashAlgorithm: 'sha256', format: 'cms', document: { name: '政府采购合同.pdf' }, timestamp: true });
    expect(reply.error).toBeUndefined();
    expect(tsa.answered()).toBe(before + 1);
    const cms = Buffer.from(reply.result!.signature as string, 'base64');
    expect(opensslCmsVerify(cms)).toContain('Verification successful');
    expect(execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: cms }).toString()).toContain('id-smime-aa-timeStampToken');
    const v = await client.call('verify.cms', { signature: reply.result!.signature, hash, hashAlgorithm: 'sha256' });
    expect(v.result).toMatchObject({ valid: true, chainTrusted: true, timestamp: { valid: true }, validityTime: { source: 'timestamp' } });
    expect((v.result!.validityTime as { time: string }).time).toBe((v.result!.timestamp as { time: string }).time);
    expect(auditLines(h).at(-1)).toMatchObject({ method: 'sign.hash', result: 'ok' });
  });

  it('without the flag the CMS carries no time-stamp and the TSA is not asked', async () => {
    h.ui.answerPins(supplier.userPin);
    const before = tsa.answered();
    const reply = await client.call('sign.hash', { certId, hash, hashAlgorithm: 'sha256', format: 'cms' });
    expect(tsa.answered()).toBe(before);
    const v = await client.call('verify.cms', { signature: reply.result!.signature, hash, hashAlgorithm: 'sha256' });
    expect(v.result).toMatchObject({ valid: true, validityTime: { source: 'now' } });
    expect(v.result!.timestamp).toBeUndefined();
  });

  it.each([
    ['a string flag', { timestamp: 'yes' }],
    ['a raw signature', { timestamp: true, format: 'raw' }],
    ['an unknown sibling', { timestamp: true, tsaUrl: 'http://evil.example/' }],
  ])('refuses %s as BAD_REQUEST', async (_name, extra) => {
    const reply = await client.call('sign.hash', { certId, hash, hashAlgorithm: 'sha256', format: 'cms', ...extra });
    expect(reasonOf(reply)).toBe('BAD_REQUEST');
  });
});

describe('sign.hash when the TSA fails', () => {
  it('TIMESTAMP_NOT_CONFIGURED comes before any PIN dialog, and is audited', async () => {
    await withAgent(undefined, async (h, client, certId) => {
      expect((await client.call('system.hello', {})).result?.capabilities).toMatchObject({ timestamp: false });
      const reply = await client.call('sign.hash', { certId, hash, hashAlgorithm: 'sha256', format: 'cms', timestamp: true });
      expect(reply.error).toMatchObject({ code: -32070, message: '互认助手未配置时间戳服务', data: { reason: 'TIMESTAMP_NOT_CONFIGURED' } });
      expect(h.ui.pinRequests).toHaveLength(0);
      expect(auditLines(h).at(-1)).toMatchObject({ result: 'TIMESTAMP_NOT_CONFIGURED' });
    });
  });

  it('TIMESTAMP_UNAVAILABLE with a Chinese message and remedy; no signature leaves without its time-stamp', async () => {
    await withAgent({ url: down }, async (h, client, certId) => {
      h.ui.answerPins(supplier.userPin);
      const reply = await client.call('sign.hash', { certId, hash, hashAlgorithm: 'sha256', format: 'cms', timestamp: true });
      expect(reply.result).toBeUndefined();
      expect(reply.error).toMatchObject({ message: '时间戳服务暂时无法访问，签章未完成', data: { reason: 'TIMESTAMP_UNAVAILABLE', remedy: expect.stringContaining('签名未带时间戳，不会交给商城') } });
      expect(JSON.stringify(reply.error)).not.toContain('127.0.0.1');
      expect(auditLines(h).at(-1)).toMatchObject({ result: 'TIMESTAMP_UNAVAILABLE' });
    });
  });
});
