import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { fixtureEnv, useFixtures } from '../../helpers/fixtures.js';
import { useTsa } from '../../helpers/tsa.js';

const fx = await useFixtures();
const tsa = await useTsa('ec');
const work = mkdtempSync(join(tmpdir(), 'ca-cli-ts-'));
const base = { modules: [fx.pinGuardModule], onlyConfiguredModules: true, trustAnchors: [fx.rootCa], intermediates: [fx.intermediateCa], dataDir: join(work, 'data') };
const withTsa = join(work, 'with-tsa.json');
const without = join(work, 'without.json');
writeFileSync(withTsa, JSON.stringify({ ...base, timestamp: { url: tsa.url, trustAnchors: [tsa.pki.rootPem] } }));
writeFileSync(without, JSON.stringify(base));
const cli = (args: string[], stdin = '') => runCli(args, fixtureEnv(fx), stdin);
const hash = createHash('sha256').update('合同').digest('hex');
const supplier = fx.tokens.find((t) => t.key === 'supplier')!;

async function orgCertId(config: string): Promise<string> {
  const { certs } = JSON.parse((await cli(['certs', '--json', '--config', config])).stdout) as { certs: { id: string; fingerprintSha256: string }[] };
  const fp = supplier.certs.find((c) => c.role === 'organization')!.fingerprintSha256;
  return certs.find((c) => c.fingerprintSha256 === fp)!.id;
}

describe('ca-assistant sign --timestamp / verify', { timeout: 120_000 }, () => {
  it('writes a time-stamped CMS, and verify reports the trusted time it judged validity at', async () => {
    const out = join(work, 'stamped.p7s');
    const signed = await cli(['sign', '--cert', await orgCertId(withTsa), '--hash', hash, '--timestamp', '--out', out, '--pin-stdin', '--config', withTsa], `${supplier.userPin}\n`);
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    const verified = await cli(['verify', '--in', out, '--hash', hash, '--config', withTsa]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/可信时间戳：\d{4}-\d\d-\d\dT.*测试时间戳服务（P-256）/);
    expect(verified.stdout).toContain('（可信时间戳的时间）');
    // Without the TSA root the time-stamp is reported, and the time of verification is used.
    const untrusted = await cli(['verify', '--in', out, '--hash', hash, '--config', without]);
    expect(untrusted.stdout).toContain('可信时间戳：无效');
    expect(untrusted.stdout).toContain('（验证时刻）');
    expect(untrusted.stdout).toContain('时间戳服务');
  });

  it('refuses --timestamp without a configured TSA before asking for the PIN', async () => {
    const run = await cli(['sign', '--cert', await orgCertId(without), '--hash', hash, '--timestamp', '--out', join(work, 'x.p7s'), '--pin-stdin', '--config', without], '');
    expect(run.stderr).toContain('互认助手未配置时间戳服务');
    expect(run.code).toBe(1);
  });

  it('refuses --timestamp with --format raw as a usage error', async () => {
    const run = await cli(['sign', '--cert', 'x', '--hash', hash, '--timestamp', '--format', 'raw', '--out', join(work, 'y'), '--config', withTsa]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--timestamp 只能用于 --format cms');
  });

  it('rejects a malformed timestamp section in the config file with a Chinese message naming the field', async () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...base, timestamp: { url: 'ftp://tsa.example/', timeoutMs: 5 } }));
    const run = await cli(['certs', '--config', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('timestamp.url');
    expect(run.stderr).toContain('时间戳服务地址须为 http:// 或 https:// 网址');
  });
});
