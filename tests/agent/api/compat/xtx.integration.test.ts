import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../../../src-agent/api/server.js';
import { runChecks } from '../../../../src-agent/check/index.js';
import { addToken, removeToken, useFixtures } from '../../../helpers/fixtures.js';
import { Client, makeConfig, MALL, OTHER, reasonOf, startHarness, type Harness } from '../harness.js';
import { CODES, XtxClient } from './xtx-client.js';

const fx = await useFixtures();
const work = mkdtempSync(join(tmpdir(), 'ca-xtx-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const supplier = fx.tokens.find((t) => t.key === 'supplier');
const TEXT = '政府采购合同（测试）：甲方 郑州市第一中学，乙方 河南示例科技有限公司，金额 ¥128,000.00';

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every file under the data dir (logs, audit, consents) as text. */
function dataText(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out.join('\n');
}

describe('compatibility endpoint /xtxapp/ (trusted mall)', () => {
  let h: Harness;
  let client: XtxClient;
  let users: { name: string; certId: string }[] = [];
  /** The certificate with this CN on the supplier's key (the expired key carries the same company name). */
  const certOf = (cn: string): string => {
    const tokenId = h.core.tokens.tokens().find((t) => t.label === '供应商')?.id;
    return users.find((u) => u.name === cn && u.certId.startsWith(`${tokenId}.`))?.certId ?? '';
  };

  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx), { compat: { port: 0 } });
    expect(h.server.compat.state).toBe('on');
    client = await XtxClient.open((h.server.compat as { port: number }).port, MALL);
  });
  afterAll(async () => {
    client?.close();
    await h?.stop();
  });

  it('answers SOF_GetVersion with a version the vendors\' scripts accept', async () => {
    const version = await client.call('SOF_GetVersion');
    expect(version >= '2.16').toBe(true);
    expect(version).toContain('CA-Assistant/');
  });

  it('lists users as name||certId&&&…, signing certificates with keys only', async () => {
    const list = await client.call('SOF_GetUserList');
    expect(list.endsWith('&&&')).toBe(true);
    users = list.split('&&&').filter(Boolean).map((u) => ({ name: u.split('||')[0] ?? '', certId: u.split('||')[1] ?? '' }));
    expect(users.map((u) => u.name)).toEqual(expect.arrayContaining(['河南示例科技有限公司', '张三']));
    expect(users.every((u) => /^[0-9a-f]{12}\.[0-9a-f]{16}$/.test(u.certId))).toBe(true);
  });

  it('exports the certificate and reads GM/T 0020 fields and the 统一社会信用代码 by OID', async () => {
    const b64 = await client.call('SOF_ExportUserCert', certOf('河南示例科技有限公司'));
    const x509 = new X509Certificate(Buffer.from(b64, 'base64'));
    expect(await client.call('SOF_GetCertInfo', b64, 0x31)).toBe('河南示例科技有限公司');
    expect(await client.call('SOF_GetCertInfo', b64, '49')).toBe('河南示例科技有限公司');
    expect(await client.call('SOF_GetCertInfo', b64, 0x02)).toBe(x509.serialNumber.toLowerCase().replace(/^0+/, ''));
    expect(await client.call('SOF_GetCertInfo', b64, 0x01)).toBe('V3');
    expect(await client.call('SOF_GetCertInfo', b64, 0x21)).toBe(/CN=([^\n]+)/.exec(x509.issuer)?.[1]);
    const notAfter = await client.call('SOF_GetCertInfo', b64, 0x36);
    expect(notAfter).toMatch(/^\d{14}$/);
    expect(Number(notAfter.slice(0, 4))).toBe(new Date(x509.validTo).getFullYear());
    expect(await client.call('SOF_GetCertInfoByOid', b64, '2.5.4.5')).toBe(supplier?.certs.length ? /serialNumber=([0-9A-Z]{18})/.exec(x509.subject)?.[1] : '');
    expect(await client.call('SOF_GetCertInfoByOid', b64, '1.2.156.10260.4.1.1')).toBe('');
    expect(Number(await client.call('SOF_GetLastError'))).toBe(CODES.CERT_NOT_FOUND);
  });

  it('SOF_Login ignores the page\'s password and asks the assistant\'s PIN dialog, naming the site', async () => {
    // The clerk ticks “本次会话 N 分钟内不再询问”: the signatures below reuse this login.
    h.ui.answerPins({ pin: supplier?.userPin ?? '', reuse: true });
    const ok = await client.call('SOF_Login', certOf('河南示例科技有限公司'), 'page-typed-password-000');
    expect(ok, `SOF_GetLastError ${Number(await client.call('SOF_GetLastError')).toString(16)}`).toBe('true');
    const asked = h.ui.pinRequests.at(-1);
    expect(asked?.origin).toBe(MALL);
    expect(await client.call('SOF_IsLogin', certOf('河南示例科技有限公司'))).toBe('true');
  });

  it('SOF_SignData over Chinese text: RSA PKCS#1 v1.5 and ECDSA P-256 that openssl dgst -verify accepts', async () => {
    writeFileSync(join(work, 'text.txt'), TEXT);
    for (const cn of ['河南示例科技有限公司', '张三']) {
      const sig = await client.call('SOF_SignData', certOf(cn), TEXT);
      expect(sig, cn).not.toBe('');
      writeFileSync(join(work, 'sig.bin'), Buffer.from(sig, 'base64'));
      const pem = new X509Certificate(Buffer.from(await client.call('SOF_ExportUserCert', certOf(cn)), 'base64')).publicKey.export({ type: 'spki', format: 'pem' });
      writeFileSync(join(work, 'pub.pem'), pem);
      expect(openssl(['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'text.txt'])).toContain('Verified OK');
      const b64cert = await client.call('SOF_ExportUserCert', certOf(cn));
      expect(await client.call('SOF_VerifySignedData', b64cert, TEXT, sig)).toBe('true');
      expect(await client.call('SOF_VerifySignedData', b64cert, TEXT + '改', sig)).toBe('false');
      expect(Number(await client.call('SOF_GetLastError'))).toBe(CODES.VERIFY);
    }
  });

  it('SOF_SignMessage detached and attached PKCS#7 that openssl cms -verify accepts; verify and read back', async () => {
    writeFileSync(join(work, 'chain.pem'), readFileSync(fx.intermediateCa));
    const id = certOf('河南示例科技有限公司');
    const detached = await client.call('SOF_SignMessage', 1, id, TEXT);
    writeFileSync(join(work, 'detached.p7s'), Buffer.from(detached, 'base64'));
    openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'detached.p7s', '-content', 'text.txt', '-CAfile', fx.rootCa, '-certfile', 'chain.pem', '-purpose', 'any', '-out', '/dev/null']);
    expect(await client.call('SOF_VerifySignedMessage', detached, TEXT)).toBe('true');
    expect(await client.call('SOF_VerifySignedMessage', detached, TEXT.replace('128', '129'))).toBe('false');
    const attached = await client.call('SOF_SignMessage', '0', id, TEXT);
    writeFileSync(join(work, 'attached.p7s'), Buffer.from(attached, 'base64'));
    openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'attached.p7s', '-CAfile', fx.rootCa, '-certfile', 'chain.pem', '-purpose', 'any', '-out', 'out.txt']);
    expect(readFileSync(join(work, 'out.txt'), 'utf8')).toBe(TEXT);
    expect(await client.call('SOF_VerifySignedMessage', attached, '')).toBe('true');
    expect(await client.call('SOF_GetInfoFromSignedMessage', attached, 1)).toBe(TEXT);
    expect(await client.call('SOF_GetInfoFromSignedMessage', detached, 2)).not.toBe('');
    expect(await client.call('SOF_SignMessage', 7, id, TEXT)).toBe('');
  });

  it('writes one audit record per signature, with the site as origin, and never the PIN, the password or the cookie in any file', async () => {
    const text = dataText(h.dataDir);
    expect(text).toContain('"method":"xtx.SOF_SignData"');
    expect(text).toContain(`"origin":"${MALL}"`);
    for (const secret of [supplier?.userPin ?? 'x', 'page-typed-password-000', 'page-cookie-secret', 'forged.example']) expect(text, secret).not.toContain(secret);
  });

  it('reads the seal picture (GetPic) and the PIN retries; logs out', async () => {
    const pic = Buffer.from(await client.call('GetPic', certOf('河南示例科技有限公司')), 'base64');
    expect(pic.subarray(1, 4).toString()).toBe('PNG');
    // pin-guard reports retries only once they run low (CKF_USER_PIN_FINAL_TRY): unknown is the failure answer.
    expect(await client.call('SOF_GetPinRetryCount', certOf('河南示例科技有限公司'))).toBe('-1');
    const finalTry = h.core.tokens.tokens().find((t) => t.label === '最后一次');
    const finalCert = users.find((u) => u.certId.startsWith(`${finalTry?.id}.`));
    expect(await client.call('SOF_GetPinRetryCount', finalCert?.certId)).toBe('1');
    expect((await client.call('SOF_GenRandom', 16)).length).toBe(24);
    expect(await client.call('SOF_Logout', certOf('河南示例科技有限公司'))).toBe('true');
    expect(await client.call('SOF_IsLogin', certOf('河南示例科技有限公司'))).toBe('false');
  });

  it('without the tick, SOF_Login proves the PIN and each signature asks again (the manual\'s rule)', async () => {
    const id = certOf('河南示例科技有限公司');
    const asked = h.ui.pinRequests.length;
    h.ui.answerPins(supplier?.userPin ?? '', supplier?.userPin ?? '');
    expect(await client.call('SOF_Login', id, '')).toBe('true');
    expect(await client.call('SOF_SignData', id, TEXT)).not.toBe('');
    expect(h.ui.pinRequests.length).toBe(asked + 2);
    h.ui.answerPins('cancel');
    expect(await client.call('SOF_SignData', id, TEXT)).toBe('');
    expect(Number(await client.call('SOF_GetLastError'))).toBe(CODES.CANCELLED);
  });

  it('pushes onUsbkeyChange when a key is plugged in and removed', async () => {
    const before = client.pushes.length;
    await addToken(fx, '新插入', '55555555');
    await expect.poll(() => client.pushes.length, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(client.pushes.at(-1)).toEqual({ call_cmd_id: 'onUsbkeyChange', retVal: '' });
    const after = client.pushes.length;
    await removeToken(fx, 'expired');
    await expect.poll(() => client.pushes.length, { timeout: 10_000 }).toBeGreaterThan(after);
  });

  describe('malformed input', () => {
    it('non-JSON: no answer, then SOF_GetLastError says input error; the connection stays usable', async () => {
      expect(await client.raw('{not json', null)).toBeNull();
      expect(Number(await client.call('SOF_GetLastError'))).toBe(CODES.INDATA);
      expect(await client.call('SOF_GetVersion')).not.toBe('');
    });

    it('unknown function names, including prototype keys: the failure answer and SOR_NotSupportYetErr', async () => {
      for (const name of ['SOF_NoSuchThing', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        expect(await client.call(name)).toBe('');
        expect(Number(await client.call('SOF_GetLastError')), name).toBe(CODES.NOT_SUPPORT_YET);
      }
    });

    it('wrong counts and types of param: the failure answer by return type, never a crash', async () => {
      const id = certOf('张三');
      const cases: [string, unknown[], string][] = [
        ['SOF_ExportUserCert', [], ''], ['SOF_ExportUserCert', [id, 0, 1], ''], ['SOF_ExportUserCert', [{ id }], ''],
        ['SOF_Login', [], 'false'], ['SOF_Login', [[id], 'x'], 'false'], ['SOF_GetCertInfo', ['AAAA', 'x'], ''],
        ['SOF_GetCertInfo', ['not base64 !', 49], ''], ['SOF_GetCertInfo', ['MIIB', 49], ''], ['SOF_GetPinRetryCount', [null], '-1'],
        ['SOF_SignData', [id], ''], ['SOF_SignData', [id, 12], ''], ['SOF_SignMessage', ['x', id, 'a'], ''], ['SOF_GenRandom', [0], ''],
        ['SOF_GenRandom', [1e9], ''], ['SOF_VerifySignedMessage', ['AAAA', 'x'], 'false'], ['SOF_GetCertInfoByOid', ['AAAA', 'not.an.oid'], ''],
        ['SOF_ExportUserCert', ['nope.0000000000000000'], ''],
      ];
      for (const [name, param, failure] of cases) {
        expect(await client.call(name, ...param), `${name} ${JSON.stringify(param)}`).toBe(failure);
        expect(Number(await client.call('SOF_GetLastError')), name).not.toBe(CODES.OK);
      }
    });

    it('frames of the wrong shape: answered with "" when they carry a call_cmd_id, ignored otherwise', async () => {
      expect(await client.raw(JSON.stringify({ xtx_func_name: 'SOF_GetVersion', call_cmd_id: 'x1', param: 'notarray' }), 'x1')).toEqual({ call_cmd_id: 'x1', retVal: '' });
      expect(await client.raw(JSON.stringify({ xtx_func_name: 42, call_cmd_id: 'x2' }), 'x2')).toEqual({ call_cmd_id: 'x2', retVal: '' });
      expect(await client.raw(JSON.stringify({ xtx_func_name: 'SOF_GetVersion', call_cmd_id: 'x3', param: Array(17).fill(1) }), 'x3')).toEqual({ call_cmd_id: 'x3', retVal: '' });
      expect(await client.raw(JSON.stringify([1, 2]), null)).toBeNull();
      expect(await client.raw('null', null)).toBeNull();
      expect(await client.raw(JSON.stringify({ xtx_func_name: 'SOF_GetVersion' }), null)).toBeNull();
      expect(await client.call('SOF_GetVersion')).not.toBe('');
    });

    it('a frame over 1 MiB closes that connection (1009) and no other', async () => {
      const big = await XtxClient.open((h.server.compat as { port: number }).port, MALL);
      big.ws.send(JSON.stringify({ xtx_func_name: 'SOF_SignData', call_cmd_id: 'big', param: [certOf('张三'), 'x'.repeat(1024 * 1024 + 10)] }));
      expect((await big.closed).code).toBe(1009);
      expect(await client.call('SOF_GetVersion')).not.toBe('');
    });
  });
});

