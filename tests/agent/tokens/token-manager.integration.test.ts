import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssistantError } from '../../../src-agent/protocol/errors.js';
import type { TokenManager } from '../../../src-agent/tokens/token-manager.js';
import { TokenHost } from '../../../src-agent/tokens/token-host.js';
import { addToken, fixtureEnv, removeToken, useFixtures } from '../../helpers/fixtures.js';
import { startTokens, tokenByLabel, waitForChange } from '../../helpers/tokens.js';
import { errorOf as reasonOf } from '../../helpers/errors.js';

const fx = await useFixtures();
const SHA256_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const pinOf = (key: string): string => fx.tokens.find((t) => t.key === key)?.userPin ?? '';

describe('TokenManager on SoftHSM', () => {
  let manager: TokenManager;
  beforeAll(async () => {
    manager = await startTokens(fx);
  });
  afterAll(async () => {
    await manager?.stop();
  });

  describe('#tokens', () => {
    it('lists the six fixture tokens with their exact labels and PIN flags', () => {
      const labels = manager.tokens().map((t) => t.label).sort();
      expect(labels).toEqual(['供应商', '最后一次', '采购人', '已锁定', '过期证书', '无私钥'].sort());
      const supplier = tokenByLabel(manager, '供应商');
      expect(supplier).toMatchObject({ manufacturer: 'SoftHSM project', model: 'SoftHSM v2', loggedIn: false, module: fx.pinGuardModule });
      expect(supplier.serial).toBe(fx.tokens.find((t) => t.key === 'supplier')?.serial);
      expect(supplier.pin).toMatchObject({ countLow: false, finalTry: false, locked: false, protectedAuthPath: false });
      expect(supplier.pin.retriesLeft).toBeUndefined();
      expect(tokenByLabel(manager, '已锁定').pin).toMatchObject({ locked: true, retriesLeft: 0 });
      expect(tokenByLabel(manager, '最后一次').pin).toMatchObject({ finalTry: true, locked: false, retriesLeft: 1 });
    });

    it('gives stable token ids across a restart', async () => {
      const again = await startTokens(fx, { pollIntervalMs: 0 });
      try {
        expect(again.tokens().map((t) => t.id).sort()).toEqual(manager.tokens().map((t) => t.id).sort());
      } finally {
        await again.stop();
      }
    });
  });

  describe('#certificates', () => {
    it('reads the certificates, with Chinese subjects intact, and the seal image object', async () => {
      const supplier = tokenByLabel(manager, '供应商');
      const certs = await manager.certificates(supplier.id);
      const expected = fx.tokens.find((t) => t.key === 'supplier')?.certs ?? [];
      for (const fc of expected) {
        const cert = certs.find((c) => c.ckaId === fc.ckaId);
        expect(cert, fc.label).toBeDefined();
        const x509 = new X509Certificate(cert?.der ?? Buffer.alloc(0));
        expect(createHash('sha256').update(cert?.der ?? '').digest('hex')).toBe(fc.fingerprintSha256);
        expect(x509.subject).toContain(`CN=${fc.subjectCN}`);
        expect(cert?.id.startsWith(`${supplier.id}.`)).toBe(true);
      }
      const data = await manager.dataObjects(supplier.id);
      const org = expected.find((c) => c.role === 'organization');
      const seal = data.find((d) => d.label === `seal:${org?.ckaId}`);
      expect(seal?.value.subarray(1, 4).toString('latin1')).toBe('PNG');
    });

    it('cannot tell whether a private key exists before login, and can after', async () => {
      const nokey = tokenByLabel(manager, '无私钥');
      const [before] = await manager.certificates(nokey.id);
      expect(before?.hasPrivateKey).toBeNull();
      await manager.login(nokey.id, Buffer.from(pinOf('nokey')));
      const after = await manager.certificates(nokey.id);
      expect(after.find((c) => c.ckaId === before?.ckaId)?.hasPrivateKey).toBe(false);
    });
  });

  describe('#login', () => {
    it('reports a wrong PIN, sets count-low, and zeroes the PIN buffer', async () => {
      const purchaser = tokenByLabel(manager, '采购人');
      const pin = Buffer.from('00000000');
      const error = await reasonOf(manager.login(purchaser.id, pin));
      expect(error.reason).toBe('PIN_INCORRECT');
      expect(error.details.ckr).toBe('CKR_PIN_INCORRECT');
      expect(pin.equals(Buffer.alloc(8))).toBe(true);
      expect(tokenByLabel(manager, '采购人').pin.countLow).toBe(true);
      await manager.login(purchaser.id, Buffer.from(pinOf('purchaser')));
      expect(tokenByLabel(manager, '采购人')).toMatchObject({ loggedIn: true, pin: { countLow: false } });
    });

    it('turns a wrong PIN at the final try into a locked token', async () => {
      const last = tokenByLabel(manager, '最后一次');
      const error = await reasonOf(manager.login(last.id, Buffer.from('99999999')));
      expect(error.reason).toBe('PIN_INCORRECT');
      expect(tokenByLabel(manager, '最后一次').pin).toMatchObject({ locked: true, retriesLeft: 0 });
      const again = await reasonOf(manager.login(last.id, Buffer.from(pinOf('finaltry'))));
      expect(again.reason).toBe('PIN_LOCKED');
    });

    it('never tries a locked PIN', async () => {
      const locked = tokenByLabel(manager, '已锁定');
      const error = await reasonOf(manager.login(locked.id, Buffer.from(pinOf('locked'))));
      expect(error.reason).toBe('PIN_LOCKED');
      expect(error.message).toContain('not attempted');
      expect(error.details.retriesLeft).toBe(0);
    });

    it('maps a PIN of the wrong length', async () => {
      const supplier = tokenByLabel(manager, '供应商');
      const error = await reasonOf(manager.login(supplier.id, Buffer.from('1')));
      expect(['PIN_LEN_RANGE', 'PIN_INCORRECT']).toContain(error.reason);
    });
  });

  describe('#sign', () => {
    it('makes RSA PKCS#1 v1.5 and ECDSA signatures that verify with the certificate key', async () => {
      const supplier = tokenByLabel(manager, '供应商');
      await manager.login(supplier.id, Buffer.from(pinOf('supplier')));
      const hash = createHash('sha256').update('合同正文').digest();
      for (const fc of fx.tokens.find((t) => t.key === 'supplier')?.certs ?? []) {
        const cert = (await manager.certificates(supplier.id)).find((c) => c.ckaId === fc.ckaId);
        if (!cert) throw new Error('cert missing');
        const key = createPublicKey(new X509Certificate(cert.der).publicKey.export({ format: 'pem', type: 'spki' }));
        if (fc.keyAlgorithm === 'RSA') {
          const sig = await manager.sign(cert.id, 'RSA_PKCS', Buffer.concat([SHA256_PREFIX, hash]));
          expect(verify('sha256', Buffer.from('合同正文'), key, sig)).toBe(true);
        } else {
          const sig = await manager.sign(cert.id, 'ECDSA', hash);
          expect(sig[0]).toBe(0x30);
          expect(verify('sha256', Buffer.from('合同正文'), { key, dsaEncoding: 'der' }, sig)).toBe(true);
          expect(verify('sha256', Buffer.from('别的正文'), { key, dsaEncoding: 'der' }, sig)).toBe(false);
        }
      }
    });

    it('says KEY_NOT_FOUND for a certificate without a key', async () => {
      const nokey = tokenByLabel(manager, '无私钥');
      const [cert] = await manager.certificates(nokey.id);
      const error = await reasonOf(manager.sign(cert?.id ?? '', 'RSA_PKCS', Buffer.concat([SHA256_PREFIX, Buffer.alloc(32)])));
      expect(error.reason).toBe('KEY_NOT_FOUND');
    });

    it('says CERT_NOT_FOUND for an unknown certificate id', async () => {
      const error = await reasonOf(manager.sign('nope.0000', 'RSA_PKCS', Buffer.alloc(51)));
      expect(error.reason).toBe('CERT_NOT_FOUND');
    });
  });

  describe('token host faults', () => {
    it('fails only the call in flight when the host is SIGKILLed, and the next call works', async () => {
      const supplier = tokenByLabel(manager, '供应商');
      const host = manager.hostOf(supplier.id);
      const pid = host.pid;
      const inFlight = reasonOf(host.call('crash'));
      expect((await inFlight).reason).toBe('MODULE_CRASHED');
      await manager.refresh();
      expect(manager.tokens().length).toBe(6);
      expect(manager.hostOf(supplier.id).pid).not.toBe(pid);
      // The login died with the host: the token reports logged out and can log in again.
      expect(tokenByLabel(manager, '供应商').loggedIn).toBe(false);
      await manager.login(supplier.id, Buffer.from(pinOf('supplier')));
      const [cert] = await manager.certificates(supplier.id);
      expect(cert).toBeDefined();
    });

    it('kills a hung host after the call timeout with TIMEOUT', async () => {
      const supplier = tokenByLabel(manager, '供应商');
      const error = await reasonOf(manager.hostOf(supplier.id).call('hang'));
      expect(error.reason).toBe('TIMEOUT');
      await manager.refresh();
      expect(manager.tokens().length).toBe(6);
    });
  });

  describe('hot-plug', () => {
    it('reports a token created while running within 1 s, keeping other logins', async () => {
      const supplier = tokenByLabel(manager, '供应商');
      if (!supplier.loggedIn) await manager.login(supplier.id, Buffer.from(pinOf('supplier')));
      const started = Date.now();
      const seen = waitForChange(manager, (tokens) => tokens.some((t) => t.label === '新插入'));
      await addToken(fx, '新插入', '55555555');
      await seen;
      expect(Date.now() - started).toBeLessThan(1000);
      expect(tokenByLabel(manager, '供应商').loggedIn).toBe(true);
    });

    it('reports a removed token, and TOKEN_REMOVED for calls to it', async () => {
      const purchaser = tokenByLabel(manager, '采购人');
      const gone = waitForChange(manager, (tokens) => !tokens.some((t) => t.label === '采购人'));
      await removeToken(fx, 'purchaser');
      await gone;
      const error = await reasonOf(manager.login(purchaser.id, Buffer.from(pinOf('purchaser'))));
      expect(error.reason).toBe('TOKEN_REMOVED');
    });
  });
});

