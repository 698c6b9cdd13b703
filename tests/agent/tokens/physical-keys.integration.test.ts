import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVendorTable, resolveModules } from '../../../src-agent/tokens/registry.js';
import type { TokenManager } from '../../../src-agent/tokens/token-manager.js';
import { addToken, removeToken, useFixtures } from '../../helpers/fixtures.js';
import { startTokens, tokenByLabel, waitForChange } from '../../helpers/tokens.js';

const fx = await useFixtures();
const dir = mkdtempSync(join(tmpdir(), 'ca-physical-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const vendors = loadVendorTable();
const LABELS = ['供应商', '最后一次', '采购人', '已锁定', '过期证书', '无私钥'].sort();
const SHA256_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

async function withTokens(paths: string[], body: (m: TokenManager) => Promise<void>, onlyConfigured = true): Promise<void> {
  const manager = await startTokens(fx, { modules: resolveModules(paths, vendors, onlyConfigured), pollIntervalMs: 0 });
  try {
    await body(manager);
  } finally {
    await manager.stop();
  }
}

describe('one physical key, one entry', () => {
  it('a symbolic link to SoftHSM beside the discovered library: six tokens, one driver loaded', async () => {
    const link = join(dir, 'libsofthsm2-link.so');
    symlinkSync(fx.softhsmModule, link);
    await withTokens([link], async (m) => {
      expect(m.tokens().map((t) => t.label).sort()).toEqual(LABELS);
      expect(m.modules().filter((x) => x.loaded).map((x) => x.path)).toEqual([link]);
    }, false);
    await withTokens([link, fx.softhsmModule], async (m) => {
      expect(m.tokens()).toHaveLength(6);
      expect(m.modules()).toEqual([expect.objectContaining({ path: link, loaded: true }), { path: fx.softhsmModule, loaded: false, duplicateOf: link }]);
    });
  });

  it('a copy of libsofthsm2.so in another folder is the same driver', async () => {
    const copy = join(dir, 'copy', 'libsofthsm2.so');
    mkdirSync(join(dir, 'copy'));
    copyFileSync(fx.softhsmModule, copy);
    await withTokens([fx.softhsmModule, copy], async (m) => {
      expect(m.tokens()).toHaveLength(6);
      expect(m.modules()[1]).toEqual({ path: copy, loaded: false, duplicateOf: fx.softhsmModule });
    });
  });
});

describe('two drivers reaching one key: SoftHSM directly and through pin-guard', () => {
  let manager: TokenManager;
  beforeAll(async () => {
    manager = await startTokens(fx, { modules: resolveModules([fx.pinGuardModule, fx.softhsmModule], vendors, true) });
  });
  afterAll(async () => {
    await manager?.stop();
  });

  it('lists each key once, through the driver the vendor table names (SoftHSM) rather than the wrapper it recognises', () => {
    const tokens = manager.tokens();
    expect(tokens.map((t) => t.label).sort()).toEqual(LABELS);
    expect(new Set(tokens.map((t) => t.module))).toEqual(new Set([fx.softhsmModule]));
    expect(manager.modules().filter((x) => x.loaded)).toHaveLength(2);
  });

  it('says which drivers reached which key', () => {
    const supplier = tokenByLabel(manager, '供应商');
    const key = manager.keys().find((k) => k.tokenId === supplier.id);
    expect(key?.serial).toBe(fx.tokens.find((t) => t.key === 'supplier')?.serial);
    expect(key?.drivers).toEqual(expect.arrayContaining([
      { module: fx.softhsmModule, tokenId: supplier.id, kept: true },
      expect.objectContaining({ module: fx.pinGuardModule, kept: false }),
    ]));
    expect(key?.drivers).toHaveLength(2);
  });

  it('logs in and signs on the kept route', async () => {
    const supplier = tokenByLabel(manager, '供应商');
    const pin = fx.tokens.find((t) => t.key === 'supplier')?.userPin ?? '';
    await manager.login(supplier.id, Buffer.from(pin));
    expect(tokenByLabel(manager, '供应商').loggedIn).toBe(true);
    const org = fx.tokens.find((t) => t.key === 'supplier')?.certs.find((c) => c.keyAlgorithm === 'RSA' && c.hasPrivateKey);
    const cert = (await manager.certificates(supplier.id)).find((c) => c.ckaId === org?.ckaId);
    const hash = createHash('sha256').update('合同').digest();
    const sig = await manager.sign(cert?.id ?? '', 'RSA_PKCS', Buffer.concat([SHA256_PREFIX, hash]));
    expect(verify('sha256', Buffer.from('合同'), new X509Certificate(cert?.der ?? Buffer.alloc(0)).publicKey, sig)).toBe(true);
  });

  it('hot-plug: a key plugged in shows once, and goes when removed', async () => {
    const added = waitForChange(manager, (tokens) => tokens.some((t) => t.label === '新插入'), 15_000);
    await addToken(fx, '新插入', '135790');
    const tokens = await added;
    expect(tokens.filter((t) => t.label === '新插入')).toHaveLength(1);
    expect(tokens.filter((t) => t.label === '新插入')[0]?.module).toBe(fx.softhsmModule);
    // Each driver rescans on its own schedule: the second one reports the key a moment later, still listed once.
    await expect.poll(() => manager.keys().find((k) => k.label === '新插入')?.drivers.length, { timeout: 10_000 }).toBe(2);
    expect(manager.tokens().filter((t) => t.label === '新插入')).toHaveLength(1);
    expect(tokenByLabel(manager, '供应商').loggedIn).toBe(true);
    // A fixture key (a token directory SoftHSM is not still writing): removed through both drivers, listed nowhere.
    const removed = waitForChange(manager, (t) => !t.some((x) => x.label === '无私钥'), 15_000);
    await removeToken(fx, 'nokey');
    await removed;
    expect(manager.tokens()).toHaveLength(6);
    expect(manager.keys().some((k) => k.label === '无私钥')).toBe(false);
  });
});
