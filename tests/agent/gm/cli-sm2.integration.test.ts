/** The CLI on the 国密 SKF key: listing, SM3/SM2 signing in both CMS profiles, verifying, and bad input. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSignedData } from '../../../src-agent/pki/index.js';
import { runCli, type CliRun } from '../../helpers/cli.js';
import { opensslAsn1, opensslSm2Verify, useSm2Fixtures } from '../../helpers/sm2.js';

const fx = await useSm2Fixtures();
const work = mkdtempSync(join(tmpdir(), 'ca-cli-sm2-'));
const configFile = join(work, 'config.json');
writeFileSync(configFile, JSON.stringify({ modules: [fx.moduleSpec], onlyConfiguredModules: true, trustAnchors: [fx.files.root], dataDir: join(work, 'data') }));
const content = Buffer.from('政府采购合同（国密）：乙方 郑州国密科技有限公司');
const sm3 = createHash('sm3').update(content).digest('hex');

const cli = (args: string[], stdin = ''): Promise<CliRun> => runCli([...args, '--config', configFile], { SKF_SOFT_DIR: fx.skfDir }, stdin);

describe('ca-assistant CLI on an SKF SM2 key', { timeout: 120_000 }, () => {
  let signCertId = '';

  it('certs lists the signing and encryption certificates as SM2, trusted', async () => {
    const run = await cli(['certs', '--json']);
    expect(run.code).toBe(0);
    const certs = (JSON.parse(run.stdout) as { certs: { id: string; keyAlgorithm: string; der?: string; keyUsage?: string[]; chainTrusted?: boolean }[] }).certs;
    expect(certs).toHaveLength(2);
    for (const c of certs) expect(c.keyAlgorithm).toMatch(/^SM2/);
    signCertId = certs.find((c) => c.keyUsage?.includes('digitalSignature'))?.id ?? '';
    expect(signCertId).not.toBe('');
  });

  it.each([
    ['cms', ':pkcs7-signedData'],
    ['gmt0010', ':1.2.156.10197.6.1.4.2.2'],
  ])('sign --alg sm3 --profile %s writes an SM2 CMS that verify accepts and openssl checks', async (profile, contentType) => {
    const out = join(work, `sig-${profile}.p7s`);
    const run = await cli(['sign', '--cert', signCertId, '--hash', sm3, '--alg', 'sm3', '--profile', profile, '--out', out, '--pin-stdin'], `${fx.userPin}\n`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SM2-with-SM3');
    const cms = readFileSync(out);
    expect(await opensslAsn1(cms)).toContain(contentType);
    const signer = parseSignedData(cms).signers[0];
    expect(await opensslSm2Verify(fx.signCertPem, signer?.signedAttrsDer ?? Buffer.alloc(0), signer?.signature ?? Buffer.alloc(0))).toBe(true);
    const verified = await cli(['verify', '--in', out, '--hash', sm3, '--alg', 'sm3', '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, chainTrusted: true });
    const tampered = await cli(['verify', '--in', out, '--hash', createHash('sm3').update('改过的合同').digest('hex'), '--alg', 'sm3', '--json']);
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ valid: false });
  });

  it('refuses a bad --profile with usage (exit 2), and SHA-256 on an SM2 certificate with a Chinese reason (exit 1)', async () => {
    const bad = await cli(['sign', '--cert', signCertId, '--hash', sm3, '--alg', 'sm3', '--profile', 'pkcs7', '--out', join(work, 'x.p7s'), '--pin-stdin'], `${fx.userPin}\n`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--profile 只能是 cms 或 gmt0010：pkcs7');
    const sha = await cli(['sign', '--cert', signCertId, '--hash', createHash('sha256').update(content).digest('hex'), '--out', join(work, 'y.p7s'), '--pin-stdin'], `${fx.userPin}\n`);
    expect(sha.code).toBe(1);
    expect(sha.stderr).toContain('UNSUPPORTED_ALGORITHM');
  });
});
