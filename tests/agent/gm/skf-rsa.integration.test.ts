/** RSA containers on an SKF (GM/T 0016) key, next to the SM2 device: listing, PIN, sign.hash over the API, openssl checks. */
import { execFile as execFileCb } from 'node:child_process';
import { constants, createHash, publicDecrypt, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src-agent/api/server.js';
import { parseConfig } from '../../../src-agent/config.js';
import { parseSignedData, verifyCms } from '../../../src-agent/pki/index.js';
import { startCore, type AgentCore } from '../../../src-agent/service/agent-core.js';
import { loadSkfLibrary, SAR, USER_TYPE, cName, type SkfHandle } from '../../../src-agent/tokens/skf-library.js';
import { ScriptedUi } from '../../../src-agent/ui/scripted-ui.js';
import { addSkfRsaDevice } from '../../fixtures/skf-rsa-fixtures.js';
import { SKF_SOFT_MODULE } from '../../fixtures/sm2-fixtures.js';
import { opensslSm2Verify, useSm2Fixtures } from '../../helpers/sm2.js';
import { Client, MALL, reasonOf, type Reply } from '../api/harness.js';
import { errorOf } from '../../helpers/errors.js';

const execFile = promisify(execFileCb);
const sm2 = await useSm2Fixtures();
const fixtureDir = dirname(sm2.skfDir);
const rsa = await addSkfRsaDevice(fixtureDir, { broken: true });
const content = Buffer.from('政府采购合同（RSA 测试）：乙方 洛阳互认数据有限公司');
const hash = createHash('sha256').update(content).digest();
/** DigestInfo of SHA-256 (RFC 8017 §9.2 note 1), written out here rather than taken from the assistant. */
const digestInfo = (h: Buffer): Buffer => Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), h]);
const rsaPublicKey = new X509Certificate(rsa.signCertDer).publicKey;
const recover = (signature: Buffer): Buffer => publicDecrypt({ key: rsaPublicKey, padding: constants.RSA_PKCS1_PADDING }, signature);

/** Runs `openssl` with files written into a fresh directory; resolves whether it exited 0. */
async function opensslOk(files: Record<string, Buffer | string>, args: string[]): Promise<boolean> {
  const cwd = await mkdtemp(join(fixtureDir, 'openssl-'));
  await Promise.all(Object.entries(files).map(([name, data]) => writeFile(join(cwd, name), data)));
  return execFile('openssl', args, { cwd }).then(() => true, () => false);
}

/** `openssl cms -verify` of a detached CMS over `data`, trusting `caFile` only. */
const cmsVerifies = (cms: Buffer, data: Buffer, caFile: string): Promise<boolean> =>
  opensslOk({ 'sig.der': cms, 'content.bin': data }, ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'sig.der', '-content', 'content.bin', '-CAfile', caFile, '-out', '/dev/null']);

