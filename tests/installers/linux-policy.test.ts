/**
 * The deb's post-install and post-remove scripts, rendered as electron-builder renders them
 * (its FpmTarget macro substitution) and run with bash against a temporary root (DESTDIR).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src-agent/config.js';

const linux = fileURLToPath(new URL('../../installers/linux/', import.meta.url));
const PRODUCT = '互认助手';
const POLICY_DIRS = ['etc/chromium/policies/managed', 'etc/opt/chrome/policies/managed', 'etc/opt/edge/policies/managed'];
const POLICY_NAMES = ['LocalNetworkAccessAllowedForUrls', 'LoopbackNetworkAllowedForUrls'];
const work = mkdtempSync(join(tmpdir(), 'ca-deb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** electron-builder's writeConfigFile: letters-only `${name}` macros, an unknown one is a build error. */
export function renderTemplate(text: string, macros: Record<string, string>): string {
  return text.replace(/\${([a-zA-Z]+)}/g, (_m, name: string) => {
    if (!(name in macros)) throw new Error(`Macro ${name} is not defined`);
    return macros[name] as string;
  });
}

const MACROS = { executable: 'ca-assistant', sanitizedProductName: PRODUCT, productFilename: PRODUCT };
const scripts = Object.fromEntries(['after-install.sh', 'after-remove.sh'].map((name) => {
  const file = join(work, name);
  writeFileSync(file, renderTemplate(readFileSync(join(linux, name), 'utf8'), MACROS));
  return [name, file];
})) as Record<'after-install.sh' | 'after-remove.sh', string>;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(work, 'root-'));
});

function run(script: keyof typeof scripts, env: Record<string, string> = {}, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [scripts[script], ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DESTDIR: root, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const install = (env: Record<string, string> = {}): ReturnType<typeof run> => run('after-install.sh', env, 'configure');
const policy = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, dir, 'ca-assistant.json'), 'utf8')) as Record<string, unknown>;
const machineConfig = (): string => readFileSync(join(root, 'etc/ca-assistant/config.json'), 'utf8');

function shipDefine(value: string): void {
  mkdirSync(join(root, 'opt', PRODUCT, 'resources', 'linux'), { recursive: true });
  writeFileSync(join(root, 'opt', PRODUCT, 'resources', 'linux', 'origins.nsh'), `; build-time origins\n!define CA_TRUSTED_ORIGINS "${value}"\n`);
}

