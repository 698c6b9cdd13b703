import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHash, verifyCms } from '../../../src-agent/pki/index.js';
import { addSignatureTimestamp, signatureValueOf } from '../../../src-agent/pki/timestamp/index.js';
import { TimestampService } from '../../../src-agent/service/timestamp-service.js';
import { loadCertificateFile } from '../../../src-agent/pki/cert-files.js';
import { errorOf } from '../../helpers/errors.js';
import { opensslTokenVerify, useHttpServer, useTsa } from '../../helpers/tsa.js';
import { makeTestPki, tokenSigner, type TestCert, type TestPki } from './test-pki.js';

const rsaTsa = await useTsa('rsa');
const ecTsa = await useTsa('ec');
const tsaRoot = await loadCertificateFile(rsaTsa.pki.rootPem);
const ecTsaRoot = await loadCertificateFile(ecTsa.pki.rootPem);
const data = Buffer.from('政府采购合同 HT-DD20250001：甲乙双方约定……\n');
const hash = createHash('sha256').update(data).digest();
let pki: TestPki;
let dir: string;

beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'pki-tsa-'));
  writeFileSync(join(dir, 'data.bin'), data);
  writeFileSync(join(dir, 'root+intermediate.pem'), pki.root.pem + pki.intermediate.pem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const service = (url: string | undefined, anchors: Buffer[] = tsaRoot, extra: { authorization?: string; timeoutMs?: number } = {}) =>
  new TimestampService({ ...(url ? { url } : {}), timeoutMs: extra.timeoutMs ?? 5_000, ...(extra.authorization ? { authorization: extra.authorization } : {}) }, () => anchors);

async function cms(leaf: TestCert = pki.orgLeaf): Promise<Buffer> {
  const r = await signHash({ certificate: leaf.der, chain: [pki.intermediate.der], hash, hashAlgorithm: 'sha256', format: 'cms', sign: tokenSigner(leaf.privateKey) });
  return r.signature;
}

describe('TimestampService', () => {
  describe('#stamp', () => {
    it.each([['RSA', () => rsaTsa, () => tsaRoot], ['P-256', () => ecTsa, () => ecTsaRoot]])('adds a %s TSA token that openssl ts -verify accepts, and the CMS still verifies in openssl cms', async (_name, tsa, anchors) => {
      const plain = await cms();
      const stamped = await service(tsa().url, anchors()).stamp(plain);
      expect(stamped.length).toBeGreaterThan(plain.length + 500);
      const sig = await signatureValueOf(stamped);
      expect(sig.equals(await signatureValueOf(plain))).toBe(true);
      const ts = opensslTokenVerify(stamped, tsa().pki.rootPem);
      expect(ts.out).toContain('Verification: OK');
      const file = join(dir, 'stamped.p7s');
      writeFileSync(file, stamped);
      const v = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', file, '-content', join(dir, 'data.bin'), '-CAfile', join(dir, 'root+intermediate.pem'), '-purpose', 'any', '-out', '/dev/null']);
      expect(v.stderr.toString()).toContain('Verification successful');
    });

    it('sends the configured Authorization header and nothing from the page', async () => {
      const seen: (string | undefined)[] = [];
      const url = await useHttpServer((req, res, body) => {
        seen.push(req.headers.authorization);
        void fetch(rsaTsa.url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: new Uint8Array(body) })
          .then(async (r) => { res.writeHead(200, { 'content-type': 'application/timestamp-reply' }); res.end(Buffer.from(await r.arrayBuffer())); });
      });
      await service(url, tsaRoot, { authorization: 'Basic dGVzdDp0ZXN0' }).stamp(await cms());
      expect(seen).toEqual(['Basic dGVzdDp0ZXN0']);
    });

    it('refuses a token over another signature (a TSA answering another query)', async () => {
      const otherQuery = spawnSync('openssl', ['ts', '-query', '-digest', 'aa'.repeat(32), '-sha256', '-cert']).stdout;
      const replayed = Buffer.from(await (await fetch(rsaTsa.url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: new Uint8Array(otherQuery) })).arrayBuffer());
      const url = await useHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' });
        res.end(replayed);
      });
      const e = await errorOf(service(url).stamp(await cms()));
      expect(e).toMatchObject({ reason: 'TIMESTAMP_INVALID', details: { detailZh: '时间戳不是针对本次签名的（摘要不符）' } });
    });

    it('refuses a token from a TSA that does not chain to timestamp.trustAnchors', async () => {
      const e = await errorOf(service(rsaTsa.url, [pki.root.der]).stamp(await cms()));
      expect(e).toMatchObject({ reason: 'TIMESTAMP_INVALID' });
      expect((e as { details: { detailZh: string } }).details.detailZh).toContain('不受信任');
    });

    it('says TIMESTAMP_NOT_CONFIGURED without a url', async () => {
      expect(await errorOf(service(undefined).stamp(await cms()))).toMatchObject({ reason: 'TIMESTAMP_NOT_CONFIGURED' });
    });

    it('says TIMESTAMP_UNAVAILABLE when nothing listens', async () => {
      const e = await errorOf(service('http://127.0.0.1:1/tsa').stamp(await cms()));
      expect(e).toMatchObject({ reason: 'TIMESTAMP_UNAVAILABLE', details: { detailZh: '无法连接时间戳服务' } });
    });

    it('says TIMESTAMP_UNAVAILABLE when the TSA does not answer in time', async () => {
      const url = await useHttpServer(() => undefined);
      const started = Date.now();
      const e = await errorOf(service(url, tsaRoot, { timeoutMs: 600 }).stamp(await cms()));
      expect(e).toMatchObject({ reason: 'TIMESTAMP_UNAVAILABLE', details: { detailZh: '时间戳服务在 1 秒内没有应答' } });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('ends the wait when the page goes away', async () => {
      const url = await useHttpServer(() => undefined);
      const closed = new AbortController();
      setTimeout(() => closed.abort(), 100);
      expect(await errorOf(service(url).stamp(await cms(), closed.signal))).toMatchObject({ reason: 'USER_CANCELLED' });
    });

    it.each([
      ['HTTP 500', 500, 'application/timestamp-reply', Buffer.from('oops'), 'TIMESTAMP_UNAVAILABLE', '时间戳服务返回错误（HTTP 500）'],
      ['a web page', 200, 'text/html', Buffer.from('<html>login</html>'), 'TIMESTAMP_INVALID', '时间戳服务的应答不是时间戳格式'],
      ['garbage', 200, 'application/timestamp-reply', Buffer.from('3082ffff0102', 'hex'), 'TIMESTAMP_INVALID', '时间戳服务的应答不是有效的 RFC 3161 格式'],
      ['a rejection', 200, 'application/timestamp-reply', Buffer.from('300530030201' + '02', 'hex'), 'TIMESTAMP_INVALID', '时间戳服务拒绝了请求，状态：拒绝（rejection）'],
      ['granted without a token', 200, 'application/timestamp-reply', Buffer.from('3005300302010' + '0', 'hex'), 'TIMESTAMP_INVALID', '时间戳服务的应答中没有时间戳'],
      ['100 KB', 200, 'application/timestamp-reply', Buffer.alloc(100_000, 0x30), 'TIMESTAMP_INVALID', '时间戳服务的应答过大'],
    ])('turns %s into a clear reason', async (_name, status, type, body, reason, detailZh) => {
      const url = await useHttpServer((_req, res) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      });
      expect(await errorOf(service(url).stamp(await cms()))).toMatchObject({ reason, details: { detailZh } });
    });
  });
});