describe('RSA containers on an SKF key (skf-soft), next to the SM2 device', () => {
  let core: AgentCore;
  let server: RunningServer;
  let client: Client;
  const ui = new ScriptedUi();
  const ids = { rsaToken: '', sm2Token: '', rsaSign: '', rsaEnc: '', broken: '', sm2Sign: '' };
  const signHash = (certId: string, params: Record<string, unknown> = {}): Promise<Reply> =>
    client.call('sign.hash', { certId, hash: hash.toString('base64'), hashAlgorithm: 'sha256', format: 'cms', ...params });
  const tokensListed = async (): Promise<{ id: string; label: string; serial: string; pin: { retriesLeft?: number; countLow: boolean } }[]> =>
    (await client.call('tokens.list', {})).result?.tokens as never;

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(fixtureDir, 'data-'));
    const config = parseConfig(JSON.stringify({
      modules: [sm2.moduleSpec], onlyConfiguredModules: true, trustAnchors: [sm2.files.root, rsa.files.root], trustedOrigins: [MALL], dataDir,
    }));
    core = await startCore(config, { hostEnv: { SKF_SOFT_DIR: sm2.skfDir }, pollIntervalMs: 0, logToFile: false });
    server = await startServer({ core, ui, port: 0 });
    client = await Client.open(server.port, MALL);
    const certs = await core.certs.list();
    const idOf = (der: Buffer | undefined): string => certs.find((c) => der && c.token.der.equals(der))?.token.id ?? 'missing';
    Object.assign(ids, {
      rsaSign: idOf(rsa.signCertDer), rsaEnc: idOf(rsa.encCertDer), broken: idOf(rsa.broken?.signCertDer), sm2Sign: idOf(sm2.signCertDer),
      rsaToken: core.tokens.tokens().find((t) => t.label === rsa.label)?.id ?? 'missing',
      sm2Token: core.tokens.tokens().find((t) => t.serial === 'SKF0000000001')?.id ?? 'missing',
    });
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await core?.stop();
  });

  describe('listing', () => {
    it('lists the RSA device like any token, with its own label, serial and retry count, beside the SM2 one', async () => {
      const tokens = await tokensListed();
      expect(tokens.map((t) => t.serial).sort()).toEqual(['SKF0000000001', rsa.serial]);
      expect(tokens.find((t) => t.id === ids.rsaToken)).toMatchObject({
        label: rsa.label, serial: rsa.serial, model: 'SKF', manufacturer: 'skf-soft 测试厂商', loggedIn: false, pin: { retriesLeft: rsa.maxRetries, locked: false },
      });
    });

    it('lists the RSA signing certificate with its key, the encryption one without, and the broken container\'s certificate', async () => {
      const byId = new Map((await core.certs.list()).map((c) => [c.token.id, c.token]));
      expect(byId.get(ids.rsaSign)).toMatchObject({ hasPrivateKey: true, label: 'org-rsa（签名）' });
      expect(byId.get(ids.rsaEnc)).toMatchObject({ hasPrivateKey: false, label: 'org-rsa（加密）' });
      // SKF_GetContainerType fails (SAR_FILEERR) on the unreadable key: the signing call has the last word.
      expect(byId.get(ids.broken)).toMatchObject({ hasPrivateKey: true, label: 'broken-rsa（签名）' });
      const listed = (await client.call('certs.list', { tokenId: ids.rsaToken })).result?.certs as { id: string; keyAlgorithm: string; der: string }[];
      expect(listed.find((c) => c.id === ids.rsaSign)).toMatchObject({ keyAlgorithm: 'RSA-2048', der: rsa.signCertDer.toString('base64') });
    });

    it('reports the algorithms from the device info: SGD_RSA, SGD_SM2_1, SGD_SM3', async () => {
      const slots = (await core.tokens.moduleDetails()).flatMap((m) => m.slots ?? []);
      expect(slots.find((s) => s.description === rsa.device)?.mechanisms).toEqual(['SGD_RSA', 'SGD_SM2_1', 'SGD_SM3']);
    });
  });

  describe('PIN', () => {
    it('the device refuses RSA signing before login (SAR_USER_NOT_LOGGED_IN)', async () => {
      const error = await errorOf(core.tokens.sign(ids.rsaSign, 'RSA_PKCS', digestInfo(hash)));
      expect(error.details.ckr).toBe('SAR_USER_NOT_LOGGED_IN');
    });

    it('a wrong PIN lowers the RSA application\'s retry count, not the SM2 one\'s', async () => {
      const start = ui.pinRequests.length;
      ui.answerPins('11111111', 'cancel');
      expect(reasonOf(await signHash(ids.rsaSign))).toBe('USER_CANCELLED');
      const asks = ui.pinRequests.slice(start);
      expect(asks.map((a) => a.attempt)).toEqual([1, 2]);
      expect(asks[1]).toMatchObject({ lastError: 'PIN_INCORRECT', token: { label: rsa.label }, pin: { retriesLeft: rsa.maxRetries - 1, countLow: true } });
      expect((await readFile(rsa.retriesFile, 'utf8')).trim()).toBe(`${rsa.maxRetries - 1} ${rsa.maxRetries}`);
      const tokens = await tokensListed();
      expect(tokens.find((t) => t.id === ids.rsaToken)?.pin).toMatchObject({ retriesLeft: rsa.maxRetries - 1, countLow: true });
      expect(tokens.find((t) => t.id === ids.sm2Token)?.pin).toMatchObject({ retriesLeft: sm2.maxRetries, countLow: false });
    });
  });

  describe('sign.hash (sha256) on the RSA container', () => {
    let cms = Buffer.alloc(0);
    it('signs after the right PIN (the counter resets) with sha256WithRSAEncryption', async () => {
      ui.answerPins({ pin: rsa.userPin, reuse: true }); // ticked: later tests use this login
      const reply = await signHash(ids.rsaSign);
      expect(reply.error).toBeUndefined();
      expect(reply.result).toMatchObject({ format: 'cms', signatureAlgorithm: 'sha256WithRSAEncryption', certificate: rsa.signCertDer.toString('base64') });
      cms = Buffer.from(String(reply.result?.signature), 'base64');
      expect((await readFile(rsa.retriesFile, 'utf8')).trim()).toBe(`${rsa.maxRetries} ${rsa.maxRetries}`);
    });

    it('openssl cms -verify accepts it over the content whose sha256 was signed, trusting the RSA root', async () => {
      expect(await cmsVerifies(cms, content, rsa.files.root)).toBe(true);
    });

    it('openssl refuses it over changed content, a CMS of a changed hash over the content, and under the SM2 root', async () => {
      expect(await cmsVerifies(cms, Buffer.concat([content, Buffer.from('!')]), rsa.files.root)).toBe(false);
      const changed = createHash('sha256').update(content).update('!').digest();
      const other = await signHash(ids.rsaSign, { hash: changed.toString('base64') });
      expect(await cmsVerifies(Buffer.from(String(other.result?.signature), 'base64'), content, rsa.files.root)).toBe(false);
      expect(await cmsVerifies(cms, content, sm2.files.root)).toBe(false);
    });

    it('verifyCms agrees: valid, chain trusted, RSA signer', async () => {
      const result = await verifyCms({ signature: cms, hash, hashAlgorithm: 'sha256', trustAnchors: [rsa.rootDer], intermediates: [] });
      expect(result.problems).toEqual([]);
      expect(result).toMatchObject({ valid: true, chainTrusted: true, signer: { keyAlgorithm: 'RSA' } });
    });

    it('raw format gives a PKCS#1 v1.5 signature openssl dgst verifies', async () => {
      const reply = await signHash(ids.rsaSign, { format: 'raw' });
      const signature = Buffer.from(String(reply.result?.signature), 'base64');
      expect(signature).toHaveLength(256);
      const pub = rsaPublicKey.export({ type: 'spki', format: 'pem' });
      expect(await opensslOk({ 'pub.pem': pub, 'sig.bin': signature, 'content.bin': content }, ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'content.bin'])).toBe(true);
    });
  });

  describe('algorithm checks', () => {
    it('SM3 and the GM/T 0010 profile on the RSA certificate are refused (UNSUPPORTED_ALGORITHM), no PIN asked', async () => {
      const start = ui.pinRequests.length;
      const sm3 = await signHash(ids.rsaSign, { hash: createHash('sm3').update(content).digest('base64'), hashAlgorithm: 'sm3' });
      expect(reasonOf(sm3)).toBe('UNSUPPORTED_ALGORITHM');
      expect(sm3.error).toMatchObject({ code: -32016, message: '不支持该算法' });
      expect(reasonOf(await signHash(ids.rsaSign, { profile: 'gmt0010' }))).toBe('UNSUPPORTED_ALGORITHM');
      expect(ui.pinRequests.length).toBe(start);
    });

    it('the device pads and signs the given DigestInfo; up to modulus − 11 bytes, more are SAR_INDATALENERR', async () => {
      const given = Buffer.alloc(245, 0x5a);
      expect(recover(await core.tokens.sign(ids.rsaSign, 'RSA_PKCS', given)).equals(given)).toBe(true);
      expect(recover(await core.tokens.sign(ids.rsaSign, 'RSA_PKCS', digestInfo(hash))).equals(digestInfo(hash))).toBe(true);
      const error = await errorOf(core.tokens.sign(ids.rsaSign, 'RSA_PKCS', Buffer.alloc(246, 0x5a)));
      expect(error).toMatchObject({ reason: 'MODULE_FAILED', details: { ckr: 'SAR_INDATALENERR' } });
    });

    it('SM2 signing on the RSA container is the device\'s to refuse (SAR_KEYNOTFOUNTERR → KEY_NOT_FOUND)', async () => {
      const error = await errorOf(core.tokens.sign(ids.rsaSign, 'SM2_SM3', Buffer.alloc(32, 1)));
      expect(error).toMatchObject({ reason: 'KEY_NOT_FOUND', details: { ckr: 'SAR_KEYNOTFOUNTERR' } });
    });
  });

  describe('the SM2 device alongside', () => {
    it('still signs an SM3 CMS over the API, which verifyCms and openssl (signed attributes) accept', async () => {
      ui.answerPins({ pin: sm2.userPin, reuse: true });
      const sm3 = createHash('sm3').update(content).digest();
      const reply = await signHash(ids.sm2Sign, { hash: sm3.toString('base64'), hashAlgorithm: 'sm3' });
      expect(reply.result?.signatureAlgorithm).toBe('SM2-with-SM3');
      const signature = Buffer.from(String(reply.result?.signature), 'base64');
      expect(await verifyCms({ signature, hash: sm3, hashAlgorithm: 'sm3', trustAnchors: [sm2.rootDer], intermediates: [] })).toMatchObject({ valid: true, chainTrusted: true });
      const signer = parseSignedData(signature).signers[0];
      expect(await opensslSm2Verify(sm2.signCertPem, signer?.signedAttrsDer ?? Buffer.alloc(0), signer?.signature ?? Buffer.alloc(0))).toBe(true);
    });

    it('verify.cms over the API accepts the SM2 CMS with its SM2 chain, and names a changed hash', async () => {
      const sm3 = createHash('sm3').update(content).digest();
      const signed = await signHash(ids.sm2Sign, { hash: sm3.toString('base64'), hashAlgorithm: 'sm3', profile: 'gmt0010' });
      const signature = String(signed.result?.signature);
      const ok = await client.call('verify.cms', { signature, hash: sm3.toString('base64'), hashAlgorithm: 'sm3' });
      expect(ok.result).toMatchObject({ valid: true, chainTrusted: true, problems: [], signer: { der: sm2.signCertDer.toString('base64') } });
      const changed = Buffer.from(sm3);
      changed[0] = (changed[0] ?? 0) ^ 1;
      const bad = await client.call('verify.cms', { signature, hash: changed.toString('base64'), hashAlgorithm: 'sm3' });
      expect(bad.result).toMatchObject({ valid: false });
      expect((bad.result as { problems: { code: string }[] }).problems.map((p) => p.code)).toContain('DIGEST_MISMATCH');
    });

    it('auth.challenge hashes the payload with SM3 on the SM2 certificate, SHA-256 on the RSA one', async () => {
      for (const [certId, hashAlgorithm, root] of [[ids.sm2Sign, 'sm3', sm2.rootDer], [ids.rsaSign, 'sha256', rsa.rootDer]] as const) {
        const reply = await client.call('auth.challenge', { certId, nonce: Buffer.alloc(16, 7).toString('base64') });
        const result = reply.result as { payload: string; signature: string; hashAlgorithm: string };
        expect(result.hashAlgorithm).toBe(hashAlgorithm);
        expect(JSON.parse(result.payload)).toMatchObject({ type: 'ca-assistant/auth', origin: MALL });
        const payloadHash = createHash(hashAlgorithm).update(result.payload, 'utf8').digest();
        const signature = Buffer.from(result.signature, 'base64');
        expect(await verifyCms({ signature, hash: payloadHash, hashAlgorithm, trustAnchors: [root], intermediates: [] })).toMatchObject({ valid: true, chainTrusted: true });
      }
    });

    it('RSA signing on the SM2 container is the device\'s to refuse (KEY_NOT_FOUND)', async () => {
      const error = await errorOf(core.tokens.sign(ids.sm2Sign, 'RSA_PKCS', digestInfo(hash)));
      expect(error).toMatchObject({ reason: 'KEY_NOT_FOUND', details: { ckr: 'SAR_KEYNOTFOUNTERR' } });
    });
  });

  describe('a container whose sign.key is garbage', () => {
    it('signing with it fails KEY_NOT_FOUND; the host lives on and the good RSA certificate still signs', async () => {
      const pid = core.tokens.hostOf(ids.rsaToken).pid;
      expect(pid).toBeDefined();
      const reply = await signHash(ids.broken);
      expect(reasonOf(reply)).toBe('KEY_NOT_FOUND');
      expect(reply.error?.message).toBe('证书对应的私钥不在 CA 锁中');
      // Support staff see the device's own code on the wire, as with PKCS#11's CKR_ names.
      expect((reply.error?.data as { ckr?: string } | undefined)?.ckr).toBe('SAR_KEYNOTFOUNTERR');
      const error = await errorOf(core.tokens.sign(ids.broken, 'RSA_PKCS', digestInfo(hash)));
      expect(error).toMatchObject({ reason: 'KEY_NOT_FOUND', details: { ckr: 'SAR_KEYNOTFOUNTERR' } });
      expect(core.tokens.hostOf(ids.rsaToken).pid).toBe(pid);
      expect(core.tokens.tokens().find((t) => t.id === ids.rsaToken)).toMatchObject({ loggedIn: true });
      const again = await signHash(ids.rsaSign);
      expect(await cmsVerifies(Buffer.from(String(again.result?.signature), 'base64'), content, rsa.files.root)).toBe(true);
      expect(core.tokens.modules()).toEqual([expect.objectContaining({ path: sm2.moduleSpec, loaded: true })]);
    });
  });
});

