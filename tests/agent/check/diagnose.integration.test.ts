import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks, writeReport } from '../../../src-agent/check/index.js';
import type { CheckReport } from '../../../src-agent/protocol/types.js';
import type { AgentCore } from '../../../src-agent/service/agent-core.js';
import { fixtureEnv, useFixtures } from '../../helpers/fixtures.js';
import { pinsByLabel, startFixtureCore } from './setup.js';

// Screens and reports show the clerk's local time: judge them as on a Chinese PC.
process.env.TZ = 'Asia/Shanghai';
const fx = await useFixtures();
const pinOf = (key: string): string => fx.tokens.find((t) => t.key === key)?.userPin ?? '';
const WRONG_PIN = '13572468';
const ALL_PINS = [...fx.tokens.flatMap((t) => [t.userPin, t.soPin]), WRONG_PIN];
const REPO = resolve(import.meta.dirname, '../../..');

describe('writeReport', () => {
  let core: AgentCore;
  let paths: { json: string; html: string };
  let report: CheckReport;
  /** The personal certificates' ID numbers (DN serialNumber), as on the tokens. */
  let personalIds: string[];

  beforeAll(async () => {
    core = await startFixtureCore(fx, {}, true);
    personalIds = (await core.certs.list()).filter((e) => e.details.kind === 'personal').flatMap((e) => e.details.subjectAttributes.filter((a) => a.name === 'serialNumber').map((a) => a.value));
    const pins = pinsByLabel({ 供应商: pinOf('supplier'), 采购人: WRONG_PIN, 过期证书: pinOf('expired'), 无私钥: pinOf('nokey'), 最后一次: null });
    report = await runChecks({ core, port: 9, pin: pins.ask });
    paths = await writeReport(await mkdtemp(join(tmpdir(), 'ca-report-')), { core, report, trace: true });
  });
  afterAll(async () => {
    await core?.stop();
  });

  it('writes report.json with the checks, tokens, certificates, chain, modules and trace', async () => {
    const data = JSON.parse(await readFile(paths.json, 'utf8')) as {
      checks: CheckReport; tokens: { label: string; certificates: { subjectFields: { label: string; value: string }[]; chain: unknown[]; crlDistributionPoints: string[] }[] }[];
      modules: { slots?: { mechanisms: string[] }[] }[]; trace?: { fn: string }[];
    };
    expect(data.checks.checks).toHaveLength(report.checks.length);
    const supplier = data.tokens.find((t) => t.label === '供应商');
    expect(supplier?.certificates).toHaveLength(2);
    expect(supplier?.certificates.flatMap((c) => c.subjectFields.map((f) => f.value))).toEqual(expect.arrayContaining(['河南示例科技有限公司', '张三']));
    expect(supplier?.certificates[0]?.chain.length).toBeGreaterThanOrEqual(2);
    expect(data.modules[0]?.slots?.[0]?.mechanisms.length).toBeGreaterThan(0);
    expect(data.trace?.some((t) => t.fn === 'C_Login')).toBe(true);
  });

  it('contains no PIN of any fixture token, nor the wrong PIN typed', async () => {
    const texts = [await readFile(paths.json, 'utf8'), await readFile(paths.html, 'utf8')];
    for (const text of texts) for (const pin of ALL_PINS) expect(text.includes(pin), `PIN ${pin} in report`).toBe(false);
    for (const text of texts) expect(text).not.toMatch(/PRIVATE KEY/);
  });

  it('masks personal ID numbers to their last 4 digits unless asked to include them', async () => {
    expect(personalIds.length).toBeGreaterThan(0);
    const texts = [await readFile(paths.json, 'utf8'), await readFile(paths.html, 'utf8')];
    for (const id of personalIds) {
      for (const text of texts) {
        expect(text.includes(id), `ID ${id} in report`).toBe(false);
        expect(text).toContain(`${'*'.repeat(id.length - 4)}${id.slice(-4)}`);
      }
    }
    expect(JSON.parse(texts[0] as string).personalIdsMasked).toBe(true);
    // Organization codes (统一社会信用代码) are public and stay.
    expect(texts[0]).toMatch(/91410100MA44AB1C2./);
    const full = await writeReport(await mkdtemp(join(tmpdir(), 'ca-report-ids-')), { core, report, includePersonalIds: true });
    const fullJson = await readFile(full.json, 'utf8');
    for (const id of personalIds) expect(fullJson).toContain(id);
    expect(await readFile(full.html, 'utf8')).toContain('含个人证件号码');
  });

  it('lists failures and warnings first, folds the passed checks, and speaks Chinese with local times', async () => {
    const html = await readFile(paths.html, 'utf8');
    const attention = html.slice(html.indexOf('<table id="attention">'), html.indexOf('<details id="passed">'));
    expect(attention).toContain('失败');
    expect(attention).not.toContain('>通过<');
    expect(attention.indexOf('失败')).toBeLessThan(attention.indexOf('警告'));
    expect(html).toMatch(/<details id="passed"><summary>已通过的 \d+ 项/);
    expect(html).toContain('可用于签名（数字签名');
    expect(html).not.toMatch(/可用于签名（digitalSignature/);
    expect(html).not.toMatch(/驱动版本\s*[，,）]/);
    expect(html).toContain('北京时间');
    expect(html).not.toMatch(/\d\d:\d\d(:\d\d)? UTC/);
  });

  it('is self-contained and shows the sections and Chinese names in Chromium', async () => {
    const html = await readFile(paths.html, 'utf8');
    expect(html).not.toMatch(/<(script|link|img)\b/i);
    expect(html).not.toMatch(/src=|href=/i);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${paths.html}`);
      const headings = await page.locator('h2').allTextContents();
      expect(headings).toEqual(['检测结果', '证书详情', '证书链', '驱动与插槽', 'CA 锁与驱动', '最近错误', 'PKCS#11 调用跟踪']);
      const body = await page.locator('body').innerText();
      for (const text of ['互认助手诊断报告', '河南示例科技有限公司', '张三', '郑州市第一中学', 'CA 锁「供应商」', '证书已过期', 'PIN 码错误', 'SHA-256 指纹', 'CRL 分发点', 'C_Login', '（使用）']) expect(body).toContain(text);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      await mkdir(join(REPO, 'artifacts'), { recursive: true });
      await page.screenshot({ path: join(REPO, 'artifacts', 'diagnose-report.png'), fullPage: true });
      await page.screenshot({ path: join(REPO, 'artifacts', 'diagnose-report-top.png') });
    } finally {
      await browser.close();
    }
  }, 45_000);
});

function runCli(args: string[], config: object, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    void (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ca-cli-'));
      const file = join(dir, 'config.json');
      await writeFile(file, JSON.stringify({ ...config, dataDir: dir }));
      const child = execFile(process.execPath, [join(REPO, 'bin/ca-assistant.mjs'), ...args, '--config', file], { env: { ...process.env, ...fixtureEnv(fx), NO_COLOR: '1' }, timeout: 40_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return fail(error);
        done({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      });
      child.stdin?.end(stdin);
    })();
  });
}

describe('ca-assistant check / diagnose', () => {
  const config = { modules: [fx.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa] };

  it('check --json --pin-stdin reads one PIN line per token, prints JSON, exits 1 on a failed check', async () => {
    const core = await startFixtureCore(fx);
    // Keys at their final try are never asked unless chosen (--token).
    const order = core.tokens.tokens().filter((t) => !t.pin.locked && !t.pin.finalTry).map((t) => t.label);
    await core.stop();
    const pins: Record<string, string> = { 供应商: pinOf('supplier'), 采购人: pinOf('purchaser'), 过期证书: pinOf('expired'), 无私钥: pinOf('nokey'), 最后一次: pinOf('finaltry') };
    const r = await runCli(['check', '--json', '--pin-stdin'], config, order.map((l) => pins[l]).join('\n') + '\n');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report.checks.filter((c) => c.id.startsWith('keypair:') && c.status === 'ok').length).toBeGreaterThanOrEqual(4);
    expect(report.checks.filter((c) => c.id.startsWith('pin.login:') && c.status === 'ok')).toHaveLength(4);
    expect(r.stderr).toContain('[1/9] 正在检测系统');
    for (const pin of ALL_PINS) expect(r.stdout + r.stderr).not.toContain(pin);
  }, 60_000);

  it('check --token asks only the chosen key, a key at its final try included', async () => {
    const core = await startFixtureCore(fx);
    const id = (label: string): string => core.tokens.tokens().find((t) => t.label === label)?.id ?? label;
    const [finalTry, supplier] = [id('最后一次'), id('供应商')];
    await core.stop();
    const r = await runCli(['check', '--json', '--pin-stdin', '--token', finalTry], config, `${pinOf('finaltry')}\n`);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report.checks.find((c) => c.id === `pin.login:${finalTry}`)?.status).toBe('ok');
    expect(report.checks.find((c) => c.id === `pin.login:${supplier}`)).toMatchObject({ status: 'skipped', detailZh: expect.stringContaining('未选择') });
    expect(r.stderr).toContain('「最后一次」PIN 验证');
  }, 60_000);

  it('check --no-pin prints the Chinese report; diagnose --out writes both files', async () => {
    const r = await runCli(['check', '--no-pin'], config);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('互认助手 环境检测');
    expect(r.stdout).toMatch(/✘ 失败 {2}.*有效期：证书已过期/);
    expect(r.stdout).toContain('处理办法：');
    expect(r.stdout).not.toContain('\u001b[');
    const out = await mkdtemp(join(tmpdir(), 'ca-diag-'));
    const d = await runCli(['diagnose', '--out', out, '--no-pin', '--trace'], config);
    // Writing the report is diagnose's job: failed checks are in the report, the exit code is 0.
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(join(out, 'report.html'));
    expect(d.stdout).toMatch(/失败 [1-9]/);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('PKCS#11 调用跟踪');
    const usage = await runCli(['diagnose'], config);
    expect(usage.code).toBe(2);
    // 1 only when the report cannot be written (here: --out under a regular file).
    const blocked = join(out, 'report.json', 'sub');
    const failed = await runCli(['diagnose', '--out', blocked, '--no-pin'], config);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('诊断报告未能写入');
    const help = await runCli(['diagnose', '--help'], config);
    expect(help.stdout).toContain('0 报告已生成');
    expect(help.stdout).toContain('1 报告未能写入');
    expect(help.stdout).toContain('--include-personal-ids');
  }, 60_000);
});
