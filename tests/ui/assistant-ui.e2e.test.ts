/**
 * The assistant's pages in real Chromium, served by the headless UI: 环境检测,
 * the PIN dialog for a mall page signing through the SDK, consent, 授权网站.
 * Screenshots go to artifacts/ui/.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useFixtures } from '../helpers/fixtures.js';
import { CHROMIUM, startUiHarness, type UiHarness } from './ui-harness.js';

// Real Chromium and SoftHSM logins on a shared 2-core machine: give each step room.
vi.setConfig({ testTimeout: 90_000 });

const run = promisify(execFile);
const fx = await useFixtures();
const ART = resolve(import.meta.dirname, '../../artifacts/ui');
const WRONG_PIN = '13572468';
const token = (key: string) => fx.tokens.find((t) => t.key === key)!;
const orgCn = (key: string) => token(key).certs.find((c) => c.role === 'organization' && c.hasPrivateKey)?.subjectCN ?? token(key).certs[0]!.subjectCN;
const DATA = Buffer.from('采购合同 No.2026-001 全文（测试数据）');
const HASH = createHash('sha256').update(DATA).digest('base64');

let h: UiHarness;
let browser: Browser;
let assistant: Page;
let mall: Page;
let stranger: Page;

beforeAll(async () => {
  await mkdir(ART, { recursive: true });
  h = await startUiHarness(fx);
  browser = await chromium.launch(CHROMIUM);
  // The clerk's PC is in China: times on the screens are local (北京时间).
  assistant = await (await browser.newContext({ viewport: { width: 1000, height: 760 }, timezoneId: 'Asia/Shanghai' })).newPage();
  await assistant.goto(h.headless.url);
  await assistant.waitForSelector('body[data-ready]');
  mall = await (await browser.newContext()).newPage();
  await mall.goto(h.trustedMall);
  await mall.waitForFunction(() => document.title === 'ready');
  stranger = await (await browser.newContext()).newPage();
  await stranger.goto(h.untrustedMall);
  await stranger.waitForFunction(() => document.title === 'ready');
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

type Outcome = { signature?: string; reason?: string; count?: number };

/** From a mall page: connect with the SDK, find the certificate by CN, sign HASH (or only list certificates). */
function fromPage(page: Page, action: { sign?: string; token?: string; doc?: string }): Promise<Outcome> {
  return page.evaluate(
    async ({ url, sign, token, doc, hash }) => {
      const sdk = (window as unknown as { sdk: any }).sdk; // eslint-disable-line @typescript-eslint/no-explicit-any -- the bundle's module object, typed in the page only
      const client = await sdk.connect({ url });
      try {
        const certs = await client.listCerts();
        if (!sign) return { count: certs.length };
        const tokens = await client.listTokens();
        const tokenId = tokens.find((t: { label: string }) => t.label === token)?.id;
        const cert = certs.find((c: { subject: string; tokenId: string }) => c.subject.includes(`CN=${sign}`) && c.tokenId === tokenId);
        const r = await client.signHash({ certId: cert.id, hash, hashAlgorithm: 'sha256', format: 'cms', ...(doc ? { document: { name: doc } } : {}) });
        return { signature: r.signature as string };
      } catch (e) {
        return { reason: (e as { reason?: string }).reason ?? String(e) };
      } finally {
        client.close?.();
      }
    },
    { url: `ws://127.0.0.1:${h.api.port}/`, sign: action.sign, token: action.token, doc: action.doc, hash: HASH },
  );
}

const pinDialog = () => assistant.locator('dialog.pin[open]');
const shot = (name: string) => assistant.screenshot({ path: join(ART, `${name}.png`) });
async function typePin(pin: string): Promise<void> {
  const input = assistant.locator('dialog.pin[open] #pin-input:not([disabled])');
  await input.waitFor();
  await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
  await input.fill(pin);
  await input.press('Enter');
}