describe('skf-soft SKF_RSASignData, called directly (GM/T 0016 contract)', () => {
  const skf = loadSkfLibrary(SKF_SOFT_MODULE);
  const rsaSign = skf.SKF_RSASignData;
  const handles: { dev: SkfHandle; app: SkfHandle } = { dev: null, app: null };
  const open = (container: string): SkfHandle => {
    const con: [SkfHandle] = [null];
    expect(skf.SKF_OpenContainer(handles.app, cName(Buffer.from(container)), con)).toBe(SAR.OK);
    return con[0];
  };

  beforeAll(() => {
    process.env.SKF_SOFT_DIR = rsa.skfDir;
    const dev: [SkfHandle] = [null];
    const app: [SkfHandle] = [null];
    expect(skf.SKF_ConnectDev(cName(Buffer.from(rsa.device)), dev)).toBe(SAR.OK);
    expect(skf.SKF_OpenApplication(dev[0], cName(Buffer.from(rsa.application)), app)).toBe(SAR.OK);
    Object.assign(handles, { dev: dev[0], app: app[0] });
    expect(skf.SKF_VerifyPIN(handles.app, USER_TYPE, cName(Buffer.from(rsa.userPin)), [0])).toBe(SAR.OK);
  });
  afterAll(() => {
    skf.SKF_CloseApplication(handles.app);
    skf.SKF_DisConnectDev(handles.dev);
  });

  it('is exported, and the container types are RSA (1) and, for the unreadable key, SAR_FILEERR', () => {
    expect(rsaSign).toBeDefined();
    const type: [number] = [0];
    const con = open(rsa.container);
    expect(skf.SKF_GetContainerType(con, type)).toBe(SAR.OK);
    expect(type[0]).toBe(1);
    const broken = open('broken-rsa');
    expect(skf.SKF_GetContainerType(broken, type)).toBe(SAR.FILEERR);
    skf.SKF_CloseContainer(broken);
    skf.SKF_CloseContainer(con);
  });

  it('answers a size query, refuses a short buffer with the length needed, and signs into a full one', () => {
    const con = open(rsa.container);
    const data = digestInfo(hash);
    const size: [number] = [0];
    expect(rsaSign?.(con, data, data.length, null, size)).toBe(SAR.OK);
    expect(size[0]).toBe(256);
    size[0] = 255;
    expect(rsaSign?.(con, data, data.length, Buffer.alloc(255), size)).toBe(SAR.BUFFER_TOO_SMALL);
    expect(size[0]).toBe(256);
    const out = Buffer.alloc(300);
    size[0] = out.length;
    expect(rsaSign?.(con, data, data.length, out, size)).toBe(SAR.OK);
    expect(size[0]).toBe(256);
    expect(recover(out.subarray(0, 256)).equals(data)).toBe(true);
    expect(skf.SKF_ECCSignData(con, Buffer.alloc(32, 1), 32, Buffer.alloc(128))).toBe(SAR.KEYNOTFOUNTERR);
    skf.SKF_CloseContainer(con);
  });
});
