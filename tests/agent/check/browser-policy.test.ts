import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { browserChecks } from '../../../src-agent/check/browser.js';
import { linuxPolicyReader, parseRegQuery, patternCovers, windowsPolicyReader, type BrowserPolicyReader, type RegistryReader } from '../../../src-agent/check/browser-policy.js';
import type { CheckContext, Outcome } from '../../../src-agent/check/types.js';

const work = mkdtempSync(join(tmpdir(), 'ca-lna-policy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const MALL = 'https://mall.example.cn';

/** The deb's post-install, rendered with electron-builder's macros, run against `root`. */
function debInstall(root: string, origins: string): void {
  const text = readFileSync(new URL('../../../installers/linux/after-install.sh', import.meta.url), 'utf8')
    .replace(/\${([a-zA-Z]+)}/g, (_m, n: string) => ({ executable: 'ca-assistant', sanitizedProductName: '互认助手' } as Record<string, string>)[n] ?? '');
  const script = join(work, 'after-install.sh');
  writeFileSync(script, text);
  const r = spawnSync('bash', [script, 'configure'], { env: { PATH: process.env.PATH ?? '', DESTDIR: root, CA_TRUSTED_ORIGINS: origins }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

function newRoot(...programs: string[]): string {
  const root = mkdtempSync(join(work, 'root-'));
  for (const p of programs) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), '');
  }
  return root;
}

/** Runs the browser check group and returns the local-network results. */
async function lnaResults(origins: string[], reader: BrowserPolicyReader | null): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const ctx = { core: { config: { trustedOrigins: origins } }, options: { browserPolicies: reader }, emit: (o: Outcome) => out.push(o) } as unknown as CheckContext;
  await browserChecks.run(ctx);
  return out.filter((o) => o.id.startsWith('browser.lna'));
}

describe('linuxPolicyReader', () => {
  it('reads both policy names that the deb post-install writes, for the browsers that are installed', async () => {
    const root = newRoot('usr/bin/chromium', 'opt/google/chrome/chrome');
    debInstall(root, `${MALL},https://zcy.example.cn`);
    const policies = await linuxPolicyReader(root).read();
    expect(policies.map((b) => [b.id, b.installed])).toEqual([['chrome', true], ['edge', false], ['chromium', true]]);
    for (const b of policies) {
      expect(b.patterns.LocalNetworkAccessAllowedForUrls).toEqual([MALL, 'https://zcy.example.cn']);
      expect(b.patterns.LoopbackNetworkAllowedForUrls).toEqual([MALL, 'https://zcy.example.cn']);
    }
  });

  it('grants nothing from broken, hostile or foreign files', async () => {
    const root = newRoot('usr/bin/chromium');
    const dir = join(root, 'etc/chromium/policies/managed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a-broken.json'), '{"LocalNetworkAccessAllowedForUrls": [');
    writeFileSync(join(dir, 'b-array.json'), `[{"LocalNetworkAccessAllowedForUrls": ["${MALL}"]}]`);
    writeFileSync(join(dir, 'c-types.json'), '{"LocalNetworkAccessAllowedForUrls": "https://x.example", "LoopbackNetworkAllowedForUrls": [1, null, {"a": 1}]}');
    writeFileSync(join(dir, 'd-proto.json'), '{"__proto__": {"LocalNetworkAccessAllowedForUrls": ["https://evil.example"]}}');
    writeFileSync(join(dir, 'e-huge.json'), `{"LocalNetworkAccessAllowedForUrls": ["${MALL}"], "pad": "${'x'.repeat(1024 * 1024)}"}`);
    writeFileSync(join(dir, 'f-other.txt'), `{"LocalNetworkAccessAllowedForUrls": ["${MALL}"]}`);
    const [chromium] = (await linuxPolicyReader(root).read()).filter((b) => b.id === 'chromium');
    expect(chromium?.patterns).toEqual({ LocalNetworkAccessAllowedForUrls: [], LoopbackNetworkAllowedForUrls: [] });
  });
});

