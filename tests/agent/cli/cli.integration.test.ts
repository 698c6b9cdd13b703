import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../../helpers/cli.js';
import { fixtureEnv, useFixtures } from '../../helpers/fixtures.js';

const fx = await useFixtures();
const work = mkdtempSync(join(tmpdir(), 'ca-cli-'));
const configFile = join(work, 'config.json');
writeFileSync(
  configFile,
  JSON.stringify({ modules: [fx.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa], dataDir: join(work, 'data') }),
);
const cli = (args: string[], stdin = ''): Promise<CliRun> => runCli(args, fixtureEnv(fx), stdin);

const withConfig = (...args: string[]): string[] => [...args, '--config', configFile];
const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('ca-assistant CLI', { timeout: 120_000 }, () => {
  describe('tokens', () => {
    it('lists the keys as a Chinese table and as JSON', async () => {
      const text = await cli(withConfig('tokens'));
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('供应商');
      expect(text.stdout).toContain('已锁定');
      expect(text.stdout).toMatch(/最后一次\s.*最后一次机会/);
      const json = await cli(withConfig('tokens', '--json'));
      const parsed = JSON.parse(json.stdout) as { tokens: { label: string; pin: { locked: boolean } }[] };
      expect(parsed.tokens).toHaveLength(6);
      expect(parsed.tokens.find((t) => t.label === '已锁定')?.pin.locked).toBe(true);
    });
  });

  describe('certs', () => {
    it('lists user certificates with kind, validity and chain trust', async () => {
      const run = await cli(withConfig('certs', '--json'));
      expect(run.code).toBe(0);
      const { certs } = JSON.parse(run.stdout) as { certs: { subject: string; kind: string; chainTrusted: boolean; id: string }[] };
      const org = certs.find((c) => c.subject.includes('CN=河南示例科技有限公司') && c.kind === 'organization');
      expect(org?.chainTrusted).toBe(true);
      expect(certs.some((c) => c.subject.includes('互认测试二级CA'))).toBe(false);
      const table = await cli(withConfig('certs'));
      expect(table.stdout).toContain('单位（公章）');
      expect(table.stdout).toContain('已过期');
    });

    it('says 链可信，证书已过期 for the expired certificate, as the assistant window does (one definition)', async () => {
      const { certs } = JSON.parse((await cli(withConfig('certs', '--json'))).stdout) as { certs: { id: string; notAfter: string; chainTrusted: boolean; chainValid: boolean; chain: string }[] };
      const expired = certs.filter((c) => Date.parse(c.notAfter) < Date.now());
      expect(expired.length).toBeGreaterThan(0);
      for (const c of expired) expect(c).toMatchObject({ chainTrusted: true, chainValid: false, chain: '链可信，证书已过期' });
      expect(certs.filter((c) => Date.parse(c.notAfter) > Date.now()).every((c) => c.chain === '可信')).toBe(true);
      const table = (await cli(withConfig('certs'))).stdout;
      expect(table).toContain('链可信，证书已过期');
      expect(table).not.toMatch(/已过期（[^\n]*\s可信\s*$/m);
    });
  });

  describe('sign and verify', () => {
    it('signs with the PIN from stdin, and verify accepts it against the same hash only', async () => {
      const { certs } = JSON.parse((await cli(withConfig('certs', '--json'))).stdout) as { certs: { id: string; subject: string; kind: string; notAfter: string }[] };
      const org = certs.find((c) => c.subject.includes('CN=河南示例科技有限公司') && Date.parse(c.notAfter) > Date.now());
      const out = join(work, 'contract.p7s');
      const signed = await cli(withConfig('sign', '--cert', org?.id ?? '', '--hash', hashOf('合同'), '--out', out, '--pin-stdin'), '12345678\n');
      expect(signed.stderr).toBe('');
      expect(signed.code).toBe(0);
      expect(signed.stdout).toContain('已签名');
      expect(readFileSync(out)[0]).toBe(0x30);
      const ok = await cli(withConfig('verify', '--in', out, '--hash', hashOf('合同')));
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('签名：有效');
      expect(ok.stdout).toContain('证书链：可信');
      const bad = await cli(withConfig('verify', '--in', out, '--hash', hashOf('改过的合同')));
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain('签名：无效');
    });

    it('reports a wrong PIN in Chinese with exit 1', async () => {
      const { certs } = JSON.parse((await cli(withConfig('certs', '--json'))).stdout) as { certs: { id: string; subject: string }[] };
      const buyer = certs.find((c) => c.subject.includes('CN=郑州市第一中学'));
      const run = await cli(withConfig('sign', '--cert', buyer?.id ?? '', '--hash', hashOf('x'), '--out', join(work, 'x.p7s'), '--pin-stdin'), '00000000\n');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('CA 密码错误');
      expect(run.stderr).toContain('PIN_INCORRECT');
      expect(run.stderr).not.toContain('00000000');
    });

    it('refuses the locked key without asking for a PIN', async () => {
      const { certs } = JSON.parse((await cli(withConfig('certs', '--json'))).stdout) as { certs: { id: string; subject: string }[] };
      const locked = certs.find((c) => c.subject.includes('开封示例建设工程有限公司'));
      const run = await cli(withConfig('sign', '--cert', locked?.id ?? '', '--hash', hashOf('x'), '--out', join(work, 'y.p7s'), '--pin-stdin'), '');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('CA 密码已锁定');
    });
  });

  describe('bad input', () => {
    it.each([
      [['frobnicate'], '不认识的命令'],
      [['tokens', '--bogus'], '不认识的选项：--bogus'],
      [['sign', '--cert'], '需要一个值'],
      [['sign', '--cert', 'a', '--hash', 'zz', '--out', 'f'], '十六进制'],
      [['sign', '--cert', 'a', '--hash', 'abcd', '--out', 'f'], '长度与 sha256 不符'],
      [['sign', '--cert', 'a', '--hash', hashOf('x'), '--alg', 'md5', '--out', 'f'], '--alg 只能是'],
      [['sign', '--cert', 'a', '--hash', hashOf('x'), '--format', 'pdf', '--out', 'f'], '--format 只能是'],
      [['verify', '--in', '/nonexistent.p7s', '--hash', hashOf('x')], '无法读取签名文件'],
      [['tokens', '--config', '/nonexistent/config.json'], '找不到配置文件'],
    ])('%j exits 2 with a usage message', async (args, message) => {
      const run = await cli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
    });

    it.each([
      ['{not json', '不是有效的 JSON'],
      ['[]', '顶层必须是一个 JSON 对象'],
      ['{"port": "80"}', 'port'],
      ['{"trustedOrigins": ["*"]}', '不是有效的可信网站地址'],
      ['{"trustedOrigins": ["https://*.gov.cn"]}', '不是有效的可信网站地址'],
      ['{"trustedOrigins": ["http://evil.example"]}', '不是有效的可信网站地址'],
      ['{"unknownKey": 1}', 'unknownKey'],
      [JSON.stringify({ modules: Array.from({ length: 60 }, (_, i) => `/m${i}.so`) }), 'modules: 数值过大'],
    ])('a config of %s exits 2 naming the problem', async (text, message) => {
      const file = join(work, `bad-${createHash('md5').update(text).digest('hex')}.json`);
      writeFileSync(file, text);
      const run = await cli(['tokens', '--config', file]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      // zod's own wording comes through in Chinese, never English.
      expect(run.stderr).not.toMatch(/expected|Invalid|Unrecognized|Too big/);
    });

    it('prints help with the command list and exit 0', async () => {
      const run = await cli(['--help']);
      expect(run.code).toBe(0);
      for (const name of ['serve', 'check', 'tokens', 'certs', 'sign', 'verify', 'diagnose']) expect(run.stdout).toContain(name);
    });
  });
});
