/**
 * SM2 certificates on a PKCS#11 module whose SM2 key type and signing mechanism are vendor
 * constants from the vendor table: SoftHSM behind native/p11-sm2-shim (the stand-in vendor).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../../src-agent/check/index.js';
import { parseConfig } from '../../../src-agent/config.js';
import { parseSignedData, verifyCms, type CmsProfile } from '../../../src-agent/pki/index.js';
import { startCore, type AgentCore } from '../../../src-agent/service/agent-core.js';
import type { CertEntry } from '../../../src-agent/service/cert-service.js';
import type { RawSlot } from '../../../src-agent/tokens/host-protocol.js';
import type { Sm2Params } from '../../../src-agent/tokens/p11-sm2.js';
import { TokenHost } from '../../../src-agent/tokens/token-host.js';
import { makeP11Sm2Fixtures, p11Sm2Env, STAND_IN_SM2, writeVendorTable, type P11Sm2Fixtures } from '../../fixtures/p11-sm2-fixtures.js';
import { opensslAsn1, opensslSm2Verify } from '../../helpers/sm2.js';
import { errorOf } from '../../helpers/errors.js';

const dir = await mkdtemp(join(tmpdir(), 'ca-assistant-p11sm2-'));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const fx: P11Sm2Fixtures = await makeP11Sm2Fixtures(dir);
const content = Buffer.from('政府采购合同（测试）：乙方 洛阳国密采购供应有限公司');
const hash = createHash('sm3').update(content).digest();

/** A core loading only the shim, with the SM2 root trusted; `vendorTable` undefined: the built-in table only. */
async function startShimCore(vendorTable: string | undefined, format: 'der' | 'raw' = 'der'): Promise<AgentCore> {
  const dataDir = await mkdtemp(join(dir, 'data-'));
  const config = parseConfig(JSON.stringify({ modules: [fx.module], onlyConfiguredModules: true, trustAnchors: [fx.files.root], dataDir, ...(vendorTable ? { vendorTable } : {}) }));
  return startCore(config, { hostEnv: p11Sm2Env(fx, format), pollIntervalMs: 0, logToFile: false });
}

/** Logs in to the shim's token and returns its SM2 certificates (organization, personal). */
async function loginAndList(core: AgentCore): Promise<{ org: CertEntry; person: CertEntry }> {
  const [token] = core.tokens.tokens();
  if (!token) throw new Error('the shim shows no token');
  await core.tokens.login(token.id, Buffer.from(fx.userPin));
  const certs = await core.certs.list();
  const find = (der: Buffer): CertEntry => {
    const entry = certs.find((c) => c.token.der.equals(der));
    if (!entry) throw new Error('certificate missing');
    return entry;
  };
  return { org: find(fx.org.der), person: find(fx.person.der) };
}

const signCms = (core: AgentCore, entry: CertEntry, profile: CmsProfile = 'cms', h = hash) =>
  core.signing.sign({ certId: entry.token.id, hash: h, hashAlgorithm: 'sm3', format: 'cms', profile });