describe('verifyCms with signature time-stamps', () => {
  const verify = (signature: Buffer, now?: Date, tsaAnchors = tsaRoot) =>
    verifyCms({ signature, hash, hashAlgorithm: 'sha256', trustAnchors: [pki.root.der], intermediates: [pki.intermediate.der], tsaAnchors, ...(now ? { now } : {}) });

  it('reports the trusted time and judges validity at it', async () => {
    const stamped = await service(rsaTsa.url).stamp(await cms());
    const r = await verify(stamped);
    expect(r.valid).toBe(true);
    expect(r.chainTrusted).toBe(true);
    expect(r.timestamp).toMatchObject({ valid: true, tsa: expect.stringContaining('测试时间戳服务（RSA）') });
    expect(Math.abs(Date.parse(r.timestamp!.time!) - Date.now())).toBeLessThan(60_000);
    expect(r.validityTime).toEqual({ time: r.timestamp!.time, source: 'timestamp' });
  });

  it('keeps a time-stamped seal valid after its certificate expired, and reports the expiry of one without', async () => {
    const plain = await cms();
    const stamped = await service(rsaTsa.url).stamp(plain);
    const later = new Date(new Date(new X509Certificate(pki.orgLeaf.der).validTo).getTime() + 30 * 86_400_000);
    const withTs = await verify(stamped, later);
    expect(withTs).toMatchObject({ valid: true, chainTrusted: true, validityTime: { source: 'timestamp' } });
    const without = await verify(plain, later);
    expect(without.valid).toBe(false);
    expect(without.validityTime).toEqual({ time: later.toISOString(), source: 'now' });
    expect(without.problems.map((p: { code: string }) => p.code)).toContain('CERT_EXPIRED');
  });

  it('refuses a token moved over from another signature', async () => {
    const a = await service(rsaTsa.url).stamp(await cms());
    const tokenOf = async (stamped: Buffer) => {
      const { tspLibs } = await import('../../../src-agent/pki/timestamp/libs.js');
      const { pkijs, asn1js } = await tspLibs();
      const sd = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(stamped).buffer).result }).content });
      return Buffer.from(sd.signerInfos[0]!.unsignedAttrs!.attributes[0]!.values[0]!.toBER(false));
    };
    const moved = await addSignatureTimestamp(await cms(pki.personalEcLeaf), await tokenOf(a));
    const r = await verify(moved);
    expect(r.timestamp).toMatchObject({ valid: false });
    expect(r.problems.map((p: { code: string }) => p.code)).toContain('TIMESTAMP_IMPRINT');
    expect(r.validityTime.source).toBe('now');
  });

  it('reports a TSA outside the trust anchors as untrusted and does not use its time', async () => {
    const stamped = await service(ecTsa.url, ecTsaRoot).stamp(await cms());
    const r = await verify(stamped, undefined, tsaRoot);
    expect(r.timestamp?.valid).toBe(false);
    expect(r.problems.map((p: { code: string }) => p.code)).toContain('TIMESTAMP_UNTRUSTED');
    expect(r.validityTime.source).toBe('now');
  });

  it('reports a token whose signature was changed', async () => {
    const stamped = await service(rsaTsa.url).stamp(await cms());
    // The TSA's RSA signature value is the token's last 256 bytes, at the CMS's end.
    const broken = Buffer.from(stamped);
    broken[broken.length - 10]! ^= 0x01;
    const r = await verify(broken);
    expect(r.timestamp?.valid).toBe(false);
    expect(r.problems.map((p: { code: string }) => p.code)).toContain('TIMESTAMP_SIGNATURE');
    // The seal's own signature is untouched.
    expect(r.valid).toBe(true);
  });

  it('says nothing of time-stamps for a CMS without one', async () => {
    const r = await verify(await cms());
    expect(r.timestamp).toBeUndefined();
    expect(r.validityTime.source).toBe('now');
  });
});

