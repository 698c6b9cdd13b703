import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeToken, useFixtures } from '../../helpers/fixtures.js';
import { LoginPolicy } from '../../../src-agent/service/signing/login-policy.js';
import { Client, MALL, OTHER, makeConfig, reasonOf, startHarness, type Harness } from './harness.js';

const fx = await useFixtures();
const pinOf = (key: string): string => fx.tokens.find((t) => t.key === key)!.userPin;
const HASH = createHash('sha256').update('合同').digest('base64');

async function certOf(client: Client, label: string, kind = 'organization'): Promise<string> {
  const tokens = (await client.call('tokens.list', {})).result?.tokens as { id: string; label: string }[];
  const tokenId = tokens.find((t) => t.label === label)?.id;
  const certs = (await client.call('certs.list', { tokenId })).result?.certs as { id: string; kind: string }[];
  const cert = certs.find((c) => c.kind === kind) ?? certs[0];
  if (!cert) throw new Error(`no cert on ${label}`);
  return cert.id;
}

const sign = (client: Client, certId: string) => client.call('sign.hash', { certId, hash: HASH, hashAlgorithm: 'sha256', format: 'cms' });

describe('login policy', () => {
  let h: Harness;
  let mall: Client;
  beforeAll(async () => {
    h = await startHarness(fx, await makeConfig(fx, { trustedOrigins: [MALL, OTHER] }));
    mall = await Client.open(h.server.port, MALL);
  });
  afterAll(async () => {
    mall?.close();
    await h?.stop();
  });

  it('a second seal asks the PIN again: by default no login is reused, and the token is logged out after each signature', async () => {
    const certId = await certOf(mall, '供应商');
    const tokenId = certId.split('.')[0] ?? '';
    const start = h.ui.pinRequests.length;
    h.ui.answerPins(pinOf('supplier'), pinOf('supplier'));
    expect((await sign(mall, certId)).result).toBeDefined();
    expect(h.ui.pinRequests.at(-1)).toMatchObject({ origin: MALL, reuseMinutes: 10, attempt: 1 });
    expect(h.core.tokens.tokens().find((t) => t.id === tokenId)?.loggedIn).toBe(false);
    expect((await sign(mall, certId)).result).toBeDefined();
    expect(h.ui.pinRequests.length).toBe(start + 2);
  });

  it('refuses what cannot be signed before any dialog: sm3 with an RSA certificate, an expired certificate', async () => {
    const start = h.ui.pinRequests.length;
    const rsa = await certOf(mall, '供应商');
    const sm3 = await mall.call('sign.hash', { certId: rsa, hash: HASH, hashAlgorithm: 'sm3', format: 'cms' });
    expect(reasonOf(sm3)).toBe('UNSUPPORTED_ALGORITHM');
    expect(reasonOf(await sign(mall, await certOf(mall, '过期证书')))).toBe('CERT_EXPIRED');
    expect(h.ui.pinRequests.length).toBe(start);
  });

  it('asks again after a wrong PIN with attempt 2 and the retry state, then signs', async () => {
    const certId = await certOf(mall, '采购人', 'personal');
    h.ui.answerPins('00000000', pinOf('purchaser'));
    const start = h.ui.pinRequests.length;
    const reply = await sign(mall, certId);
    expect(reply.result?.format).toBe('cms');
    const asks = h.ui.pinRequests.slice(start);
    expect(asks.map((r) => r.attempt)).toEqual([1, 2]);
    expect(asks[1]).toMatchObject({ lastError: 'PIN_INCORRECT', pin: { countLow: true } });
  });

  it('cancel gives USER_CANCELLED', async () => {
    const certId = await certOf(mall, '供应商');
    h.ui.answerPins('cancel');
    expect(reasonOf(await sign(mall, certId))).toBe('USER_CANCELLED');
  });

  it('a locked PIN gives PIN_LOCKED without any dialog', async () => {
    const certId = await certOf(mall, '已锁定');
    const start = h.ui.pinRequests.length;
    const reply = await sign(mall, certId);
    expect(reasonOf(reply)).toBe('PIN_LOCKED');
    expect(reply.error?.data.retriesLeft).toBe(0);
    expect(h.ui.pinRequests.length).toBe(start);
  });

  it('announces the final try, and a wrong PIN there ends in PIN_LOCKED with no further dialog', async () => {
    const certId = await certOf(mall, '最后一次');
    const start = h.ui.pinRequests.length;
    h.ui.answerPins('99999999', pinOf('finaltry'));
    expect(reasonOf(await sign(mall, certId))).toBe('PIN_LOCKED');
    const asks = h.ui.pinRequests.slice(start);
    expect(asks).toHaveLength(1);
    expect(asks[0]?.pin).toMatchObject({ finalTry: true, retriesLeft: 1 });
  });

  it('the tick “本次会话 N 分钟内不再询问” lets the same origin sign without the dialog; origin B still needs its own PIN', async () => {
    const other = await Client.open(h.server.port, OTHER);
    try {
      const certId = await certOf(mall, '供应商');
      h.ui.answerPins({ pin: pinOf('supplier'), reuse: true });
      expect((await sign(mall, certId)).result).toBeDefined();
      const start = h.ui.pinRequests.length;
      expect((await sign(mall, certId)).result).toBeDefined();
      expect(h.ui.pinRequests.length).toBe(start);
      h.ui.answerPins('cancel');
      expect(reasonOf(await sign(other, certId))).toBe('USER_CANCELLED');
      expect(h.ui.pinRequests.length).toBe(start + 1);
      expect(h.ui.pinRequests.at(-1)?.origin).toBe(OTHER);
      h.ui.answerPins(pinOf('supplier'));
      expect((await sign(other, certId)).result).toBeDefined();
      expect(h.ui.pinRequests.length).toBe(start + 2);
      // B's own login did not take A's choice away, nor give B one.
      expect((await sign(mall, certId)).result).toBeDefined();
      expect(h.ui.pinRequests.length).toBe(start + 2);
      h.ui.answerPins('cancel');
      expect(reasonOf(await sign(other, certId))).toBe('USER_CANCELLED');
      expect(h.ui.pinRequests.length).toBe(start + 3);
    } finally {
      other.close();
    }
  });

  it('a dialog waiting for one origin does not block another origin’s read-only calls', async () => {
    const certId = await certOf(mall, '供应商');
    await mall.call('session.logout', { tokenId: certId.split('.')[0] });
    let release: (() => void) | undefined;
    h.ui.answerPins(() => new Promise((resolve) => (release = () => resolve({ kind: 'cancel' }))));
    const pending = sign(mall, certId);
    await expect.poll(() => release !== undefined, { timeout: 10_000 }).toBe(true);
    const other = await Client.open(h.server.port, OTHER);
    const listed = await other.call('tokens.list', {});
    expect((listed.result?.tokens as unknown[]).length).toBeGreaterThan(0);
    expect((await other.call('certs.list', {})).result).toBeDefined();
    release?.();
    expect(reasonOf(await pending)).toBe('USER_CANCELLED');
    other.close();
  });

  it('key removal mid-session gives TOKEN_REMOVED; other tokens still work', async () => {
    const purchaserCert = await certOf(mall, '采购人', 'personal');
    const supplierCert = await certOf(mall, '供应商');
    await removeToken(fx, 'purchaser');
    await expect.poll(async () => reasonOf(await sign(mall, purchaserCert)), { timeout: 5000 }).toBe('TOKEN_REMOVED');
    h.ui.answerPins(pinOf('supplier'));
    expect((await sign(mall, supplierCert)).result?.format).toBe('cms');
    expect(mall.events.some((e) => e.method === 'tokens.changed' && !(e.params as { tokens: { label: string }[] }).tokens.some((t) => t.label === '采购人'))).toBe(true);
  });
});