describe('compatibility endpoint: who may call', () => {
  let h: Harness;
  let port = 0;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx), { compat: { port: 0 } });
    port = (h.server.compat as { port: number }).port;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('an untrusted site reaches nothing before consent; denied, it gets the failure answer and USER_DENIED\'s code', async () => {
    const other = await XtxClient.open(port, OTHER);
    h.ui.answerConsents('deny');
    expect(await other.call('SOF_GetUserList')).toBe('');
    expect(Number(await other.call('SOF_GetLastError'))).toBe(CODES.DENIED);
    expect(h.ui.consentRequests.at(-1)).toEqual({ origin: OTHER, method: 'xtx.SOF_GetUserList' });
    expect(h.ui.pinRequests).toHaveLength(0);
    expect(await other.call('SOF_GetVersion')).not.toBe('');
    other.close();
  });

  it('one consent gate for both endpoints: after 拒绝 here, protocol v1 refuses the site too, with no new dialog', async () => {
    const asked = h.ui.consentRequests.length;
    const page = await Client.open(h.server.port, OTHER);
    expect(reasonOf(await page.call('tokens.list', {}))).toBe('USER_DENIED');
    expect(h.ui.consentRequests.length).toBe(asked);
    page.close();
  });

  it('the Origin header decides, not the URL field: a refused origin is answered nothing but the public functions, without a dialog', async () => {
    const asked = h.ui.consentRequests.length;
    const refused = await XtxClient.open(port, 'null');
    expect(await refused.call('SOF_GetUserList')).toBe('');
    expect(Number(await refused.call('SOF_GetLastError'))).toBe(CODES.ORIGIN);
    expect(await refused.call('SOF_Login', 'x', 'y')).toBe('false');
    expect(h.ui.consentRequests.length).toBe(asked);
    refused.close();
  });

  it('refuses a missing Origin, a foreign path and a non-loopback Host at the handshake', async () => {
    await expect(XtxClient.open(port, undefined)).rejects.toThrow('HTTP 403');
    await expect(XtxClient.open(port, MALL, '/other/')).rejects.toThrow('HTTP 404');
  });

  it('环境检测 reports the endpoint as working when it answers as the assistant, and as not started when off', async () => {
    const on = await runChecks({ core: h.core, port: h.server.port, compat: () => h.server.compat });
    expect(on.checks.find((c) => c.id === 'service.xtx')).toMatchObject({ status: 'ok', data: { state: 'on', port } });
    const off = await runChecks({ core: h.core, port: h.server.port, compat: () => ({ state: 'off' }) });
    expect(off.checks.find((c) => c.id === 'service.xtx')?.status).toBe('skipped');
  });

  it('drops a connection that never completes its WebSocket upgrade', { timeout: 15_000 }, async () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const started = Date.now();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(Date.now() - started).toBeGreaterThan(3_000);
  });

  it('reports the port as taken (and the assistant still starts) when another program holds it', { timeout: 60_000 }, async () => {
    const held: Socket[] = [];
    const holder = createServer((socket) => held.push(socket.on('error', () => undefined)));
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const heldPort = (holder.address() as { port: number }).port;
    const server = await startServer({ core: h.core, ui: h.ui, port: 0, compat: { port: heldPort } });
    try {
      expect(server.compat).toEqual({ state: 'taken', port: heldPort });
      const report = await runChecks({ core: h.core, port: server.port, compat: () => server.compat });
      const taken = report.checks.find((c) => c.id === 'service.xtx');
      expect(taken).toMatchObject({ status: 'warn', data: { state: 'taken', port: heldPort } });
      expect(taken?.detailZh).toContain('其他 CA 厂商');
      expect(taken?.remedyZh).toContain('自启动');
    } finally {
      await server.close();
      for (const socket of held) socket.destroy();
      await new Promise<void>((r) => holder.close(() => r()));
    }
  });
});