describe('PKCS#11 module with the vendor table\'s SM2 constants (CKM_SM2_SIGN 0x80008104, DER)', () => {
  let core: AgentCore;
  let before: CertEntry[];
  let org: CertEntry;
  let person: CertEntry;

  beforeAll(async () => {
    core = await startShimCore(fx.vendorTable);
    before = await core.certs.list();
    ({ org, person } = await loginAndList(core));
  });
  afterAll(async () => {
    await core?.stop();
  });

  it('lists both SM2 certificates; their private keys are found after login, by CKA_ID and by the SM2 public point', () => {
    expect(before.map((c) => c.token.hasPrivateKey)).toEqual([null, null]);
    expect(org.details.keyAlgorithm).toBe('SM2');
    expect(org.token).toMatchObject({ ckaId: fx.org.certCkaId, hasPrivateKey: true });
    // The personal certificate's CKA_ID names no key: only the public point links them.
    expect(fx.person.certCkaId).not.toBe(fx.person.keyCkaId);
    expect(person.token).toMatchObject({ ckaId: fx.person.certCkaId, hasPrivateKey: true });
  });

  it('names the vendor SM2 mechanism in the module details', async () => {
    const [module] = await core.tokens.moduleDetails();
    expect(module?.manufacturer).toBe('CA-Assistant SM2 test shim');
    expect(module?.slots?.find((s) => s.tokenPresent)?.mechanisms).toContain('SM2(0x80008104)');
  });

  describe.each(['cms', 'gmt0010'] as const)('profile %s', (profile) => {
    it.each(['org', 'person'] as const)('the %s certificate signs an SM3 hash; openssl verifies the SM2 signature over the signed attributes', async (which) => {
      const entry = which === 'org' ? org : person;
      const { signature, signatureAlgorithm } = await signCms(core, entry, profile);
      expect(signatureAlgorithm).toBe('SM2-with-SM3');
      const signer = parseSignedData(signature).signers[0];
      const attrs = signer?.signedAttrsDer ?? Buffer.alloc(0);
      const pem = which === 'org' ? fx.org.pem : fx.person.pem;
      expect(await opensslSm2Verify(pem, attrs, signer?.signature ?? Buffer.alloc(0))).toBe(true);
      expect(await opensslSm2Verify(pem, attrs, signer?.signature ?? Buffer.alloc(0), '1234567812345679')).toBe(false);
      // openssl reads the given hash back as the messageDigest attribute.
      expect((await opensslAsn1(attrs)).replace(/\s/g, '')).toContain(hash.toString('hex').toUpperCase());
    });

    it('verifies with the SM2 chain, and is rejected for a changed hash', async () => {
      const { signature } = await signCms(core, org, profile);
      const ok = await verifyCms({ signature, hash, hashAlgorithm: 'sm3', trustAnchors: [fx.rootDer], intermediates: [] });
      expect(ok.problems).toEqual([]);
      expect(ok).toMatchObject({ valid: true, chainTrusted: true, signer: { keyAlgorithm: 'SM2' } });
      const changed = Buffer.from(hash);
      changed[0] = (changed[0] ?? 0) ^ 0x80;
      const bad = await verifyCms({ signature, hash: changed, hashAlgorithm: 'sm3', trustAnchors: [fx.rootDer], intermediates: [] });
      expect(bad.valid).toBe(false);
      expect(bad.problems.map((p) => p.code)).toContain('DIGEST_MISMATCH');
      const signer = parseSignedData(signature).signers[0];
      expect((await opensslAsn1(signer?.signedAttrsDer ?? Buffer.alloc(0))).replace(/\s/g, '')).not.toContain(changed.toString('hex').toUpperCase());
    });
  });

  it('环境检测 proves both key pairs by a test signature and finds the seal image', async () => {
    const report = await runChecks({ core, port: 9 });
    for (const entry of [org, person]) {
      const kp = report.checks.find((c) => c.id === `keypair:${entry.token.id}`);
      expect(kp?.status, kp?.detailZh).toBe('ok');
      expect(kp?.detailZh).toContain('私钥与证书匹配');
    }
    const seal = report.checks.find((c) => c.id === `seal:${org.token.id}`);
    expect(seal?.status, seal?.detailZh).toBe('ok');
    expect(seal?.data).toMatchObject({ source: 'token', bytes: fx.sealPng.length });
  });
});