describe('logins that are not the origin’s own', () => {
  it('config: pinReuseOrigins names trusted origins only, minutes 1..480', async () => {
    await expect(makeConfig(fx, { pinReuseOrigins: { 'https://stranger.example': 10 } })).rejects.toThrow(/pinReuseOrigins 只能列出 trustedOrigins/);
    await expect(makeConfig(fx, { pinReuseOrigins: { [MALL]: 0 } })).rejects.toThrow(/pinReuseOrigins/);
    await expect(makeConfig(fx, { pinReuseOrigins: { 'http://mall.example': 5 } })).rejects.toThrow(/pinReuseOrigins\.http:\/\/mall\.example/);
    await expect(makeConfig(fx, { pinReuseMinutes: 481 })).rejects.toThrow(/pinReuseMinutes/);
    expect((await makeConfig(fx, { pinReuseOrigins: { [`${MALL}/`]: 5 } })).pinReuseOrigins).toEqual({ [MALL]: 5 });
    // Old files keep working: the replaced key is accepted and not used.
    expect((await makeConfig(fx, { pinCacheSeconds: 600 })).pinReuseMinutes).toBe(10);
  });

  it('a 环境检测 login never serves a site, trusted or not', async () => {
    const h = await startHarness(fx, await makeConfig(fx));
    const mall = await Client.open(h.server.port, MALL);
    try {
      const certId = await certOf(mall, '供应商');
      const tokenId = certId.split('.')[0] ?? '';
      await h.core.tokens.login(tokenId, Buffer.from(pinOf('supplier')));
      h.server.policy.registerUserLogin(tokenId);
      h.ui.answerPins('cancel');
      expect(reasonOf(await sign(mall, certId))).toBe('USER_CANCELLED');
      expect(h.ui.pinRequests).toHaveLength(1);
    } finally {
      mall.close();
      await h.stop();
    }
  });

  it('pinReuseOrigins lets a configured trusted origin sign silently after its PIN, never another origin; no tick is needed', async () => {
    const h = await startHarness(fx, await makeConfig(fx, { trustedOrigins: [MALL, OTHER], pinReuseOrigins: { [MALL]: 30 }, pinReuseMinutes: 0 }));
    const mall = await Client.open(h.server.port, MALL);
    const other = await Client.open(h.server.port, OTHER);
    try {
      const certId = await certOf(mall, '供应商');
      h.ui.answerPins(pinOf('supplier'));
      expect((await sign(mall, certId)).result).toBeDefined();
      // pinReuseMinutes 0: the dialog offers no tick.
      expect(h.ui.pinRequests[0]?.reuseMinutes).toBeUndefined();
      for (let i = 0; i < 3; i++) expect((await sign(mall, certId)).result).toBeDefined();
      expect(h.ui.pinRequests).toHaveLength(1);
      h.ui.answerPins('cancel');
      expect(reasonOf(await sign(other, certId))).toBe('USER_CANCELLED');
      expect(h.ui.pinRequests.at(-1)?.origin).toBe(OTHER);
    } finally {
      mall.close();
      other.close();
      await h.stop();
    }
  });

  it('a ticked login ends after N minutes and the token is logged out', async () => {
    const h = await startHarness(fx, await makeConfig(fx));
    let now = Date.now();
    const policy = new LoginPolicy({ tokens: h.core.tokens, certs: h.core.certs, ui: h.ui, pinReuseMinutes: 5, now: () => now });
    try {
      const mall = await Client.open(h.server.port, MALL);
      const entry = await h.core.certs.get(await certOf(mall, '供应商'));
      mall.close();
      const use = { origin: MALL, trusted: true };
      h.ui.answerPins({ pin: pinOf('supplier'), reuse: true });
      await policy.withLogin(use, entry, async () => undefined);
      await policy.withLogin(use, entry, async () => undefined);
      expect(h.ui.pinRequests).toHaveLength(1);
      now += 5 * 60_000 + 1;
      await expect.poll(() => h.core.tokens.tokens().find((t) => t.id === entry.token.tokenId)?.loggedIn, { timeout: 5000 }).toBe(false);
      h.ui.answerPins('cancel');
      await expect(policy.withLogin(use, entry, async () => undefined)).rejects.toMatchObject({ reason: 'USER_CANCELLED' });
      expect(h.ui.pinRequests).toHaveLength(2);
    } finally {
      policy.stop();
      await h.stop();
    }
  });
});