describe('main window', () => {
  it('shows the status header and the tabs', async () => {
    const header = await assistant.locator('#status').innerText();
    expect(header).toContain('已插入 6 个');
    expect(header).toContain('未登录');
    expect(header).toContain(`运行中（端口 ${h.api.port}）`);
    expect(await assistant.locator('#tabs').innerText()).toMatch(/环境检测[\s\S]*证书[\s\S]*授权网站[\s\S]*设置[\s\S]*诊断/);
    await shot('main-window');
  });

  it('lists certificates with days left, key usage, chain and the seal image', async () => {
    await assistant.click('#tab-certs');
    const card = assistant.locator(`article.cert[data-token-label="${token('supplier').label}"]`, { hasText: orgCn('supplier') }).filter({ has: assistant.locator('.seal img') });
    await card.waitFor();
    const text = await card.innerText();
    expect(text).toMatch(/还剩 \d+ 天/);
    expect(text).toContain('数字签名');
    expect(text).toContain('可信');
    expect(text).toContain('北京时间');
    expect(text).not.toMatch(/UTC/);
    expect(await card.locator('.seal img').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await assistant.locator('article.cert', { hasText: '已过期' }).count()).toBeGreaterThan(0);
    // One chain verdict for the window and the CLI: the chain is trusted, the certificate expired.
    expect(await assistant.locator('article.cert', { hasText: '已过期' }).first().innerText()).toContain('链可信，证书已过期');
    await assistant.screenshot({ path: join(ART, 'certificates.png'), fullPage: true });
    const scaled = await browser.newContext({ viewport: { width: 900, height: 700 }, deviceScaleFactor: 1.5 });
    const page = await scaled.newPage();
    await page.goto(h.headless.newEntryUrl()); // entry codes work once: a second window needs its own
    await page.waitForSelector('body[data-ready]');
    await page.screenshot({ path: join(ART, 'main-window-150.png') });
    await scaled.close();
  });
});

describe('PIN dialog for a trusted mall page', () => {
  it('asks the PIN in the assistant, keeps the dialog after a wrong PIN, and returns a CMS openssl accepts', async () => {
    const pending = fromPage(mall, { sign: orgCn('supplier'), token: token('supplier').label, doc: '采购合同-2026-001.pdf' });
    await pinDialog().waitFor();
    const text = await pinDialog().innerText();
    expect(text).toContain(new URL(h.trustedMall).host);
    expect(text).toContain('网站声明的文件名');
    expect(text).toContain('采购合同-2026-001.pdf');
    expect(text).toContain(orgCn('supplier'));
    await shot('pin-dialog');
    await typePin(WRONG_PIN);
    await assistant.locator('dialog.pin[open] .pin-error', { hasText: 'PIN 码错误' }).waitFor();
    await shot('pin-dialog-wrong-pin');
    await typePin(token('supplier').userPin);
    const outcome = await pending;
    expect(outcome.reason).toBeUndefined();
    await assistant.locator('.toast', { hasText: '采购合同-2026-001.pdf' }).waitFor();
    const dir = join(h.dataDir, '..');
    await writeFile(join(dir, 'sig.der'), Buffer.from(outcome.signature!, 'base64'));
    await writeFile(join(dir, 'data.bin'), DATA);
    const verified = await run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'data.bin'), '-CAfile', fx.rootCa, '-purpose', 'any', '-out', '/dev/null']);
    expect(verified.stderr).toContain('Verification successful');
  });

  it('asks again for the next seal (the tick is off by default); ticked, the seal after that needs no dialog', async () => {
    const signer = { sign: orgCn('supplier'), token: token('supplier').label };
    const again = fromPage(mall, { ...signer, doc: '采购合同-2026-002.pdf' });
    await pinDialog().waitFor();
    const tick = pinDialog().locator('#pin-reuse');
    expect(await tick.isChecked()).toBe(false);
    expect(await pinDialog().innerText()).toContain('本次会话 10 分钟内不再询问');
    const input = pinDialog().locator('#pin-input:not([disabled])');
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
    await input.fill(token('supplier').userPin);
    await tick.check();
    await shot('pin-dialog-reuse');
    await input.press('Enter');
    expect((await again).reason).toBeUndefined();
    const asked = h.headless.ui.pending().length;
    const silent = await fromPage(mall, { ...signer, doc: '采购合同-2026-003.pdf' });
    expect(silent.reason).toBeUndefined();
    expect(h.headless.ui.pending().length).toBe(asked);
    expect(await pinDialog().count()).toBe(0);
    await h.api.policy.logout(h.core.tokens.tokens().find((t) => t.label === token('supplier').label)!.id);
  });

  it('Esc gives the page USER_CANCELLED', async () => {
    const pending = fromPage(mall, { sign: orgCn('purchaser'), token: token('purchaser').label });
    await pinDialog().waitFor();
    await assistant.locator('#pin-input').press('Escape');
    expect((await pending).reason).toBe('USER_CANCELLED');
    await expect.poll(() => pinDialog().count()).toBe(0);
  });

  it('warns on the final try and shows PIN 已锁定 after one more wrong PIN', async () => {
    const pending = fromPage(mall, { sign: token('finaltry').certs[0]!.subjectCN, token: token('finaltry').label });
    await pinDialog().waitFor();
    expect(await pinDialog().locator('.alert.final').innerText()).toContain('最后一次机会');
    await shot('pin-dialog-final-try');
    await typePin(WRONG_PIN);
    expect((await pending).reason).toBe('PIN_LOCKED');
    await assistant.locator('dialog.pin[open] .alert.danger', { hasText: 'PIN 已锁定' }).waitFor();
    expect(await pinDialog().locator('#pin-input').count()).toBe(0);
    await shot('pin-dialog-locked');
    await assistant.keyboard.press('Escape');
    await expect.poll(() => pinDialog().count()).toBe(0);
  });
});