describe('#stop', () => {
  const hostChildren = (): string[] =>
    execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('host-main'));

  it('kills a token host that is still starting, so it cannot outlive the agent', async () => {
    const before = hostChildren().length;
    const host = new TokenHost(fx.pinGuardModule, { env: fixtureEnv(fx) });
    const call = host.call({ op: 'info' }).catch((e: unknown) => e);
    await host.stop(); // before the child said hello
    expect(AssistantError.is(await call)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(hostChildren()).toHaveLength(before);
  });
});

describe('module loading errors', () => {
  it('names a module path that does not exist', async () => {
    const manager = await startTokens({ ...fx, pinGuardModule: '/nonexistent/libvendor.so' }, { pollIntervalMs: 0 });
    try {
      expect(manager.tokens()).toEqual([]);
      expect(manager.modules()[0]).toMatchObject({ loaded: false, reason: 'MODULE_FAILED', errorZh: expect.stringContaining('驱动文件不存在') });
    } finally {
      await manager.stop();
    }
  });

  it('says a file that is not a PKCS#11 library cannot be loaded', async () => {
    const bogus = join(fx.dir, 'not-a-module.so');
    writeFileSync(bogus, 'this is not a shared library');
    const manager = await startTokens({ ...fx, pinGuardModule: bogus }, { pollIntervalMs: 0 });
    try {
      expect(manager.modules()[0]).toMatchObject({ loaded: false, reason: 'MODULE_FAILED', errorZh: expect.stringContaining('无法加载') });
    } finally {
      await manager.stop();
    }
  });
});