describe('signatureFormat "raw" (CKM_SM2_SIGN_NO_DER 0x80008105, r‖s)', () => {
  let core: AgentCore;
  let org: CertEntry;
  beforeAll(async () => {
    core = await startShimCore(await writeVendorTable(fx, 'vendors-raw.json', STAND_IN_SM2.raw), 'raw');
    ({ org } = await loginAndList(core));
  });
  afterAll(async () => {
    await core?.stop();
  });

  it('turns the 64-byte r‖s into the DER signature openssl verifies', async () => {
    const { signature } = await signCms(core, org);
    const signer = parseSignedData(signature).signers[0];
    expect(signer?.signature[0]).toBe(0x30);
    expect(await opensslSm2Verify(fx.org.pem, signer?.signedAttrsDer ?? Buffer.alloc(0), signer?.signature ?? Buffer.alloc(0))).toBe(true);
  });

  it('says so when the module returns another format than the table claims (MODULE_FAILED)', async () => {
    const mismatch = await startShimCore(await writeVendorTable(fx, 'vendors-mismatch.json', { ...STAND_IN_SM2.der, signatureFormat: 'raw' }), 'der');
    try {
      const { org: entry } = await loginAndList(mismatch);
      const error = await errorOf(signCms(mismatch, entry));
      expect(error.reason).toBe('MODULE_FAILED');
      expect(error.details.detailZh).toContain('signatureFormat');
    } finally {
      await mismatch.stop();
    }
  });
});

describe('a module without SM2 constants in the vendor table', () => {
  it('lists the certificates but refuses SM2 signing with UNSUPPORTED_ALGORITHM and a Chinese detail', async () => {
    const core = await startShimCore(undefined);
    try {
      const { org } = await loginAndList(core);
      expect(org.token.hasPrivateKey).toBe(true);
      const error = await errorOf(signCms(core, org));
      expect(error.reason).toBe('UNSUPPORTED_ALGORITHM');
      expect(error.details.detailZh).toMatch(/厂商表.*SM2 常量/);
      const listed = await core.tokens.moduleDetails();
      expect(listed[0]?.slots?.find((s) => s.tokenPresent)?.mechanisms).toContain('0x80008104');
    } finally {
      await core.stop();
    }
  });

  it('a vendor entry found only by its C_GetInfo manufacturer lends the module its SM2 constants', async () => {
    const core = await startShimCore(await writeVendorTable(fx, 'vendors-by-manufacturer.json', STAND_IN_SM2.der, 'manufacturer'));
    try {
      const { person } = await loginAndList(core);
      expect(person.token.hasPrivateKey).toBe(true);
      const { signature } = await signCms(core, person);
      const signer = parseSignedData(signature).signers[0];
      expect(await opensslSm2Verify(fx.person.pem, signer?.signedAttrsDer ?? Buffer.alloc(0), signer?.signature ?? Buffer.alloc(0))).toBe(true);
    } finally {
      await core.stop();
    }
  });
});

describe('malformed SM2 constants', () => {
  it('a vendor table with a malformed sm2 entry is refused with a Chinese message naming the field', async () => {
    const file = await writeVendorTable(fx, 'vendors-bad.json', { keyType: '80000004', signMechanism: '0x80008104', signatureFormat: 'der' });
    await expect(startShimCore(file)).rejects.toThrow(/^厂商表文件格式有误：.*vendors\.0\.sm2\.keyType：keyType 须为 "CKK_EC" 或 0x 开头/);
  });

  it('a token host given unusable constants still serves the module; SM2 signing fails MODULE_FAILED', async () => {
    const host = new TokenHost(fx.module, { env: p11Sm2Env(fx), sm2: { ...STAND_IN_SM2.der, signatureFormat: 'asn1' } as unknown as Sm2Params });
    try {
      const slots = await host.call<RawSlot[]>({ op: 'slots' });
      const slotId = slots.find((s) => s.token)?.slotId ?? '';
      const pid = host.pid;
      const error = await errorOf(host.call({ op: 'sign', slotId, ckaId: fx.org.certCkaId, certDer: fx.org.der, mechanism: 'SM2_SM3', data: Buffer.alloc(32, 1) }));
      expect(error).toMatchObject({ reason: 'MODULE_FAILED', details: { ckr: 'SM2_CONFIG_INVALID' } });
      expect(error.message).toContain('signatureFormat');
      expect(error.details.detailZh).toContain('sm2');
      expect(host.pid).toBe(pid);
      expect(host.starts).toBe(1);
    } finally {
      await host.stop();
    }
  });
});