describe('windowsPolicyReader', () => {
  const fake = (keys: Record<string, Record<string, string>>): RegistryReader => ({ values: async (key) => keys[key] ?? null });

  it('reads the numbered values of both policy keys, in order, and finds browsers by App Paths', async () => {
    const reader = windowsPolicyReader(fake({
      'SOFTWARE\\Policies\\Google\\Chrome\\LocalNetworkAccessAllowedForUrls': { 2: MALL, 1: 'https://other-vendor.example', note: 'not a list entry' },
      'SOFTWARE\\Policies\\Microsoft\\Edge\\LoopbackNetworkAllowedForUrls': { 1: MALL },
      'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\App Paths\\chrome.exe': { '': 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe' },
    }));
    const [chrome, edge] = await reader.read();
    expect(chrome).toMatchObject({ id: 'chrome', installed: true, patterns: { LocalNetworkAccessAllowedForUrls: ['https://other-vendor.example', MALL], LoopbackNetworkAllowedForUrls: [] } });
    expect(edge).toMatchObject({ id: 'edge', installed: false, patterns: { LocalNetworkAccessAllowedForUrls: [], LoopbackNetworkAllowedForUrls: [MALL] } });
  });

  it('parses reg query output, English and Chinese Windows', () => {
    const out = '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome\\LocalNetworkAccessAllowedForUrls\r\n    1    REG_SZ    https://mall.example.cn\r\n    (默认)    REG_SZ    x\r\n    n    REG_DWORD    0x1\r\n';
    expect(parseRegQuery(out)).toEqual({ 1: MALL, '': 'x' });
    expect(parseRegQuery('    (Default)    REG_EXPAND_SZ    %ProgramFiles%\\a.exe')).toEqual({ '': '%ProgramFiles%\\a.exe' });
    expect(parseRegQuery('garbage\n\0\u202e')).toEqual({});
  });
});

describe('patternCovers', () => {
  it.each([
    [MALL, MALL, true], [`${MALL}/`, MALL, true], ['https://MALL.example.cn:443', MALL, true], ['*', MALL, true],
    ['[*.]example.cn', MALL, true], ['mall.example.cn', MALL, true],
    ['http://mall.example.cn', MALL, false], ['https://mall.example.cn:8443', MALL, false], ['https://evil-mall.example.cn', MALL, false],
    ['[*.]ample.cn', MALL, false], ['', MALL, false], ['https://', MALL, false], [MALL, 'not a url', false],
  ])('%j covers %j: %s', (pattern, origin, covers) => {
    expect(patternCovers(pattern, origin)).toBe(covers);
  });
});

describe('环境检测 browser.lna', () => {
  it('says per installed browser and configured origin whether local access is allowed, with a Chinese remedy', async () => {
    const root = newRoot('usr/bin/chromium', 'usr/bin/microsoft-edge');
    const missing = await lnaResults([MALL], linuxPolicyReader(root));
    expect(missing.map((o) => [o.id, o.status])).toEqual([['browser.lna.edge', 'warn'], ['browser.lna.chromium', 'warn']]);
    expect(missing[1]?.detailZh).toContain(`未通过策略允许以下商城网址访问本机：${MALL}`);
    expect(missing[1]?.remedyZh).toMatch(/本地网络访问.*允许/);

    debInstall(root, MALL);
    const present = await lnaResults([MALL, 'https://zcy.example.cn'], linuxPolicyReader(root));
    expect(present.map((o) => o.status)).toEqual(['warn', 'warn']);
    expect(present[1]?.data).toEqual({ browser: 'chromium', origins: [
      { origin: MALL, allowed: true, policies: ['LocalNetworkAccessAllowedForUrls', 'LoopbackNetworkAllowedForUrls'] },
      { origin: 'https://zcy.example.cn', allowed: false, policies: [] },
    ] });
    const ok = await lnaResults([MALL], linuxPolicyReader(root));
    expect(ok.map((o) => o.status)).toEqual(['ok', 'ok']);
    expect(ok[0]?.detailZh).toContain('Microsoft Edge 已通过管理员策略允许');
  });

  it('skips when no browser is found, no origin is configured, or the OS is not inspected', async () => {
    expect((await lnaResults([MALL], linuxPolicyReader(newRoot()))).map((o) => o.status)).toEqual(['skipped']);
    expect((await lnaResults([], linuxPolicyReader(newRoot('usr/bin/chromium')))).map((o) => o.detailZh)).toEqual([expect.stringContaining('未配置商城网址')]);
    expect((await lnaResults([MALL], null)).map((o) => o.detailZh)).toEqual([expect.stringContaining('无法读取浏览器策略')]);
  });
});
