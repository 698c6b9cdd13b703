/**
 * A page written against the incumbent CA clients' wire protocol (tests/mall/xtx/page.html, our own code),
 * in real Chromium, against the assistant's compatibility endpoint: list users → export → cert info →
 * login (PIN answered in the assistant's dialog, scripted) → SOF_SignData and detached SOF_SignMessage
 * over Chinese text → verify. RSA and P-256 results are checked with openssl, SM2 with sm-crypto-v2.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { sm2 } from 'sm-crypto-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src-agent/api/server.js';
import { parseConfig } from '../../src-agent/config.js';
import { startCore, type AgentCore } from '../../src-agent/service/agent-core.js';
import { ScriptedUi } from '../../src-agent/ui/scripted-ui.js';
import { SM2_ID } from '../fixtures/sm2-fixtures.js';
import { addToken, fixtureEnv, useFixtures } from '../helpers/fixtures.js';
import { useSm2Fixtures } from '../helpers/sm2.js';

const fx = await useFixtures();
const gm = await useSm2Fixtures();
const work = mkdtempSync(join(tmpdir(), 'ca-xtx-e2e-'));
const TEXT = '政府采购合同：甲方 郑州市第一中学，乙方 河南示例科技有限公司，合同金额人民币壹拾贰万捌仟元整（¥128,000.00）';
const PAGE = readFileSync(join(import.meta.dirname, 'xtx', 'page.html'), 'utf8');

async function servePage(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

function allText(dir: string): string {
  return readdirSync(dir).map((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? allText(p) : readFileSync(p, 'utf8');
  }).join('\n');
}

interface FlowResult {
  version: string;
  users: { name: string; certId: string }[];
  results: { name: string; certId: string; cert: string; cn: string; login: string; signature: string; p7: string; verifiedRaw: string; verifiedP7: string }[];
}

describe('a page coded for the incumbent clients, in Chromium, against /xtxapp/', () => {
  let core: AgentCore;
  let server: RunningServer;
  let browser: Browser;
  let page: { server: Server; origin: string };
  let other: { server: Server; origin: string };
  const ui = new ScriptedUi();
  const dataDir = mkdtempSync(join(tmpdir(), 'ca-xtx-e2e-data-'));
  let flow: FlowResult;

  beforeAll(async () => {
    page = await servePage();
    other = await servePage();
    other.origin = other.origin.replace('127.0.0.1', 'localhost');
    const config = parseConfig(JSON.stringify({
      modules: [fx.pinGuardModule, gm.moduleSpec], onlyConfiguredModules: true, trustAnchors: [fx.rootCa, gm.files.root], intermediates: [fx.intermediateCa],
      trustedOrigins: [page.origin], dataDir,
    }));
    core = await startCore(config, { hostEnv: { ...fixtureEnv(fx), SKF_SOFT_DIR: gm.skfDir }, pollIntervalMs: 200 });
    server = await startServer({ core, ui, port: 0, compat: { port: 0 } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await core?.stop();
    page?.server.close();
    other?.server.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const wsUrl = (): string => `ws://127.0.0.1:${(server.compat as { port: number }).port}/xtxapp/`;
  const idOn = (label: string, cn: string): string => {
    const token = core.tokens.tokens().find((t) => t.label === label || t.serial === label);
    return flow.users.find((u) => u.name === cn && u.certId.startsWith(`${token?.id}.`))?.certId ?? '';
  };

  it('lists users, exports, reads, logs in through the assistant\'s dialog and signs RSA, P-256 and SM2', async () => {
    const tab = await browser.newPage({ locale: 'zh-CN' });
    await tab.goto(`${page.origin}/`);
    const supplier = fx.tokens.find((t) => t.key === 'supplier');
    const supplierId = core.tokens.tokens().find((t) => t.label === '供应商')?.id ?? '';
    const gmToken = core.tokens.tokens().find((t) => t.module === gm.moduleSpec);
    const certs = await core.certs.list();
    const wanted = [
      ...certs.filter((c) => c.token.tokenId === supplierId).map((c) => c.token.id),
      ...certs.filter((c) => c.token.tokenId === gmToken?.id).map((c) => c.token.id),
    ];
    // One PIN for the supplier's key (its two certificates share the login), one for the 国密 key, each
    // with “本次会话 N 分钟内不再询问” ticked: otherwise every signature asks again, as the manual says.
    ui.answerPins({ pin: supplier?.userPin ?? '', reuse: true }, { pin: gm.userPin, reuse: true });
    flow = (await tab.evaluate(([url, text, ids]) => (window as unknown as { runFlow: (u: string, t: string, w: string[]) => Promise<FlowResult> }).runFlow(url as string, text as string, ids as string[]), [wsUrl(), TEXT, wanted] as const)) as FlowResult;
    expect(flow.version).toContain('CA-Assistant/');
    expect(flow.results.map((r) => r.cn).sort()).toEqual(['张三', '河南示例科技有限公司', '郑州国密科技有限公司'].sort());
    for (const r of flow.results) {
      expect(r, r.cn).toMatchObject({ login: 'true', verifiedRaw: 'true', verifiedP7: 'true' });
      expect(r.signature, r.cn).not.toBe('');
    }
    expect(ui.pinRequests.map((p) => p.origin)).toEqual([page.origin, page.origin]);
    await tab.screenshot({ path: '/tmp/xtx-compat-page.png', fullPage: true });
    await tab.close();
  }, 90_000);

  it('openssl accepts the RSA and P-256 raw signatures and the detached PKCS#7', () => {
    writeFileSync(join(work, 'text.txt'), TEXT);
    writeFileSync(join(work, 'chain.pem'), readFileSync(fx.intermediateCa));
    for (const cn of ['河南示例科技有限公司', '张三']) {
      const r = flow.results.find((x) => x.cn === cn && x.certId === idOn('供应商', cn));
      expect(r, cn).toBeDefined();
      writeFileSync(join(work, 'pub.pem'), new X509Certificate(Buffer.from(r?.cert ?? '', 'base64')).publicKey.export({ type: 'spki', format: 'pem' }));
      writeFileSync(join(work, 'sig.bin'), Buffer.from(r?.signature ?? '', 'base64'));
      expect(execFileSync('openssl', ['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'text.txt'], { cwd: work, encoding: 'utf8' })).toContain('Verified OK');
      writeFileSync(join(work, 'p7.der'), Buffer.from(r?.p7 ?? '', 'base64'));
      execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'p7.der', '-content', 'text.txt', '-CAfile', fx.rootCa, '-certfile', 'chain.pem', '-purpose', 'any', '-out', '/dev/null'], { cwd: work, stdio: 'pipe' });
    }
  });

  it('sm-crypto-v2 verifies the SM2 raw signature (SM3 with Z over the text)', () => {
    const r = flow.results.find((x) => x.cn === '郑州国密科技有限公司');
    const spki = new X509Certificate(Buffer.from(r?.cert ?? '', 'base64')).publicKey.export({ type: 'spki', format: 'der' });
    const point = Buffer.from(spki).subarray(-65).toString('hex');
    const sigHex = Buffer.from(r?.signature ?? '', 'base64').toString('hex');
    expect(sm2.doVerifySignature(new TextEncoder().encode(TEXT), sigHex, point, { der: true, hash: true, userId: SM2_ID })).toBe(true);
    expect(sm2.doVerifySignature(new TextEncoder().encode(TEXT + '。'), sigHex, point, { der: true, hash: true, userId: SM2_ID })).toBe(false);
  });

  it('tells the page when a key is plugged in (onUsbkeyChange)', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${page.origin}/`);
    await tab.evaluate((url) => (window as unknown as { tryList: (u: string) => Promise<unknown> }).tryList(url), wsUrl());
    await addToken(fx, '新插入', '24682468');
    await expect.poll(() => tab.evaluate(() => (window as unknown as { usbChanges: () => number }).usbChanges()), { timeout: 15_000 }).toBeGreaterThan(0);
    await tab.close();
  }, 60_000);

  it('refuses an untrusted site the user denies: empty list, USER_DENIED\'s code, no PIN dialog', async () => {
    const pins = ui.pinRequests.length;
    ui.answerConsents('deny');
    const tab = await browser.newPage();
    await tab.goto(`${other.origin}/`);
    const answer = (await tab.evaluate((url) => (window as unknown as { tryList: (u: string) => Promise<{ list: string; lastError: string }> }).tryList(url), wsUrl())) as { list: string; lastError: string };
    expect(answer).toEqual({ list: '', lastError: String(0x0b00f002) });
    expect(ui.consentRequests.at(-1)).toEqual({ origin: other.origin, method: 'xtx.SOF_GetUserList' });
    expect(ui.pinRequests.length).toBe(pins);
    await tab.close();
  }, 60_000);

  it('never writes a PIN, the page\'s password or its URL field into the log or audit files', () => {
    const text = allText(dataDir);
    expect(text).toContain('xtx.SOF_SignMessage');
    for (const secret of [fx.tokens.find((t) => t.key === 'supplier')?.userPin ?? 'x', gm.userPin, '页面里输入的口令']) expect(text, secret).not.toContain(secret);
  });
});