describe('consent for an untrusted origin', () => {
  const consent = () => assistant.locator('dialog.consent[open]');

  it('仅此一次 works once, then asks again', async () => {
    const first = fromPage(stranger, {});
    await consent().waitFor();
    await consent().getByRole('button', { name: '仅此一次' }).click();
    expect((await first).count).toBeGreaterThan(0);
    // Asked again (仅此一次 covered that one request); 拒绝 is left for the last test, since it refuses the site for the run.
    const second = fromPage(stranger, {});
    await consent().waitFor();
    await consent().getByRole('button', { name: '仅此一次', exact: true }).click();
    expect((await second).count).toBeGreaterThan(0);
  });

  it('始终允许 is persisted, listed under 授权网站 and revocable', async () => {
    const pending = fromPage(stranger, {});
    await consent().waitFor();
    await consent().getByRole('button', { name: '始终允许' }).click();
    expect((await pending).count).toBeGreaterThan(0);
    expect(await readFile(join(h.dataDir, 'consents.json'), 'utf8')).toContain(h.untrustedMall);
    expect((await fromPage(stranger, {})).count).toBeGreaterThan(0);
    await assistant.click('#tab-origins');
    await assistant.locator('#allowed-origins', { hasText: h.untrustedMall }).waitFor();
    expect(await assistant.locator('#trusted-origins').innerText()).toContain(h.trustedMall);
    expect(await assistant.locator('#trusted-origins button').count()).toBe(0);
    await assistant.screenshot({ path: join(ART, 'origins.png') });
    await assistant.locator(`button[data-origin="${h.untrustedMall}"]`).click();
    await assistant.locator('#allowed-none').waitFor();
    expect(await readFile(join(h.dataDir, 'consents.json'), 'utf8')).not.toContain(h.untrustedMall);
    const again = fromPage(stranger, {});
    await consent().waitFor();
    expect(await consent().innerText()).toContain(h.untrustedMall);
    expect(await assistant.evaluate(() => document.activeElement?.textContent)).toBe('拒绝');
    await shot('consent-dialog');
    await assistant.keyboard.press('Enter');
    expect((await again).reason).toBe('USER_DENIED');
  });

  it('after 拒绝 the site is refused for the run without another dialog (last: it ends the site’s consent)', async () => {
    const later = await fromPage(stranger, {});
    expect(later.reason).toBe('USER_DENIED');
    expect(await consent().count()).toBe(0);
  });
});

