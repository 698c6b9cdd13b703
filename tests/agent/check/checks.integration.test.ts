import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks, type CheckProgress } from '../../../src-agent/check/index.js';
import type { CheckReport, CheckResult } from '../../../src-agent/protocol/types.js';
import type { AgentCore } from '../../../src-agent/service/agent-core.js';
import { useFixtures } from '../../helpers/fixtures.js';
import { issue, rsaKey, utf8 } from '../pki/test-pki.js';
import { fakeAssistant, pinsByLabel, startFixtureCore } from './setup.js';

const fx = await useFixtures();
const pinOf = (key: string): string => fx.tokens.find((t) => t.key === key)?.userPin ?? '';

describe('runChecks on the fixture tokens', () => {
  let core: AgentCore;
  let report: CheckReport;
  let server: Awaited<ReturnType<typeof fakeAssistant>>;
  const progress: CheckProgress[] = [];
  const logins: string[] = [];
  const pins = pinsByLabel({ 供应商: pinOf('supplier'), 采购人: '00000000', 过期证书: pinOf('expired'), 无私钥: pinOf('nokey'), 已锁定: pinOf('locked'), 最后一次: null });
  const idOf = (label: string): string => core.tokens.tokens().find((t) => t.label === label)?.id ?? `missing ${label}`;
  const onToken = (label: string): CheckResult[] => report.checks.filter((c) => c.id.includes(idOf(label)));
  const one = (prefix: string, label: string): CheckResult => {
    const found = onToken(label).filter((c) => c.id.startsWith(prefix));
    expect(found.length, `${prefix} on ${label}`).toBeGreaterThan(0);
    return found[0] as CheckResult;
  };

  beforeAll(async () => {
    server = await fakeAssistant();
    core = await startFixtureCore(fx);
    report = await runChecks({ core, port: server.port, pin: pins.ask, onProgress: (p) => progress.push(p), onLogin: (id) => logins.push(id) });
  });
  afterAll(async () => {
    await core?.stop();
    await server?.close();
  });

  it('passes every check on the healthy supplier token, key pairs proven by a test signature', () => {
    const results = onToken('供应商');
    for (const prefix of ['pin.state:', 'pin.login:', 'cert.validity:', 'cert.usage:', 'cert.chain:', 'keypair:', 'seal:']) one(prefix, '供应商');
    expect(results.filter((r) => r.status !== 'ok').map((r) => `${r.id} ${r.status} ${r.detailZh}`)).toEqual([]);
    expect(results.filter((r) => r.id.startsWith('keypair:'))).toHaveLength(2);
    expect(one('seal:', '供应商').detailZh).toMatch(/毫米/);
    expect(logins).toContain(idOf('供应商'));
    expect(core.tokens.tokens().find((t) => t.label === '供应商')?.loggedIn).toBe(true);
  });

  it('audits each test signature, marked as a test of 环境检测, and proves the expired certificate\'s key pair too', async () => {
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(join(core.config.dataDir, 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const tests = lines.filter((l) => l.method === 'check.keypair');
    const proven = report.checks.filter((c) => c.id.startsWith('keypair:') && c.status === 'ok');
    expect(tests.length).toBeGreaterThanOrEqual(proven.length);
    expect(tests.every((l) => l.test === true && l.channel === 'check' && l.origin === null && l.format === 'raw')).toBe(true);
    expect(tests.filter((l) => l.result === 'ok').length).toBe(proven.length);
    expect(one('keypair:', '过期证书').status).toBe('ok');
  });

  it('reports the system, service, driver and key checks', () => {
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('system.os')?.status).toBe('ok');
    expect(byId.get('system.elevated')?.status).toBe(process.geteuid?.() === 0 ? 'warn' : 'ok');
    if (process.geteuid?.() === 0) expect(byId.get('system.elevated')?.detailZh).toContain('不应以管理员身份运行');
    expect(byId.get('system.clock')?.status).toBe('ok');
    expect(byId.get('service.port')).toMatchObject({ status: 'ok' });
    expect(byId.get(`driver:${fx.pinGuardModule}`)?.detailZh).toMatch(/已加载.*驱动版本/);
    expect(byId.get('keys.present')?.detailZh).toContain('6 把');
    expect(['ok', 'skipped', 'warn']).toContain(byId.get('keys.usb')?.status);
  });

  it('fails the expired certificate with a remedy', () => {
    const v = one('cert.validity:', '过期证书');
    expect(v.status).toBe('fail');
    expect(v.detailZh).toContain('证书已过期');
    expect(v.remedyZh).toContain('发证机构');
  });

  it('fails the key-less certificate after login, and its missing seal', () => {
    // Unknown before login, so only the key-pair check after login speaks.
    expect(onToken('无私钥').some((c) => c.id.startsWith('cert.key:'))).toBe(false);
    expect(one('pin.login:', '无私钥').status).toBe('ok');
    const kp = one('keypair:', '无私钥');
    expect(kp).toMatchObject({ status: 'fail' });
    expect(kp.detailZh).toContain('私钥');
    expect(kp.remedyZh).toBeTruthy();
    const seal = one('seal:', '无私钥');
    expect(seal.status).toBe('fail');
    expect(seal.detailZh).toContain('没有公章图片');
  });

  it('fails a locked PIN and never asks or tries it', () => {
    expect(one('pin.state:', '已锁定')).toMatchObject({ status: 'fail' });
    expect(one('pin.state:', '已锁定').remedyZh).toContain('携带 CA 锁到发证机构解锁');
    expect(one('pin.login:', '已锁定')).toMatchObject({ status: 'fail', detailZh: expect.stringContaining('未尝试登录') });
    expect(pins.asked).not.toContain('已锁定');
  });

  it('warns on the final try and skips a PIN the user declined', () => {
    expect(one('pin.state:', '最后一次').status).toBe('warn');
    expect(one('pin.state:', '最后一次').detailZh).toContain('最后一次');
    expect(one('pin.login:', '最后一次').status).toBe('skipped');
  });

  it('fails a wrong PIN with the retries information', () => {
    const r = one('pin.login:', '采购人');
    expect(r.status).toBe('fail');
    expect(r.detailZh).toMatch(/^PIN 码错误/);
    expect(r.remedyZh).toContain('连续输错将锁定');
    expect(onToken('采购人').some((c) => c.id.startsWith('keypair:'))).toBe(false);
  });

  it('reports progress, durations and a summary', () => {
    const starts = progress.filter((p) => p.status === undefined).map((p) => p.id);
    expect(starts).toEqual(['system', 'service', 'driver', 'keys', 'certificate', 'pin', 'seal', 'browser']);
    expect(progress.filter((p) => p.status).length).toBe(report.checks.length);
    expect(report.checks.every((c) => Number.isInteger(c.durationMs) && c.durationMs >= 0 && c.titleZh && c.titleEn && c.detailZh)).toBe(true);
    expect(report.checks.filter((c) => c.status === 'fail').every((c) => c.remedyZh)).toBe(true);
    const s = report.summary;
    expect(s.ok + s.warn + s.fail + s.skipped).toBe(report.checks.length);
    expect(report.checks.find((c) => c.id === 'browser.seen')?.status).toBe('skipped');
  });
});

describe('runChecks with a broken configuration', () => {
  let core: AgentCore;
  let report: CheckReport;
  const missing = '/nonexistent/libmissing-ca.so';

  beforeAll(async () => {
    core = await startFixtureCore(fx, { modules: [fx.pinGuardModule, missing], trustAnchors: [], trustedOrigins: ['https://mall.example.cn'] });
    // Port 9 (discard) on loopback: nothing listens there.
    report = await runChecks({ core, port: 9, browserSeen: () => [] });
  });
  afterAll(async () => {
    await core?.stop();
  });

  it('fails the missing module file, naming it', () => {
    const d = report.checks.find((c) => c.id === `driver:${missing}`);
    expect(d?.status).toBe('fail');
    expect(d?.detailZh).toContain(missing);
    expect(d?.detailZh).toContain('驱动文件不存在');
    expect(d?.remedyZh).toContain('重新安装');
  });

  it('flags an untrusted chain, naming the problem', () => {
    const chains = report.checks.filter((c) => c.id.startsWith('cert.chain:'));
    expect(chains.length).toBeGreaterThan(0);
    for (const c of chains) {
      expect(c.status).toBe('warn');
      expect(c.detailZh).toMatch(/不受信任|无法追溯/);
      expect(c.remedyZh).toContain('根证书');
    }
  });

  it('says the service is not running, and that no mall page connected', () => {
    expect(report.checks.find((c) => c.id === 'service.port')).toMatchObject({ status: 'fail', detailZh: expect.stringContaining('未运行') });
    expect(report.checks.find((c) => c.id === 'browser.seen')?.status).toBe('warn');
    const supplier = core.tokens.tokens().find((t) => t.label === '供应商');
    expect(report.checks.find((c) => c.id === `pin.login:${supplier?.id}`)?.status).toBe('skipped');
    expect(report.checks.filter((c) => c.id.startsWith('cert.key:')).every((c) => c.status === 'skipped')).toBe(true);
  });
});

describe('runChecks with a different trusted root and a port held by another program', () => {
  let core: AgentCore;
  let report: CheckReport;
  let server: Server;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ca-other-root-'));
    const otherRoot = join(dir, 'other-root.pem');
    await writeFile(otherRoot, issue({ subject: [utf8('CN', '其他根CA')], keys: rsaKey(), ca: true }).pem);
    server = createServer((s) => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    core = await startFixtureCore(fx, { trustAnchors: [otherRoot] });
    report = await runChecks({ core, port: (server.address() as AddressInfo).port });
  });
  afterAll(async () => {
    await core?.stop();
    server?.close();
  });

  it('fails every chain, naming what is missing or untrusted', () => {
    const chains = report.checks.filter((c) => c.id.startsWith('cert.chain:'));
    expect(chains.length).toBeGreaterThan(0);
    for (const c of chains) {
      expect(c.status).toBe('fail');
      expect(c.detailZh).toMatch(/缺少“.+”|根证书“.+”不受信任/);
      expect(c.remedyZh).toContain('证书链');
    }
  });

  it('fails the service check and names the program holding the port where the OS tells', () => {
    const s = report.checks.find((c) => c.id === 'service.port');
    expect(s?.status).toBe('fail');
    expect(s?.detailZh).toMatch(/被.*占用/);
    if (process.platform === 'linux' && (s?.data?.owner as { pid?: number } | null)?.pid) expect(s?.detailZh).toContain(`进程号 ${process.pid}`);
  });
});
