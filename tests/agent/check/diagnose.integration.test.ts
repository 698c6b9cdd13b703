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

const fx = await useFixtures();
const pinOf = (key: string): string => fx.tokens.find((t) => t.key === key)?.userPin ?? '';
const WRONG_PIN = '13572468';
const ALL_PINS = [...fx.tokens.flatMap((t) => [t.userPin, t.soPin]), WRONG_PIN];
const REPO = resolve(import.meta.dirname, '../../..');

describe('writeReport', () => {
  let core: AgentCore;
  let paths: { json: string; html: string };
  let report: CheckReport;

  beforeAll(async () => {
    core = await startFixtureCore(fx, {}, true);
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
    const order = core.tokens.tokens().filter((t) => !t.pin.locked).map((t) => t.label);
    await core.stop();
    const pins: Record<string, string> = { 供应商: pinOf('supplier'), 采购人: pinOf('purchaser'), 过期证书: pinOf('expired'), 无私钥: pinOf('nokey'), 最后一次: pinOf('finaltry') };
    const r = await runCli(['check', '--json', '--pin-stdin'], config, order.map((l) => pins[l]).join('\n') + '\n');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report.checks.filter((c) => c.id.startsWith('keypair:') && c.status === 'ok').length).toBeGreaterThanOrEqual(4);
    expect(report.checks.filter((c) => c.id.startsWith('pin.login:') && c.status === 'ok')).toHaveLength(5);
    expect(r.stderr).toContain('[1/8] 正在检测系统');
    for (const pin of ALL_PINS) expect(r.stdout + r.stderr).not.toContain(pin);
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
    expect(d.stdout).toContain(join(out, 'report.html'));
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('PKCS#11 调用跟踪');
    const usage = await runCli(['diagnose'], config);
    expect(usage.code).toBe(2);
  }, 60_000);
});