describe('环境检测 in the main window', () => {
  const pins = new Map(fx.tokens.map((t) => [t.label, t.userPin]));

  /**
   * Runs the check, answering each PIN dialog; `wrongFor` gets a wrong PIN, and
   * when the dialog asks again (saying the PIN was wrong) the clerk skips that key.
   */
  async function runCheck(wrongFor?: string): Promise<string[]> {
    const seen: string[] = [];
    await assistant.click('#run-check');
    for (;;) {
      await assistant.waitForFunction(() => document.querySelector('dialog.pin[open] #pin-input:not([disabled])') || (document.querySelector('#check-summary') && !document.querySelector('#run-check[disabled]')), null, { timeout: 60_000 });
      if ((await assistant.locator('#check-summary').count()) > 0) return seen;
      const label = (await pinDialog().locator('.facts dd').first().innerText()).split('（')[0]!.trim();
      expect(await pinDialog().locator('.asker').innerText()).toBe('互认助手');
      // The progress line names the key whose dialog is open.
      expect(await assistant.locator('.progress span').innerText()).toContain(`「${label}」PIN 验证`);
      if (label === wrongFor && seen.includes(label)) {
        // Asked again in the same dialog, with the tries left as the key reports them.
        expect(await pinDialog().locator('.pin-error').innerText()).toContain('PIN 码错误');
        await shot('check-pin-dialog-again');
        await pinDialog().getByRole('button', { name: '跳过此 CA 锁' }).click();
        continue;
      }
      seen.push(label);
      if (label === wrongFor) {
        expect(await pinDialog().innerText()).not.toContain('PIN 码错误');
        await shot('check-pin-dialog');
      }
      await typePin(label === wrongFor ? WRONG_PIN : pins.get(label)!);
    }
  }

  it('names the certificate the mall used in the header, and offers the keys to check in that order', async () => {
    await assistant.reload();
    await assistant.waitForSelector('body[data-ready]');
    // The mall signed with the supplier's 单位证书 above: that is the one in use.
    const cert = await assistant.locator('#st-cert').innerText();
    expect(cert).toContain(orgCn('supplier'));
    expect(cert).toMatch(/共 \d+ 张/);
    const pick = assistant.locator('#check-pick');
    expect(await pick.locator('input[type=checkbox]').count()).toBe(6);
    expect((await pick.locator('label').first().innerText())).toContain('供应商');
    const locked = pick.locator('label', { hasText: token('locked').serial }).locator('input');
    expect(await locked.isDisabled()).toBe(true);
    expect(await locked.isChecked()).toBe(false);
    await assistant.screenshot({ path: join(ART, 'check-pick.png') });
  });

  it('asks each PIN in the dialog, shows every result with remedies, and the new retry state after a wrong PIN', async () => {
    await h.api.policy.logoutAll();
    await assistant.click('#tab-check');
    const seen = await runCheck('采购人');
    // The key the mall used first.
    expect(seen[0]).toBe('供应商');
    expect(seen).toContain('采购人');
    expect(seen).not.toContain('已锁定');
    const results = assistant.locator('#check-results li.result');
    expect(await results.count()).toBeGreaterThan(10);
    const wrong = assistant.locator('#check-results li.fail', { hasText: '「采购人」PIN 验证' });
    expect(await wrong.innerText()).toContain('PIN 码错误');
    expect(await wrong.locator('.remedy').innerText()).toContain('处理方法');
    expect(await assistant.locator('#check-results li', { hasText: '「供应商」PIN 验证' }).textContent()).toContain('PIN 正确');
    expect(await assistant.locator('#check-results li.result').first().getAttribute('class')).toContain('fail');
    expect(await assistant.locator('#status').innerText()).toContain('已登录');
    await assistant.screenshot({ path: join(ART, 'check-results.png'), fullPage: true });

    await assistant.click('#run-check');
    // 供应商 is logged in now; the next dialog is 采购人's, telling how many tries are left where the key says.
    await assistant.waitForSelector('dialog.pin[open] #pin-input:not([disabled])');
    const text = await pinDialog().innerText();
    expect(text).toContain('采购人');
    await typePin(pins.get('采购人')!);
    for (;;) {
      await assistant.waitForFunction(() => document.querySelector('dialog.pin[open] #pin-input:not([disabled])') || (document.querySelector('#check-summary') && !document.querySelector('#run-check[disabled]')), null, { timeout: 60_000 });
      if ((await assistant.locator('#check-summary').count()) > 0) break;
      const label = (await pinDialog().locator('.facts dd').first().innerText()).split('（')[0]!.trim();
      await typePin(pins.get(label)!);
    }
    expect(await assistant.locator('#check-results li', { hasText: '「采购人」PIN 验证' }).textContent()).toContain('PIN 正确');
  });
});

describe('设置 and 诊断', () => {
  it('exports the support report under the data directory and shows the path', async () => {
    await assistant.click('#tab-diag');
    await assistant.click('#export-report');
    const path = await assistant.locator('#diag-result code.path').innerText();
    expect(path.startsWith(join(h.dataDir, 'reports'))).toBe(true);
    expect(await readFile(join(path, 'report.html'), 'utf8')).toContain('互认助手诊断报告');
    expect(await assistant.locator('#diag-result').innerText()).toContain('report.html');
  });

  it('saves settings into the config file and switches the language at once', async () => {
    await assistant.click('#tab-settings');
    await assistant.locator('#set-cache').fill('15');
    await assistant.getByRole('button', { name: '保存设置' }).click();
    await assistant.locator('.note', { hasText: '设置已保存' }).waitFor();
    expect(JSON.parse(await readFile(h.configFile, 'utf8')).pinReuseMinutes).toBe(15);
    await assistant.locator('#set-lang').selectOption('en');
    await assistant.locator('#tab-settings', { hasText: 'Settings' }).waitFor();
    expect(await assistant.locator('#status').innerText()).toContain('Local service');
    // The form shows what the next start will use.
    expect(await assistant.locator('#set-cache').inputValue()).toBe('15');
    await assistant.screenshot({ path: join(ART, 'settings-en.png') });
    expect(JSON.parse(await readFile(h.configFile, 'utf8')).language).toBe('en');
    await assistant.locator('#set-lang').selectOption('zh-CN');
    await assistant.locator('#tab-settings', { hasText: '设置' }).waitFor();
  });

  it('never writes a PIN into the data directory (logs, audit, consents, reports)', async () => {
    const files = (await readdir(h.dataDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) {
      const text = await readFile(file, 'latin1');
      for (const pin of [WRONG_PIN, ...fx.tokens.map((t) => t.userPin)]) expect(text.includes(pin), `${file} holds ${pin}`).toBe(false);
    }
  });
});