describe('installers/linux/after-install.sh', () => {
  it('uses only the macros electron-builder defines (an unknown one fails the build)', () => {
    expect(() => renderTemplate('echo ${root}', MACROS)).toThrow(/Macro root is not defined/);
    for (const name of ['after-install.sh', 'after-remove.sh']) expect(() => renderTemplate(readFileSync(join(linux, name), 'utf8'), MACROS)).not.toThrow();
  });

  it('writes both policy names for Chromium, Chrome and Edge, and the machine config the agent accepts', () => {
    const r = install({ CA_TRUSTED_ORIGINS: 'https://mall.example.gov.cn,https://zcy.example.cn:8443' });
    expect(r.status, r.stderr).toBe(0);
    const origins = ['https://mall.example.gov.cn', 'https://zcy.example.cn:8443'];
    for (const dir of POLICY_DIRS) {
      const p = policy(dir);
      expect(Object.keys(p).sort()).toEqual([...POLICY_NAMES].sort());
      for (const name of POLICY_NAMES) expect(p[name]).toEqual(origins);
    }
    expect(parseConfig(machineConfig()).trustedOrigins).toEqual(origins);
    expect(r.stdout).toContain('受信任的商城地址：https://mall.example.gov.cn,https://zcy.example.cn:8443');
  });

  it('takes the origins from the environment, then the shipped build define, then the previous installation', () => {
    shipDefine('https://built.example.cn');
    expect(install({ CA_TRUSTED_ORIGINS: 'https://env.example.cn' }).status).toBe(0);
    expect(policy(POLICY_DIRS[0] as string).LocalNetworkAccessAllowedForUrls).toEqual(['https://env.example.cn']);
    expect(install().status).toBe(0);
    expect(policy(POLICY_DIRS[0] as string).LocalNetworkAccessAllowedForUrls).toEqual(['https://built.example.cn']);
    rmSync(join(root, 'opt'), { recursive: true });
    expect(install().status).toBe(0);
    expect(policy(POLICY_DIRS[1] as string).LoopbackNetworkAllowedForUrls).toEqual(['https://built.example.cn']);
  });

  it('installing twice (upgrade) keeps one entry per origin', () => {
    install({ CA_TRUSTED_ORIGINS: 'https://mall.example.cn,https://mall.example.cn' });
    install();
    expect(policy(POLICY_DIRS[2] as string).LocalNetworkAccessAllowedForUrls).toEqual(['https://mall.example.cn']);
  });

  it.each([
    ['a quote breaking out of the JSON string', 'https://a.example","https://evil.example'],
    ['a backslash', 'https://a.example\\'],
    ['a line break inside', 'https://a\n.example'],
    ['http on a public host', 'http://evil.example'],
    ['a wildcard', 'https://*.gov.cn'],
    ['a path', 'https://a.example/mall'],
    ['a space', 'https://a .example'],
    ['http loopback without port', 'http://127.0.0.1'],
    ['a shell expansion', 'https://$(touch pwned).example'],
  ])('skips an origin with %s and logs it', (_what, bad) => {
    const r = install({ CA_TRUSTED_ORIGINS: `${bad},https://good.example.cn` });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('忽略无效的商城地址');
    // A line break separates: the part before it may be an origin of its own ("https://a").
    const expected = bad.includes('\n') ? ['https://a', 'https://good.example.cn'] : ['https://good.example.cn'];
    for (const dir of POLICY_DIRS) expect(policy(dir).LocalNetworkAccessAllowedForUrls).toEqual(expected);
    expect(parseConfig(machineConfig()).trustedOrigins).toEqual(expected);
    expect(existsSync('pwned')).toBe(false);
  });

  it('writes nothing and removes a stale grant when no origin is configured', () => {
    install({ CA_TRUSTED_ORIGINS: 'https://old.example.cn' });
    rmSync(join(root, 'etc/ca-assistant'), { recursive: true });
    expect(install({ CA_TRUSTED_ORIGINS: 'not-an-origin' }).status).toBe(0);
    for (const dir of POLICY_DIRS) expect(existsSync(join(root, dir, 'ca-assistant.json'))).toBe(false);
    expect(existsSync(join(root, 'etc/ca-assistant/config.json'))).toBe(false);
  });
});

describe('installers/linux/after-remove.sh', () => {
  function installWithNeighbour(): void {
    for (const dir of POLICY_DIRS) {
      mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, dir, 'other-vendor.json'), '{"LocalNetworkAccessAllowedForUrls": ["https://other-vendor.example"]}');
    }
    expect(install({ CA_TRUSTED_ORIGINS: 'https://mall.example.cn' }).status).toBe(0);
  }

  it('remove takes away our policy files only and keeps the machine config until purge', () => {
    installWithNeighbour();
    expect(run('after-remove.sh', {}, 'remove').status).toBe(0);
    for (const dir of POLICY_DIRS) expect(readdirSync(join(root, dir))).toEqual(['other-vendor.json']);
    expect(existsSync(join(root, 'etc/ca-assistant/config.json'))).toBe(true);
    expect(run('after-remove.sh', {}, 'purge').status).toBe(0);
    expect(existsSync(join(root, 'etc/ca-assistant'))).toBe(false);
    for (const dir of POLICY_DIRS) expect(readdirSync(join(root, dir))).toEqual(['other-vendor.json']);
  });

  it('an upgrade keeps the policies for the new version', () => {
    installWithNeighbour();
    expect(run('after-remove.sh', {}, 'upgrade').status).toBe(0);
    for (const dir of POLICY_DIRS) expect(policy(dir).LoopbackNetworkAllowedForUrls).toEqual(['https://mall.example.cn']);
  });
});
